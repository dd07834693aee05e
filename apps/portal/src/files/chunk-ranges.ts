/** Chunks held, as inclusive ranges of indexes in ascending order: [[0, 41], [43, 99]]. */
export type ChunkRanges = Array<[number, number]>;

/** Compacts ascending, distinct chunk indexes into ranges. */
export function toChunkRanges(indexes: readonly number[]): ChunkRanges {
  const ranges: ChunkRanges = [];
  for (const index of indexes) {
    const last = ranges[ranges.length - 1];
    if (last && index === last[1] + 1) last[1] = index;
    else ranges.push([index, index]);
  }
  return ranges;
}

/**
 * A peer's ranges, as far as they can be trusted: pairs of integer indexes [first, last] with
 * first ≤ last, any order and overlap. Anything else is dropped (the chunks it names are sent again,
 * which the receiver answers without storing twice). Returned sorted by first index.
 */
export function parseChunkRanges(value: unknown): ChunkRanges {
  if (!Array.isArray(value)) return [];
  const ranges: ChunkRanges = [];
  for (const item of value) {
    if (!Array.isArray(item) || item.length !== 2) continue;
    const [first, last] = item as unknown[];
    if (Number.isSafeInteger(first) && Number.isSafeInteger(last) && (first as number) >= 0 && (first as number) <= (last as number)) {
      ranges.push([first as number, last as number]);
    }
  }
  return ranges.sort((x, y) => x[0] - y[0]);
}

/**
 * What a receiver's answer says it holds: `receivedRanges`, or, from a Portal of an earlier version
 * that answers every index, `receivedChunks` (without it such a receiver would be sent chunk 0 over
 * and over).
 */
export function heldByPeer(state: { receivedRanges?: unknown; receivedChunks?: unknown } | null | undefined): ChunkRanges {
  if (state?.receivedRanges !== undefined || !Array.isArray(state?.receivedChunks)) return parseChunkRanges(state?.receivedRanges);
  const indexes = (state.receivedChunks as unknown[]).filter(
    (index): index is number => Number.isSafeInteger(index) && (index as number) >= 0,
  );
  return parseChunkRanges(indexes.map((index) => [index, index]));
}

/** The first of our ascending indexes that the (sorted) ranges do not hold. */
export function firstMissing(ours: readonly number[], theirs: ChunkRanges): number | undefined {
  let r = 0;
  let reach = -1;
  for (const index of ours) {
    // Extend the covered prefix with every range starting at or before this index.
    while (r < theirs.length && theirs[r][0] <= index) {
      reach = Math.max(reach, theirs[r][1]);
      r += 1;
    }
    if (index > reach) return index;
  }
  return undefined;
}
