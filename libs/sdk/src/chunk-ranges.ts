/** Chunks a Portal holds, as it answers them: inclusive index ranges [first, last] in ascending order. */
export type ChunkRanges = ReadonlyArray<readonly [number, number] | readonly number[]>;

/** How many chunks the ranges hold. */
export function chunkCount(ranges: ChunkRanges): number {
  return ranges.reduce((sum, range) => sum + (range[1] - range[0] + 1), 0);
}

/** Every chunk index the ranges hold, ascending. */
export function chunkIndexes(ranges: ChunkRanges): number[] {
  const out: number[] = [];
  for (const range of ranges) for (let index = range[0]; index <= range[1]; index += 1) out.push(index);
  return out;
}

/** Bytes of a file of `size` bytes in chunks of `chunkSize` that the ranges hold (the last chunk may be shorter). */
export function bytesInChunks(ranges: ChunkRanges, chunkSize: number, size: number): number {
  return ranges.reduce((sum, range) => sum + Math.max(0, Math.min(size, (range[1] + 1) * chunkSize) - range[0] * chunkSize), 0);
}
