import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { contentDigestFromHex } from '../src/common/http-signatures';
import { sha256Hex } from '../src/common/secrets';
import { Contact } from '../src/contacts/entities/contact.entity';
import {
  api,
  bytes,
  filesUnder,
  freePort,
  insertContact,
  insertedPeer,
  putRaw,
  sha256,
  signedHeaders,
  startPeer,
  statusOf,
  TEST_DATABASE_URL,
  type TestPortal,
  waitFor,
} from '@agent-p2p/testing';
import { createLogger } from '../src/common/logger';
import { createPortalApp, initPortalApp, type PortalApp } from '../src/configure-app';
const CHUNK = 64 * 1024;
const MAX_FILE = 1024 * 1024;
const QUOTA = 5 * MAX_FILE;
const ROUNDS = 10;

const octet = (sha: string): Record<string, string> => ({ 'content-type': 'application/octet-stream', 'x-chunk-sha256': sha });

/**
 * A chunk PUT whose body arrives in two halves: the second only once release() is called. The
 * request reaches the Portal (and its part file appears) before the second half is sent, so
 * another writer of the same chunk can finish in between.
 */
function slowPut(url: string, body: Buffer, key: string): { response: Promise<Response>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const half = Math.floor(body.length / 2);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new Uint8Array(body.subarray(0, half)));
      await released;
      controller.enqueue(new Uint8Array(body.subarray(half)));
      controller.close();
    },
  });
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...octet(sha256(body)) };
  // To a federation route, signed as the contact's Portal signs a chunk (Content-Digest names X-Chunk-Sha256).
  const signed = url.includes('/api/federation/')
    ? signedHeaders(insertedPeer, url, { method: 'PUT', headers: { ...headers, 'content-digest': contentDigestFromHex(sha256(body)) } })
    : Promise.resolve(headers);
  const response = signed.then((sent) => fetch(url, { method: 'PUT', headers: sent, body: stream, duplex: 'half' } as RequestInit));
  return { response, release };
}

/**
 * Two writers raced chunk 0 with the right and the wrong bytes. Either the right bytes won (stored,
 * and the other writer is refused), or the wrong ones won and the whole-file check failed the
 * upload; never a verified file with other bytes.
 */
async function expectOneWriterWon(portal: TestPortal, id: string, answers: Array<{ status: number }>, good: Uint8Array): Promise<void> {
  const file = await portal.client().getFile(id);
  const statuses = answers.map((answer) => answer.status).join('/');
  if (file.status === 'stored') {
    expect(statuses).toBe('200/409');
    expect(await contentSha(portal, id)).toBe(sha256(good));
  } else {
    expect({ statuses, status: file.status }).toEqual({ statuses: '409/422', status: 'failed' });
  }
}

async function contentSha(portal: TestPortal, id: string): Promise<string> {
  const response = await api(portal, 'GET', `/api/files/${id}/content`);
  expect(response.status).toBe(200);
  return createHash('sha256')
    .update(Buffer.from(await response.arrayBuffer()))
    .digest('hex');
}

const partsOf = (portal: TestPortal, id: string): string[] =>
  filesUnder(join(portal.dataDir, 'files', id)).filter((name) => name.includes('.part-'));

