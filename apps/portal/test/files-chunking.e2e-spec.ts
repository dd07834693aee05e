import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { FileTransfer } from '../src/files/entities/file-transfer.entity';
import { api, bytes, expectError, filesUnder, insertContact, putRaw, sha256, startPeer, type TestPortal } from '@agent-p2p/testing';
const CHUNK = 64 * 1024;
const MIN_CHUNK = 16 * 1024;
const MAX_CHUNKS = 8;

describe('chunk size floor, chunk count ceiling and received ranges', () => {
  let portal: TestPortal;
  let key: string;

  beforeAll(async () => {
    portal = await startPeer({
      env: {
        PORTAL_FILE_CHUNK_BYTES: String(CHUNK),
        PORTAL_FILE_MIN_CHUNK_BYTES: String(MIN_CHUNK),
        PORTAL_FILE_MAX_CHUNKS: String(MAX_CHUNKS),
        PORTAL_MAX_FILE_BYTES: String(1024 * 1024),
      },
    });
    key = await insertContact(portal);
  });

  afterAll(async () => {
    await portal?.destroy();
  });

  const fileRows = (): Promise<number> => portal.app.get(DataSource).getRepository(FileTransfer).count();
  const offerBody = (size: number, chunkSize: number): object => ({
    id: randomUUID(),
    name: 'o.bin',
    size,
    sha256: 'd'.repeat(64),
    mime: 'application/octet-stream',
    chunkSize,
  });
  const octet = (sha: string): Record<string, string> => ({ 'content-type': 'application/octet-stream', 'x-chunk-sha256': sha });

  it('an offer in chunks below PORTAL_FILE_MIN_CHUNK_BYTES is refused (400), nothing stored', async () => {
    const before = await fileRows();
    const error = await expectError(await api(portal, 'POST', '/api/federation/files', { key, body: offerBody(4 * 8192, 8192) }), 400);
    expect(error.message).toMatch(/chunkSize must be at least 16384 bytes \(got 8192\)/);
    expect(await fileRows()).toBe(before);
  });

  it('a file of one chunk may be offered in a smaller chunk size', async () => {
    const response = await api(portal, 'POST', '/api/federation/files', { key, body: offerBody(5000, 8192) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'receiving', receivedRanges: [] });
  });

  it('an offer of more than PORTAL_FILE_MAX_CHUNKS chunks is refused (400); exactly the maximum is taken', async () => {
    const before = await fileRows();
    const error = await expectError(
      await api(portal, 'POST', '/api/federation/files', { key, body: offerBody((MAX_CHUNKS + 1) * MIN_CHUNK, MIN_CHUNK) }),
      400,
    );
    expect(error.message).toMatch(/at most 8 chunks/);
    expect(await fileRows()).toBe(before);
    expect((await api(portal, 'POST', '/api/federation/files', { key, body: offerBody(MAX_CHUNKS * MIN_CHUNK, MIN_CHUNK) })).status).toBe(
      200,
    );
  });

  it('an upload that would need more than PORTAL_FILE_MAX_CHUNKS chunks is refused (413), nothing stored', async () => {
    const before = await fileRows();
    const body = { name: 'big.bin', size: (MAX_CHUNKS + 1) * CHUNK, sha256: 'e'.repeat(64) };
    const error = await expectError(await api(portal, 'POST', '/api/files', { body }), 413);
    expect(error.message).toMatch(/more than the 8 chunks/);
    expect(await fileRows()).toBe(before);
  });

  it('agent route: receipts and the status answer carry the received chunks as ranges', async () => {
    const data = bytes(MAX_CHUNKS * CHUNK, 71);
    const upload = await portal.client().createFileUpload({ name: 'ranges.bin', size: data.length, sha256: sha256(data) });
    expect(upload.receivedRanges).toEqual([]);
    const chunk = (index: number): Buffer => data.subarray(index * CHUNK, (index + 1) * CHUNK);
    const receipts = [];
    for (const index of [0, 1, 2, 4, 5, 7])
      receipts.push(await portal.client().uploadFileChunk(upload.id, index, chunk(index), sha256(chunk(index))));
    expect(receipts.map((receipt) => receipt.receivedRanges)).toEqual([
      [[0, 0]],
      [[0, 1]],
      [[0, 2]],
      [
        [0, 2],
        [4, 4],
      ],
      [
        [0, 2],
        [4, 5],
      ],
      [
        [0, 2],
        [4, 5],
        [7, 7],
      ],
    ]);
    expect(receipts[5]).not.toHaveProperty('receivedChunks');
    expect((await portal.client().getFile(upload.id)).receivedRanges).toEqual([
      [0, 2],
      [4, 5],
      [7, 7],
    ]);
    await portal.client().uploadFileChunk(upload.id, 3, chunk(3), sha256(chunk(3)));
    const last = await portal.client().uploadFileChunk(upload.id, 6, chunk(6), sha256(chunk(6)));
    expect(last).toMatchObject({ status: 'stored', receivedRanges: [[0, 7]] });
  });

  it('federation route: chunk answers and complete carry ranges; complete with a gap names it', async () => {
    const data = bytes(4 * MIN_CHUNK, 72);
    const remoteId = randomUUID();
    const offer = {
      id: remoteId,
      name: 'fed.bin',
      size: data.length,
      sha256: sha256(data),
      mime: 'application/octet-stream',
      chunkSize: MIN_CHUNK,
    };
    expect(await (await api(portal, 'POST', '/api/federation/files', { key, body: offer })).json()).toEqual({
      id: remoteId,
      status: 'receiving',
      receivedRanges: [],
    });
    const put = async (index: number): Promise<unknown> => {
      const chunk = data.subarray(index * MIN_CHUNK, (index + 1) * MIN_CHUNK);
      const response = await putRaw(`${portal.url}/api/federation/files/${remoteId}/chunks/${index}`, chunk, octet(sha256(chunk)), key);
      expect(response.status).toBe(200);
      return response.json();
    };
    expect(await put(0)).toEqual({ id: remoteId, status: 'receiving', receivedRanges: [[0, 0]] });
    expect(await put(2)).toEqual({
      id: remoteId,
      status: 'receiving',
      receivedRanges: [
        [0, 0],
        [2, 2],
      ],
    });
    expect(await put(3)).toEqual({
      id: remoteId,
      status: 'receiving',
      receivedRanges: [
        [0, 0],
        [2, 3],
      ],
    });
    const early = await api(portal, 'POST', `/api/federation/files/${remoteId}/complete`, { key });
    expect(await early.json()).toEqual({
      id: remoteId,
      status: 'receiving',
      receivedRanges: [
        [0, 0],
        [2, 3],
      ],
    });
    expect(await put(1)).toEqual({ id: remoteId, status: 'receiving', receivedRanges: [[0, 3]] });
    const done = await api(portal, 'POST', `/api/federation/files/${remoteId}/complete`, { key });
    expect(await done.json()).toEqual({ id: remoteId, status: 'received', receivedRanges: [[0, 3]] });
    const copy = (await portal.client().listFiles({ direction: 'in' })).find((f) => f.name === 'fed.bin')!;
    expect(filesUnder(join(portal.dataDir, 'files', copy.id))).toEqual(['0.chunk', '1.chunk', '2.chunk', '3.chunk']);
  });
});
