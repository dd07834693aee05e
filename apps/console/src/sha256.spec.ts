import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Sha256, sha256Hex } from './sha256';

const reference = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('console SHA-256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto for every length around the block and padding edges', () => {
    const data = randomBytes(300);
    for (let length = 0; length <= 300; length++) expect([length, sha256Hex(data.subarray(0, length))]).toEqual([length, reference(data.subarray(0, length))]);
  });

  it('gives the same digest however the input is split', () => {
    const data = randomBytes(100_000);
    for (const pieces of [[1], [63, 1, 64, 65], [7, 1000, 3], [99_999]]) {
      const hash = new Sha256();
      let offset = 0;
      for (let i = 0; offset < data.length; i++) {
        const size = pieces[i % pieces.length];
        hash.update(data.subarray(offset, offset + size));
        offset += size;
      }
      expect(hash.hex()).toBe(reference(data));
    }
  });

  it('refuses to be used after its digest', () => {
    const hash = new Sha256().update(new Uint8Array([1]));
    hash.hex();
    expect(() => hash.update(new Uint8Array([2]))).toThrow('after digest');
    expect(() => hash.hex()).toThrow('twice');
  });
});