describe('two writers of one chunk', () => {
  let portal: TestPortal;
  let key: string;

  beforeAll(async () => {
    portal = await startPeer({
      env: { PORTAL_FILE_CHUNK_BYTES: String(CHUNK), PORTAL_FILE_MIN_CHUNK_BYTES: String(CHUNK), PORTAL_MAX_FILE_BYTES: String(MAX_FILE) },
    });
    key = await insertContact(portal);
  });

  afterAll(async () => {
    await portal?.destroy();
  });

  const offer = async (data: Buffer, chunkSize = CHUNK): Promise<{ remoteId: string; name: string }> => {
    const remoteId = randomUUID();
    const name = `${remoteId}.bin`;
    const body = { id: remoteId, name, size: data.length, sha256: sha256(data), mime: 'application/octet-stream', chunkSize };
    expect((await api(portal, 'POST', '/api/federation/files', { key, body })).status).toBe(200);
    return { remoteId, name };
  };
  const localIdOf = async (name: string): Promise<string> =>
    (await portal.client().listFiles({ direction: 'in' })).find((f) => f.name === name)!.id;

  it('agent route: a slower writer of a stored chunk is refused (409) and the bytes stay those the file was verified with', async () => {
    const good = bytes(CHUNK, 11);
    const other = bytes(CHUNK, 12);
    const upload = await portal.client().createFileUpload({ name: 'slow.bin', size: CHUNK, sha256: sha256(good) });
    const slow = slowPut(`${portal.url}/api/files/${upload.id}/chunks/0`, other, portal.ownerKey);
    await waitFor('the slow writer to start its part file', async () => partsOf(portal, upload.id).length === 1);
    const receipt = await portal.client().uploadFileChunk(upload.id, 0, good, sha256(good));
    expect(receipt).toMatchObject({ stored: true, status: 'stored' });
    slow.release();
    expect((await slow.response).status).toBe(409);
    expect(await portal.client().getFile(upload.id)).toMatchObject({ status: 'stored', contentAvailable: true });
    expect(await contentSha(portal, upload.id)).toBe(sha256(good));
    expect(filesUnder(join(portal.dataDir, 'files', upload.id))).toEqual(['0.chunk']);
  });

  it('federation route: a slower writer of a stored chunk is refused (409) and the file verifies with the stored bytes', async () => {
    const good = bytes(CHUNK, 21);
    const other = bytes(CHUNK, 22);
    const { remoteId, name } = await offer(good);
    const id = await localIdOf(name);
    const slow = slowPut(`${portal.url}/api/federation/files/${remoteId}/chunks/0`, other, key);
    await waitFor('the slow writer to start its part file', async () => partsOf(portal, id).length === 1);
    expect((await putRaw(`${portal.url}/api/federation/files/${remoteId}/chunks/0`, good, octet(sha256(good)), key)).status).toBe(200);
    slow.release();
    expect((await slow.response).status).toBe(409);
    const complete = await api(portal, 'POST', `/api/federation/files/${remoteId}/complete`, { key });
    expect({ status: complete.status, body: await complete.json() }).toMatchObject({ status: 200, body: { status: 'received' } });
    expect(await contentSha(portal, id)).toBe(sha256(good));
  });

  it(`agent route: ${ROUNDS} rounds of two parallel writers with different bytes never leave a verified file with other bytes`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const good = bytes(2 * CHUNK, 100 + round);
      const other = bytes(CHUNK, 200 + round);
      const upload = await portal.client().createFileUpload({ name: `burst-${round}.bin`, size: good.length, sha256: sha256(good) });
      const last = good.subarray(CHUNK);
      await portal.client().uploadFileChunk(upload.id, 1, last, sha256(last));
      const first = good.subarray(0, CHUNK);
      const url = `${portal.url}/api/files/${upload.id}/chunks/0`;
      const [a, b] = await Promise.all([
        putRaw(url, first, octet(sha256(first)), portal.ownerKey),
        putRaw(url, other, octet(sha256(other)), portal.ownerKey),
      ]);
      await expectOneWriterWon(portal, upload.id, [a, b], good);
      expect(partsOf(portal, upload.id)).toEqual([]);
    }
  });

  it(`federation route: ${ROUNDS} rounds of two parallel writers with different bytes never leave a received file with other bytes`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const good = bytes(CHUNK, 300 + round);
      const other = bytes(CHUNK, 400 + round);
      const { remoteId, name } = await offer(good);
      const url = `${portal.url}/api/federation/files/${remoteId}/chunks/0`;
      const [a, b] = await Promise.all([putRaw(url, good, octet(sha256(good)), key), putRaw(url, other, octet(sha256(other)), key)]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const complete = await api(portal, 'POST', `/api/federation/files/${remoteId}/complete`, { key });
      const id = await localIdOf(name);
      if (a.status === 200) {
        expect(complete.status).toBe(200);
        expect(await contentSha(portal, id)).toBe(sha256(good));
      } else {
        expect(complete.status).toBe(422);
        expect(await portal.client().getFile(id)).toMatchObject({ status: 'failed', contentAvailable: false });
      }
      expect(partsOf(portal, id)).toEqual([]);
    }
  });

  it('parallel writers of identical bytes: one stores the chunk, the others answer stored: false', async () => {
    const data = bytes(CHUNK, 31);
    const upload = await portal
      .client()
      .createFileUpload({ name: 'same.bin', size: 2 * CHUNK, sha256: sha256(Buffer.concat([data, data])) });
    const receipts = await Promise.all(Array.from({ length: 6 }, () => portal.client().uploadFileChunk(upload.id, 0, data, sha256(data))));
    expect(receipts.filter((receipt) => receipt.stored)).toHaveLength(1);
    expect(filesUnder(join(portal.dataDir, 'files', upload.id))).toEqual(['0.chunk']);
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)(
  'two writers of one chunk on two instances sharing one PostgreSQL database and data directory',
  () => {
    let portal: TestPortal;
    let second: PortalApp | null = null;
    let secondUrl = '';

    beforeAll(async () => {
      portal = await startPeer({
        env: {
          PORTAL_FILE_CHUNK_BYTES: String(CHUNK),
          PORTAL_FILE_MIN_CHUNK_BYTES: String(CHUNK),
          PORTAL_MAX_FILE_BYTES: String(MAX_FILE),
        },
      });
      const port = await freePort();
      second = await createPortalApp({
        config: { ...portal.config, port },
        logger: createLogger('silent'),
        database: { postgresSchema: portal.schema! },
      });
      await initPortalApp(second);
      await second.app.listen({ port, host: '127.0.0.1' });
      secondUrl = `http://127.0.0.1:${port}`;
    });

    afterAll(async () => {
      await second?.app.close();
      await portal?.destroy();
    });

    it('a slower writer on the other instance is refused (409); the stored bytes are the verified ones', async () => {
      const good = bytes(CHUNK, 51);
      const other = bytes(CHUNK, 52);
      const upload = await portal.client().createFileUpload({ name: 'two.bin', size: CHUNK, sha256: sha256(good) });
      const slow = slowPut(`${secondUrl}/api/files/${upload.id}/chunks/0`, other, portal.ownerKey);
      await waitFor('the slow writer to start its part file', async () => partsOf(portal, upload.id).length === 1);
      expect(await portal.client().uploadFileChunk(upload.id, 0, good, sha256(good))).toMatchObject({ stored: true, status: 'stored' });
      slow.release();
      expect((await slow.response).status).toBe(409);
      expect(await contentSha(portal, upload.id)).toBe(sha256(good));
    });

    it(`${ROUNDS} rounds of parallel writers with different bytes, one per instance: never a verified file with other bytes`, async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const good = bytes(CHUNK, 500 + round);
        const other = bytes(CHUNK, 600 + round);
        const upload = await portal.client().createFileUpload({ name: `two-${round}.bin`, size: CHUNK, sha256: sha256(good) });
        const [a, b] = await Promise.all([
          putRaw(`${portal.url}/api/files/${upload.id}/chunks/0`, good, octet(sha256(good)), portal.ownerKey),
          putRaw(`${secondUrl}/api/files/${upload.id}/chunks/0`, other, octet(sha256(other)), portal.ownerKey),
        ]);
        await expectOneWriterWon(portal, upload.id, [a, b], good);
      }
    });
  },
);

