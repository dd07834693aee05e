import { describe, expect, it } from '@jest/globals';
import { firstMissing, heldByPeer, parseChunkRanges, toChunkRanges } from './chunk-ranges';

describe('chunk ranges', () => {
  it('compacts indexes into inclusive ranges', () => {
    expect(toChunkRanges([])).toEqual([]);
    expect(toChunkRanges([0])).toEqual([[0, 0]]);
    expect(toChunkRanges([0, 1, 2, 3])).toEqual([[0, 3]]);
    expect(toChunkRanges([0, 1, 2, 5, 7, 8])).toEqual([
      [0, 2],
      [5, 5],
      [7, 8],
    ]);
  });

  it("keeps only well-formed pairs of a peer's answer, sorted", () => {
    expect(parseChunkRanges(undefined)).toEqual([]);
    expect(parseChunkRanges('0-3')).toEqual([]);
    expect(parseChunkRanges([[5, 9], [0, 2], [3], [4, 1], [-1, 2], [1.5, 2], ['0', 1], null, [7, Number.MAX_SAFE_INTEGER + 1]])).toEqual([
      [0, 2],
      [5, 9],
    ]);
  });

  it("reads a receiver's ranges, or the index list of a Portal of an earlier version", () => {
    expect(heldByPeer({ receivedRanges: [[0, 3]] })).toEqual([[0, 3]]);
    expect(heldByPeer({ receivedRanges: [[0, 3]], receivedChunks: [7] })).toEqual([[0, 3]]);
    expect(heldByPeer({ receivedChunks: [2, 0, 1, 'x', -1] })).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(firstMissing([0, 1, 2, 3], heldByPeer({ receivedChunks: [0, 1, 3] }))).toBe(2);
    expect(heldByPeer(null)).toEqual([]);
    expect(heldByPeer({})).toEqual([]);
  });

  it('finds the first chunk we hold that the ranges lack', () => {
    expect(firstMissing([0, 1, 2], [])).toBe(0);
    expect(firstMissing([0, 1, 2], [[0, 2]])).toBeUndefined();
    expect(
      firstMissing(
        [0, 1, 2, 3, 4],
        [
          [0, 1],
          [3, 4],
        ],
      ),
    ).toBe(2);
    expect(firstMissing([0, 2, 4, 6], [[0, 5]])).toBe(6);
    // Overlapping and nested ranges count as their union.
    expect(
      firstMissing(
        [0, 1, 2, 3, 4, 5],
        [
          [0, 4],
          [1, 2],
          [5, 5],
        ],
      ),
    ).toBeUndefined();
    expect(firstMissing([3, 9], [[0, 10]])).toBeUndefined();
    expect(firstMissing([], [])).toBeUndefined();
  });
});
