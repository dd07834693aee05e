import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chunkCount, createPortalClient, type FileChunkReceipt, type FileTransfer, PortalApiError } from '@agent-p2p/sdk';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { FilesService } from '../src/files/files.service';
import { PeerClient, PeerError, type PeerRequest } from '../src/federation/peer-client';
import {
  api,
  bytes,
  connect,
  eventsOf,
  expectError,
  filesUnder,
  freePort,
  insertContact,
  putRaw,
  sendFile,
  sha256,
  startPeer,
  TEST_DATABASE_URL,
  type TestPortal,
  waitFor,
} from '@agent-p2p/testing';
import { createLogger } from '../src/common/logger';
import { createPortalApp, initPortalApp, type PortalApp } from '../src/configure-app';
const CHUNK = 4096;
const FILE_ENV = { PORTAL_FILE_CHUNK_BYTES: String(CHUNK), PORTAL_FILE_MIN_CHUNK_BYTES: String(CHUNK) };

describe('files between two Portals', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;

  beforeAll(async () => {
    a = await startPeer({ env: FILE_ENV });
    b = await startPeer({ env: FILE_ENV });
    ({ aContactId, bContactId } = await connect(a, b));
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  const filesDir = (portal: TestPortal): string => join(portal.dataDir, 'files');

  it('relays a file chunk by chunk; B verifies it, offers it to its agent, A learns it was delivered', async () => {
    const data = bytes(CHUNK * 3 + 123, 7);
    const id = await sendFile(a.client(), aContactId, data, { name: 'report.pdf', mime: 'application/pdf' });
    const received = await waitFor('file.received on B', async () =>
      (await eventsOf(b, 'file.received')).find((e) => e.payload.sha256 === sha256(data)),
    );
    expect(received.payload).toEqual({
      fileId: expect.any(String),
      contactId: bContactId,
      contactName: expect.any(String),
      name: 'report.pdf',
      size: data.length,
      mime: 'application/pdf',
      sha256: sha256(data),
    });
    const delivered = await waitFor('file.delivered on A', async () =>
      (await eventsOf(a, 'file.delivered')).find((e) => e.payload.fileId === id),
    );
    expect(delivered.payload).toEqual({ fileId: id, contactId: aContactId, deliveredAt: expect.any(String) });

    const sent = await a.client().getFile(id);
    expect(sent).toMatchObject({ status: 'delivered', direction: 'out', chunks: 4, receivedRanges: [[0, 3]], contentAvailable: true });
    expect(sent.delivery).toMatchObject({ status: 'delivered', step: 'complete' });

    const fileId = received.payload.fileId as string;
    const copy = await b.client().getFile(fileId);
    expect(copy).toMatchObject({ status: 'received', direction: 'in', contactId: bContactId, size: data.length, sha256: sha256(data) });
    const response = await b.client().downloadFile(fileId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(data.length));
    expect(response.headers.get('x-file-sha256')).toBe(sha256(data));
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    // Stored by B's own id, chunk by chunk: never under the sender's name or id.
    expect(filesUnder(filesDir(b)).filter((p) => p.startsWith(fileId))).toEqual([0, 1, 2, 3].map((i) => join(fileId, `${i}.chunk`)));
    expect((await b.client().listFiles({ direction: 'in', contactId: bContactId })).map((f) => f.id)).toContain(fileId);
    expect((await a.client().listFiles({ direction: 'in' })).map((f) => f.id)).not.toContain(id);
  });

  it('creating the same id twice returns the same upload; a different file under that id is 409', async () => {
    const data = bytes(100, 3);
    const id = randomUUID();
    const first = await a
      .client()
      .createFileUpload({ id, contactId: aContactId, name: 'x.txt', size: 100, sha256: sha256(data), mime: 'text/plain' });
    const again = await a
      .client()
      .createFileUpload({ id, contactId: aContactId, name: 'x.txt', size: 100, sha256: sha256(data), mime: 'text/plain' });
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ chunkSize: CHUNK, chunks: 1, status: 'uploading' });
    const response = await api(a, 'POST', '/api/files', {
      body: { id, contactId: aContactId, name: 'x.txt', size: 101, sha256: sha256(data) },
    });
    await expectError(response, 409);
    await a.client().deleteFile(id);
    await expect(a.client().getFile(id)).rejects.toMatchObject({ status: 404 });
  });

  it('a corrupted chunk is refused and nothing is kept; sent again correctly it is stored, and re-sending it is harmless', async () => {
    const data = bytes(CHUNK * 2, 11);
    const upload = await a.client().createFileUpload({ contactId: aContactId, name: 'c.bin', size: data.length, sha256: sha256(data) });
    const chunk0 = data.subarray(0, CHUNK);
    const corrupted = Buffer.from(chunk0);
    corrupted[10] ^= 0xff;
    const refused = await putRaw(
      `${a.url}/api/files/${upload.id}/chunks/0`,
      corrupted,
      {
        'content-type': 'application/octet-stream',
        'x-chunk-sha256': sha256(chunk0),
      },
      a.ownerKey,
    );
    await expectError(refused, 422);
    expect((await a.client().getFile(upload.id)).receivedRanges).toEqual([]);
    expect(filesUnder(join(filesDir(a), upload.id))).toEqual([]);
    const stored = await a.client().uploadFileChunk(upload.id, 0, chunk0, sha256(chunk0));
    expect(stored).toMatchObject({ index: 0, stored: true, receivedRanges: [[0, 0]], status: 'uploading' });
    const again = await a.client().uploadFileChunk(upload.id, 0, chunk0, sha256(chunk0));
    expect(again).toMatchObject({ index: 0, stored: false, receivedRanges: [[0, 0]] });
    const chunk1 = data.subarray(CHUNK);
    const last = await a.client().uploadFileChunk(upload.id, 1, new Blob([new Uint8Array(chunk1)]), sha256(chunk1));
    expect(last.status).toBe('sending');
    await waitFor('the file to be delivered', async () => (await a.client().getFile(upload.id)).status === 'delivered');
  });

  /** B's copy of a file A sends, found by its (unique) name. */
  const copyOnB = async (name: string): Promise<FileTransfer | undefined> =>
    (await b.client().listFiles({ direction: 'in' })).find((f) => f.name === name);
  const chunkOf = (data: Buffer, index: number): Buffer => data.subarray(index * CHUNK, (index + 1) * CHUNK);
  const upload = (id: string, data: Buffer, index: number): Promise<FileChunkReceipt> =>
    a.client().uploadFileChunk(id, index, chunkOf(data, index), sha256(chunkOf(data, index)));

  it('relays while the agent is still uploading: B holds the chunks of an upload A has not finished', async () => {
    const data = bytes(CHUNK * 3 + 7, 43);
    const file = await a.client().createFileUpload({ contactId: aContactId, name: 'early.bin', size: data.length, sha256: sha256(data) });
    await upload(file.id, data, 0);
    await upload(file.id, data, 1);
    const partial = await waitFor('B to hold chunks 0 and 1', async () => {
      const copy = await copyOnB('early.bin');
      return copy && chunkCount(copy.receivedRanges) === 2 ? copy : undefined;
    });
    expect(partial).toMatchObject({ status: 'receiving', receivedRanges: [[0, 1]], contentAvailable: false, sha256: sha256(data) });
    // A learns B's answer and its relay then waits for the upload: no step pending.
    const waiting = await waitFor("A to take B's answer", async () => {
      const sent = await a.client().getFile(file.id);
      return sent.delivery?.status === 'delivered' ? sent : undefined;
    });
    expect(waiting).toMatchObject({ status: 'uploading', receivedRanges: [[0, 1]], delivery: { status: 'delivered', step: 'chunk' } });
    // Nothing is offered to B's agent before the whole file is there and verified.
    expect((await eventsOf(b, 'file.received')).map((e) => e.payload.name)).not.toContain('early.bin');
    await upload(file.id, data, 2);
    expect((await upload(file.id, data, 3)).status).toBe('sending');
    await waitFor('the file to be delivered', async () => (await a.client().getFile(file.id)).status === 'delivered');
    const copy = await copyOnB('early.bin');
    expect(copy).toMatchObject({ status: 'received', receivedRanges: [[0, 3]], sha256: sha256(data) });
    expect(Buffer.from(await (await b.client().downloadFile(copy!.id)).arrayBuffer()).equals(data)).toBe(true);
  });

  it('a relay waiting for the upload survives a restart of A and goes on with the next chunk, sending nothing twice', async () => {
    const data = bytes(CHUNK * 3, 47);
    const file = await a.client().createFileUpload({ contactId: aContactId, name: 'waiting.bin', size: data.length, sha256: sha256(data) });
    await upload(file.id, data, 0);
    await waitFor('B to hold chunk 0', async () => chunkCount((await copyOnB('waiting.bin'))?.receivedRanges ?? []) === 1);
    await waitFor('the relay to wait for the upload', async () => (await a.client().getFile(file.id)).delivery?.status === 'delivered');
    await a.stop();
    await a.start();
    const received: number[] = [];
    const service = b.app.get(FilesService);
    const receiveChunk = service.receiveChunk.bind(service);
    service.receiveChunk = (caller, remoteId, chunk) => {
      received.push(Number(chunk.index));
      return receiveChunk(caller, remoteId, chunk);
    };
    try {
      await upload(file.id, data, 1);
      await upload(file.id, data, 2);
      await waitFor('the file to be delivered', async () => (await a.client().getFile(file.id)).status === 'delivered');
    } finally {
      service.receiveChunk = receiveChunk;
    }
    expect(received).toEqual([1, 2]);
    expect(await copyOnB('waiting.bin')).toMatchObject({ status: 'received', sha256: sha256(data) });
  });

  it('a wrong whole-file hash found after part of the file was relayed: A fails it (422, file.failed), B drops its copy and never offers it', async () => {
    const data = bytes(CHUNK * 2 + 5, 13);
    const wrong = sha256(Buffer.from('something else'));
    const file = await a.client().createFileUpload({ contactId: aContactId, name: 'w.bin', size: data.length, sha256: wrong });
    await upload(file.id, data, 0);
    await upload(file.id, data, 1);
    await waitFor('B to hold chunks 0 and 1', async () => chunkCount((await copyOnB('w.bin'))?.receivedRanges ?? []) === 2);
    const error = await upload(file.id, data, 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortalApiError);
    expect((error as PortalApiError).status).toBe(422);
    expect(await a.client().getFile(file.id)).toMatchObject({
      status: 'failed',
      contentAvailable: false,
      error: expect.stringMatching(/SHA-256/),
    });
    expect((await eventsOf(a, 'file.failed')).map((e) => e.payload)).toContainEqual({
      fileId: file.id,
      contactId: aContactId,
      direction: 'out',
      name: 'w.bin',
      error: expect.stringMatching(/SHA-256/),
    });
    expect(filesUnder(join(filesDir(a), file.id))).toEqual([]);
    // B is told to drop its partial copy: it fails there, its bytes go, and its agent is never offered it.
    // The status changes at the commit; the bytes go right after it.
    const copy = await waitFor('B to drop its copy', async () => {
      const found = await copyOnB('w.bin');
      return found?.status === 'failed' && filesUnder(join(filesDir(b), found.id)).length === 0 ? found : undefined;
    });
    expect(copy).toMatchObject({ contentAvailable: false, receivedRanges: [], error: expect.stringMatching(/cancelled/) });
    expect(filesUnder(join(filesDir(b), copy.id))).toEqual([]);
    expect((await eventsOf(b, 'file.received')).map((e) => e.payload.name)).not.toContain('w.bin');
    expect((await eventsOf(b, 'file.failed')).map((e) => e.payload)).toContainEqual(
      expect.objectContaining({ fileId: copy.id, direction: 'in' }),
    );
    // Late chunks are refused with the reason.
    const late = await upload(file.id, data, 2).catch((e: unknown) => e);
    expect(late).toMatchObject({ status: 409, message: expect.stringMatching(/SHA-256/) });
  });

  it('deleting a file while it is relayed stops the relay and B drops its partial copy', async () => {
    const data = bytes(CHUNK * 3, 53);
    const file = await a.client().createFileUpload({ contactId: aContactId, name: 'deleted.bin', size: data.length, sha256: sha256(data) });
    await upload(file.id, data, 0);
    await waitFor('B to hold chunk 0', async () => chunkCount((await copyOnB('deleted.bin'))?.receivedRanges ?? []) === 1);
    await a.client().deleteFile(file.id);
    const copy = await waitFor('B to drop its copy', async () => {
      const found = await copyOnB('deleted.bin');
      return found?.status === 'failed' && filesUnder(join(filesDir(b), found.id)).length === 0 ? found : undefined;
    });
    expect(copy).toMatchObject({ contentAvailable: false, receivedRanges: [] });
    expect(filesUnder(join(filesDir(b), copy.id))).toEqual([]);
    expect(filesUnder(join(filesDir(a), file.id))).toEqual([]);
  });

  it('a wrong whole-file hash at the receiver fails the transfer there (422, file.failed) and the agent is never offered the file', async () => {
    const key = await insertContact(b);
    const data = bytes(CHUNK + 10, 17);
    const remoteId = randomUUID();
    const offer = await api(b, 'POST', '/api/federation/files', {
      key,
      body: {
        id: remoteId,
        name: 'evil.bin',
        size: data.length,
        sha256: sha256(Buffer.from('not it')),
        mime: 'application/octet-stream',
        chunkSize: CHUNK,
      },
    });
    expect(offer.status).toBe(200);
    expect(await offer.json()).toEqual({ id: remoteId, status: 'receiving', receivedRanges: [] });
    for (const [index, chunk] of [data.subarray(0, CHUNK), data.subarray(CHUNK)].entries()) {
      const put = await putRaw(
        `${b.url}/api/federation/files/${remoteId}/chunks/${index}`,
        chunk,
        {
          'content-type': 'application/octet-stream',
          'x-chunk-sha256': sha256(chunk),
        },
        key,
      );
      expect(put.status).toBe(200);
    }
    const receivedBefore = (await eventsOf(b, 'file.received')).length;
    const complete = await api(b, 'POST', `/api/federation/files/${remoteId}/complete`, { key });
    await expectError(complete, 422);
    const failed = (await eventsOf(b, 'file.failed')).find((e) => e.payload.name === 'evil.bin');
    expect(failed?.payload).toMatchObject({ direction: 'in', error: expect.stringMatching(/SHA-256/) });
    expect((await eventsOf(b, 'file.received')).length).toBe(receivedBefore);
    const fileId = failed!.payload.fileId as string;
    expect(await b.client().getFile(fileId)).toMatchObject({ status: 'failed', contentAvailable: false });
    await expect(b.client().downloadFile(fileId)).rejects.toMatchObject({ status: 409 });
    expect(filesUnder(join(filesDir(b), fileId))).toEqual([]);
    // Asking again does not turn it into a success.
    await expectError(await api(b, 'POST', `/api/federation/files/${remoteId}/complete`, { key }), 422);
  });

  it('a whole-file hash that does not match at the receiver fails the transfer on both sides; B never offers the file', async () => {
    // The offer reaches B with a different hash than the chunks add up to (a sender bug or tampering on the way).
    const peers = a.app.get(PeerClient);
    const send = peers.send.bind(peers);
    const forged = sha256(Buffer.from('forged'));
    peers.send = (request: PeerRequest) =>
      send(request.path === '/api/federation/files' ? { ...request, body: { ...(request.body as object), sha256: forged } } : request);
    try {
      const data = bytes(CHUNK * 2 + 1, 37);
      const receivedBefore = (await eventsOf(b, 'file.received')).length;
      const id = await sendFile(a.client(), aContactId, data, { name: 'tampered.bin' });
      const failedOnA = await waitFor('file.failed on A', async () =>
        (await eventsOf(a, 'file.failed')).find((e) => e.payload.fileId === id),
      );
      expect(failedOnA.payload).toEqual({
        fileId: id,
        contactId: aContactId,
        direction: 'out',
        name: 'tampered.bin',
        error: expect.stringMatching(/^422 .*SHA-256/),
      });
      expect(await a.client().getFile(id)).toMatchObject({ status: 'failed', delivery: { status: 'failed', step: 'complete' } });
      const failedOnB = (await eventsOf(b, 'file.failed')).find((e) => e.payload.name === 'tampered.bin');
      expect(failedOnB?.payload).toMatchObject({ contactId: bContactId, direction: 'in', error: expect.stringMatching(/SHA-256/) });
      expect((await eventsOf(b, 'file.received')).length).toBe(receivedBefore);
      const copy = await b.client().getFile(failedOnB!.payload.fileId as string);
      expect(copy).toMatchObject({ status: 'failed', contentAvailable: false, receivedRanges: [] });
      expect(filesUnder(join(filesDir(b), copy.id))).toEqual([]);
    } finally {
      peers.send = send;
    }
  });

  it('a corrupted chunk from a peer is refused (422), not kept, and accepted when re-sent', async () => {
    const key = await insertContact(b);
    const data = bytes(CHUNK, 19);
    const remoteId = randomUUID();
    expect(
      (
        await api(b, 'POST', '/api/federation/files', {
          key,
          body: {
            id: remoteId,
            name: 'p.bin',
            size: data.length,
            sha256: sha256(data),
            mime: 'application/octet-stream',
            chunkSize: CHUNK,
          },
        })
      ).status,
    ).toBe(200);
    const bad = Buffer.from(data);
    bad[0] ^= 1;
    const headers = { 'content-type': 'application/octet-stream', 'x-chunk-sha256': sha256(data) };
    await expectError(await putRaw(`${b.url}/api/federation/files/${remoteId}/chunks/0`, bad, headers, key), 422);
    const good = await putRaw(`${b.url}/api/federation/files/${remoteId}/chunks/0`, data, headers, key);
    expect(await good.json()).toEqual({ id: remoteId, status: 'receiving', receivedRanges: [[0, 0]] });
    const complete = await api(b, 'POST', `/api/federation/files/${remoteId}/complete`, { key });
    expect(await complete.json()).toEqual({ id: remoteId, status: 'received', receivedRanges: [[0, 0]] });
  });

  it('messages to the contact are not held back behind a transfer', async () => {
    const data = bytes(CHUNK * 40, 23);
    const id = await sendFile(a.client(), aContactId, data, { name: 'big.bin' });
    const message = await a.client().sendMessage(aContactId, 'while the file travels');
    await waitFor('the message', async () => (await a.client().getMessage(message.id)).status === 'delivered');
    const file = await a.client().getFile(id);
    // The message went through while the file was still on its way (at most a chunk later).
    expect(file.status === 'sending' || file.status === 'delivered').toBe(true);
    await waitFor('the file', async () => (await a.client().getFile(id)).status === 'delivered', 30_000);
  });

  it('a restart of the sending Portal mid-relay resumes without re-sending chunks B confirmed', async () => {
    // Chunks B confirmed to A (2xx) before A stops. After 20 of them the network to B goes down
    // (the relay runs during the upload and could otherwise finish before A is stopped).
    const sends: Array<{ index: number; ok: boolean }> = [];
    const peers = a.app.get(PeerClient);
    const send = peers.send.bind(peers);
    peers.send = async (request: PeerRequest) => {
      const match = /\/chunks\/(\d+)$/.exec(request.path);
      if (match && sends.filter((s) => s.ok).length >= 20) {
        sends.push({ index: Number(match[1]), ok: false });
        throw new PeerError('network', 'ECONNRESET');
      }
      const response = await send(request).catch((error: unknown) => {
        if (match) sends.push({ index: Number(match[1]), ok: false });
        throw error;
      });
      if (match) sends.push({ index: Number(match[1]), ok: response.status === 200 });
      return response;
    };
    const data = bytes(CHUNK * 300, 41);
    const id = await sendFile(a.client(), aContactId, data, { name: 'restart.bin' });
    await waitFor('B to confirm some chunks', async () => sends.filter((s) => s.ok).length >= 20);
    await a.stop();
    const confirmedBeforeStop = new Set(sends.filter((s) => s.ok).map((s) => s.index));
    expect(confirmedBeforeStop.size).toBeLessThan(300);
    // After the restart, B's side sees every chunk call (A's outbox starts before a spy could be put on it).
    const receivedAfterRestart: number[] = [];
    const service = b.app.get(FilesService);
    const receiveChunk = service.receiveChunk.bind(service);
    service.receiveChunk = (caller, remoteId, upload) => {
      receivedAfterRestart.push(Number(upload.index));
      return receiveChunk(caller, remoteId, upload);
    };
    try {
      await a.start();
      await waitFor('the file to be delivered', async () => (await a.client().getFile(id)).status === 'delivered', 30_000);
    } finally {
      service.receiveChunk = receiveChunk;
    }
    expect(receivedAfterRestart.filter((index) => confirmedBeforeStop.has(index))).toEqual([]);
    expect(new Set([...confirmedBeforeStop, ...receivedAfterRestart]).size).toBe(300);
    const copy = (await b.client().listFiles({ direction: 'in' })).find((f) => f.name === 'restart.bin');
    expect(copy).toMatchObject({ status: 'received', sha256: sha256(data) });
  });

  it('expired uploads and delivered copies are cleaned up', async () => {
    const data = bytes(CHUNK * 2, 29);
    const upload = await a.client().createFileUpload({ contactId: aContactId, name: 'slow.bin', size: data.length, sha256: sha256(data) });
    await a.client().uploadFileChunk(upload.id, 0, data.subarray(0, CHUNK), sha256(data.subarray(0, CHUNK)));
    const delivered = (await a.client().listFiles({ direction: 'out' })).find((f) => f.status === 'delivered')!;
    const service = a.app.get(FilesService);
    await service.sweep(new Date(Date.now() + 23 * 3_600_000));
    expect((await a.client().getFile(upload.id)).status).toBe('uploading');
    expect((await a.client().getFile(delivered.id)).contentAvailable).toBe(true);
    await service.sweep(new Date(Date.now() + 73 * 3_600_000));
    expect(await a.client().getFile(upload.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/expired/),
      contentAvailable: false,
    });
    expect(filesUnder(join(filesDir(a), upload.id))).toEqual([]);
    expect(await a.client().getFile(delivered.id)).toMatchObject({ status: 'delivered', contentAvailable: false });
    expect(filesUnder(join(filesDir(a), delivered.id))).toEqual([]);
    await expect(a.client().downloadFile(delivered.id)).rejects.toMatchObject({ status: 409 });
  });
});

