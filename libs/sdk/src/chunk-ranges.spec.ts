import { describe, expect, it } from '@jest/globals';
import { bytesInChunks, chunkCount, chunkIndexes } from './chunk-ranges';

describe('received chunk ranges', () => {
  const ranges: Array<[number, number]> = [
    [0, 2],
    [4, 4],
    [6, 7],
  ];

  it('counts and lists the chunks the ranges hold', () => {
    expect(chunkCount([])).toBe(0);
    expect(chunkCount(ranges)).toBe(6);
    expect(chunkIndexes(ranges)).toEqual([0, 1, 2, 4, 6, 7]);
  });

  it('counts their bytes, with a shorter last chunk', () => {
    // 8 chunks of 10 bytes, the last one 5 bytes long (75 bytes).
    expect(bytesInChunks(ranges, 10, 75)).toBe(30 + 10 + 15);
    expect(bytesInChunks([[0, 7]], 10, 75)).toBe(75);
    expect(bytesInChunks([], 10, 75)).toBe(0);
  });
});