describe('quota reservations under parallel requests', () => {
  let portal: TestPortal;

  beforeAll(async () => {
    portal = await startPeer({
      env: {
        PORTAL_FILE_CHUNK_BYTES: String(CHUNK),
        PORTAL_FILE_MIN_CHUNK_BYTES: String(CHUNK),
        PORTAL_MAX_FILE_BYTES: String(MAX_FILE),
        PORTAL_CONTACT_FILE_QUOTA_BYTES: String(QUOTA),
      },
    });
  });

  afterAll(async () => {
    await portal?.destroy();
  });

  const PARALLEL = 20;
  const FITS = QUOTA / MAX_FILE;
  const tally = (statuses: number[]): Record<number, number> =>
    statuses.reduce<Record<number, number>>((out, s) => ({ ...out, [s]: (out[s] ?? 0) + 1 }), {});
  const contactIdOf = async (key: string): Promise<number> =>
    (
      await portal.app
        .get(DataSource)
        .getRepository(Contact)
        .findOneByOrFail({ keyHash: sha256Hex(key) })
    ).id;

  it(`${PARALLEL} parallel local uploads of ${MAX_FILE} bytes: exactly ${FITS} fit the quota, the rest 507`, async () => {
    const statuses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        statusOf(portal.client().createFileUpload({ name: `l${i}.bin`, size: MAX_FILE, sha256: 'a'.repeat(64) })),
      ),
    );
    expect(tally(statuses)).toEqual({ 200: FITS, 507: PARALLEL - FITS });
    expect(await portal.client().listFiles({ direction: 'local' })).toHaveLength(FITS);
  });

  it(`${PARALLEL} parallel uploads to one contact: exactly ${FITS} fit its quota, the rest 507`, async () => {
    const contactId = await contactIdOf(await insertContact(portal));
    const statuses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        statusOf(portal.client().createFileUpload({ contactId, name: `o${i}.bin`, size: MAX_FILE, sha256: 'b'.repeat(64) })),
      ),
    );
    expect(tally(statuses)).toEqual({ 200: FITS, 507: PARALLEL - FITS });
    expect(await portal.client().listFiles({ contactId })).toHaveLength(FITS);
  });

  it(`${PARALLEL} parallel offers from one contact: exactly ${FITS} fit its quota, the rest 507`, async () => {
    const key = await insertContact(portal);
    const contactId = await contactIdOf(key);
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        api(portal, 'POST', '/api/federation/files', {
          key,
          body: {
            id: randomUUID(),
            name: `in${i}.bin`,
            size: MAX_FILE,
            sha256: 'c'.repeat(64),
            mime: 'application/octet-stream',
            chunkSize: CHUNK,
          },
        }),
      ),
    );
    expect(tally(responses.map((r) => r.status))).toEqual({ 200: FITS, 507: PARALLEL - FITS });
    expect(await portal.client().listFiles({ contactId })).toHaveLength(FITS);
  });
});