describe('a contact removed while a file is relayed', () => {
  let a: TestPortal;
  let c: TestPortal;

  beforeAll(async () => {
    a = await startPeer({ env: FILE_ENV });
    c = await startPeer({ env: FILE_ENV });
  });

  afterAll(async () => {
    await a?.destroy();
    await c?.destroy();
  });

  it("fails the file on A with file.failed; the agent's next chunks are refused with the reason", async () => {
    const { aContactId } = await connect(a, c);
    const data = bytes(CHUNK * 3, 59);
    const chunk = (index: number): Buffer => data.subarray(index * CHUNK, (index + 1) * CHUNK);
    const file = await a.client().createFileUpload({ contactId: aContactId, name: 'gone.bin', size: data.length, sha256: sha256(data) });
    await a.client().uploadFileChunk(file.id, 0, chunk(0), sha256(chunk(0)));
    await waitFor(
      'C to hold chunk 0',
      async () =>
        chunkCount((await c.client().listFiles({ direction: 'in' })).find((f) => f.name === 'gone.bin')?.receivedRanges ?? []) === 1,
    );
    await a.client().removeContact(aContactId);
    // The next chunk is stored, but its relay step cannot go anywhere: the transfer fails.
    await a.client().uploadFileChunk(file.id, 1, chunk(1), sha256(chunk(1)));
    const failed = await waitFor('file.failed on A', async () =>
      (await eventsOf(a, 'file.failed')).find((e) => e.payload.fileId === file.id),
    );
    expect(failed.payload).toMatchObject({ direction: 'out', name: 'gone.bin' });
    expect(await a.client().getFile(file.id)).toMatchObject({ status: 'failed' });
    await expect(a.client().uploadFileChunk(file.id, 2, chunk(2), sha256(chunk(2)))).rejects.toMatchObject({ status: 409 });
    expect((await eventsOf(c, 'file.received')).map((e) => e.payload.name)).not.toContain('gone.bin');
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)('a file uploaded through two instances of A on one PostgreSQL database', () => {
  let a: TestPortal;
  let b: TestPortal;
  let second: PortalApp | null = null;

  beforeAll(async () => {
    a = await startPeer({ env: FILE_ENV });
    b = await startPeer({ env: FILE_ENV });
  });

  afterAll(async () => {
    await second?.app.close();
    await a?.destroy();
    await b?.destroy();
  });

  it('chunks stored on either instance feed one relay: B receives each chunk once and verifies the file', async () => {
    const { aContactId } = await connect(a, b);
    const port = await freePort();
    second = await createPortalApp({
      config: { ...a.config, port },
      logger: createLogger('silent'),
      database: { postgresSchema: a.schema! },
    });
    await initPortalApp(second);
    await second.app.listen({ port, host: '127.0.0.1' });
    const clients = [a.client(), createPortalClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: a.ownerKey })];

    const received = new Map<number, number>();
    const service = b.app.get(FilesService);
    const receiveChunk = service.receiveChunk.bind(service);
    service.receiveChunk = async (caller, remoteId, chunk) => {
      const state = await receiveChunk(caller, remoteId, chunk);
      received.set(Number(chunk.index), (received.get(Number(chunk.index)) ?? 0) + 1);
      return state;
    };
    try {
      const chunks = 60;
      const data = bytes(CHUNK * chunks, 61);
      const file = await clients[0].createFileUpload({
        contactId: aContactId,
        name: 'two-instances.bin',
        size: data.length,
        sha256: sha256(data),
      });
      // Two uploaders at once, one per instance: each stored chunk may hand the relay over on either.
      await Promise.all(
        clients.map(async (client, turn) => {
          for (let index = turn; index < chunks; index += 2) {
            const chunk = data.subarray(index * CHUNK, (index + 1) * CHUNK);
            await client.uploadFileChunk(file.id, index, chunk, sha256(chunk));
          }
        }),
      );
      await waitFor('the file to be delivered', async () => (await a.client().getFile(file.id)).status === 'delivered', 30_000);
      const copy = (await b.client().listFiles({ direction: 'in' })).find((f) => f.name === 'two-instances.bin');
      expect(copy).toMatchObject({ status: 'received', sha256: sha256(data) });
      expect([...received.keys()].sort((x, y) => x - y)).toEqual([...Array(chunks).keys()]);
      expect([...received.values()].filter((count) => count !== 1)).toEqual([]);
    } finally {
      service.receiveChunk = receiveChunk;
    }
  });
});
