import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { FileTransfer } from '../src/files/entities/file-transfer.entity';
import {
  api,
  bytes,
  connect,
  expectError,
  filesUnder,
  insertContact,
  putRaw,
  sendFile,
  sha256,
  startPeer,
  type TestPortal,
  waitFor,
} from '@agent-p2p/testing';
const CHUNK = 1024;
const MAX_FILE = 64 * 1024;
const QUOTA = 100 * 1024;

describe('file limits, bad input, names and ranges', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  const env = {
    PORTAL_FILE_CHUNK_BYTES: String(CHUNK),
    PORTAL_FILE_MIN_CHUNK_BYTES: String(CHUNK),
    PORTAL_MAX_FILE_BYTES: String(MAX_FILE),
    PORTAL_CONTACT_FILE_QUOTA_BYTES: String(QUOTA),
  };

  beforeAll(async () => {
    a = await startPeer({ env });
    b = await startPeer({ env });
    ({ aContactId } = await connect(a, b));
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  const filesDir = (portal: TestPortal): string => join(portal.dataDir, 'files');
  const fileRows = (portal: TestPortal): Promise<number> => portal.app.get(DataSource).getRepository(FileTransfer).count();
  const octet = (sha: string): Record<string, string> => ({ 'content-type': 'application/octet-stream', 'x-chunk-sha256': sha });

  describe('refused before anything is written', () => {
    const cases: Array<{ title: string; body: () => object; status: number; message: RegExp }> = [
      {
        title: 'a file over PORTAL_MAX_FILE_BYTES',
        body: () => ({ contactId: aContactId, name: 'big', size: MAX_FILE + 1, sha256: 'a'.repeat(64) }),
        status: 413,
        message: /limit is 65536/,
      },
      {
        title: "a file over the contact's quota",
        body: () => ({ contactId: aContactId, name: 'q', size: MAX_FILE, sha256: 'a'.repeat(64) }),
        status: 507,
        message: /quota/,
      },
      {
        title: 'an unknown contact',
        body: () => ({ contactId: 999, name: 'x', size: 1, sha256: 'a'.repeat(64) }),
        status: 404,
        message: /No contact/,
      },
      {
        title: 'a malformed hash',
        body: () => ({ contactId: aContactId, name: 'x', size: 1, sha256: 'xyz' }),
        status: 400,
        message: /sha256/,
      },
      {
        title: 'a negative size',
        body: () => ({ contactId: aContactId, name: 'x', size: -1, sha256: 'a'.repeat(64) }),
        status: 400,
        message: /size/,
      },
      {
        title: 'a null name',
        body: () => ({ contactId: aContactId, name: null, size: 1, sha256: 'a'.repeat(64) }),
        status: 400,
        message: /name/,
      },
    ];
    it.each(cases)('POST /api/files with $title → $status', async ({ body, status, message }) => {
      // Fill part of the quota first so that the next 64 KiB no longer fits.
      if (status === 507) await sendFile(a.client(), aContactId, bytes(40 * 1024, 5), { name: 'filler.bin' });
      const before = await fileRows(a);
      const filesBefore = filesUnder(filesDir(a));
      const error = await expectError(await api(a, 'POST', '/api/files', { body: body() }), status);
      expect(error.message).toMatch(message);
      expect(await fileRows(a)).toBe(before);
      expect(filesUnder(filesDir(a))).toEqual(filesBefore);
    });

    it('bad chunk uploads: exact status, nothing stored', async () => {
      const data = bytes(CHUNK * 2 + 10, 9);
      const upload = await a.client().createFileUpload({ contactId: aContactId, name: 'l.bin', size: data.length, sha256: sha256(data) });
      const url = (index: number | string): string => `${a.url}/api/files/${upload.id}/chunks/${index}`;
      const chunk0 = data.subarray(0, CHUNK);
      const attempts: Array<[string, () => Promise<Response>, number]> = [
        ['out-of-range index', () => putRaw(url(3), chunk0, octet(sha256(chunk0)), a.ownerKey), 400],
        ['non-numeric index', () => putRaw(url('x'), chunk0, octet(sha256(chunk0)), a.ownerKey), 400],
        ['chunk bigger than the chunk size', () => putRaw(url(0), bytes(CHUNK + 1), octet(sha256(bytes(CHUNK + 1))), a.ownerKey), 413],
        ['last chunk longer than the rest of the file', () => putRaw(url(2), bytes(11), octet(sha256(bytes(11))), a.ownerKey), 413],
        ['short chunk', () => putRaw(url(0), chunk0.subarray(1), octet(sha256(chunk0.subarray(1))), a.ownerKey), 400],
        ['missing hash header', () => putRaw(url(0), chunk0, { 'content-type': 'application/octet-stream' }, a.ownerKey), 400],
        ['malformed hash header', () => putRaw(url(0), chunk0, octet('abc'), a.ownerKey), 400],
        ['wrong hash header', () => putRaw(url(0), chunk0, octet(sha256(Buffer.from('other'))), a.ownerKey), 422],
        [
          'JSON body',
          () => putRaw(url(0), '{"a":1}', { 'content-type': 'application/json', 'x-chunk-sha256': sha256(chunk0) }, a.ownerKey),
          415,
        ],
        ['unknown file', () => putRaw(`${a.url}/api/files/${randomUUID()}/chunks/0`, chunk0, octet(sha256(chunk0)), a.ownerKey), 404],
        ['no key', () => fetch(url(0), { method: 'PUT', headers: octet(sha256(chunk0)), body: new Uint8Array(chunk0) }), 401],
      ];
      for (const [title, attempt, status] of attempts) {
        const response = await attempt();
        expect({ title, status: response.status }).toEqual({ title, status });
        await expectError(response, status);
        expect((await a.client().getFile(upload.id)).receivedRanges).toEqual([]);
        expect(filesUnder(join(filesDir(a), upload.id))).toEqual([]);
      }
      // A chunk streamed without Content-Length that runs past its size is cut off with 413.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes(CHUNK));
          controller.enqueue(bytes(CHUNK));
          controller.close();
        },
      });
      const chunked = await fetch(url(0), {
        method: 'PUT',
        headers: { authorization: `Bearer ${a.ownerKey}`, ...octet(sha256(chunk0)) },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await expectError(chunked, 413);
      expect(filesUnder(join(filesDir(a), upload.id))).toEqual([]);
      // An octet-stream body on a JSON route is still 415.
      await expectError(await putRaw(`${a.url}/api/me`, chunk0, { 'content-type': 'application/octet-stream' }, a.ownerKey), 415);
    });

    it('federation: unknown key 401, another contact 404, an owner key 403, oversize offer 413; nothing stored', async () => {
      const key = await insertContact(b);
      const other = await insertContact(b);
      const remoteId = randomUUID();
      const offer = {
        id: remoteId,
        name: 'f.bin',
        size: 10,
        sha256: sha256(bytes(10)),
        mime: 'application/octet-stream',
        chunkSize: CHUNK,
      };
      expect((await api(b, 'POST', '/api/federation/files', { key, body: offer })).status).toBe(200);
      const before = await fileRows(b);
      const chunk = bytes(10);
      const put = (k: string): Promise<Response> =>
        putRaw(`${b.url}/api/federation/files/${remoteId}/chunks/0`, chunk, octet(sha256(chunk)), k);
      await expectError(await put(`ap2p_c_${'x'.repeat(43)}`), 401);
      await expectError(await put(other), 404);
      await expectError(await put(b.ownerKey), 403);
      await expectError(await api(b, 'POST', `/api/federation/files/${remoteId}/complete`, { key: other }), 404);
      await expectError(
        await api(b, 'POST', '/api/federation/files', { key, body: { ...offer, id: randomUUID(), size: MAX_FILE + 1 } }),
        413,
      );
      await expectError(await api(b, 'POST', '/api/federation/files', { key, body: { ...offer, id: randomUUID(), chunkSize: 10 } }), 400);
      await expectError(await api(b, 'POST', '/api/federation/files', { key: b.ownerKey, body: { ...offer, id: randomUUID() } }), 403);
      expect(await fileRows(b)).toBe(before);
      // Every directory on disk belongs to a stored file (files still relayed from A may be in flight).
      const known = new Set((await b.app.get(DataSource).getRepository(FileTransfer).find()).map((f) => f.id));
      expect([...new Set(filesUnder(filesDir(b)).map((p) => p.split('/')[0]))].filter((dir) => !known.has(dir))).toEqual([]);
      const state = await (await api(b, 'POST', '/api/federation/files', { key, body: offer })).json();
      expect(state).toEqual({ id: remoteId, status: 'receiving', receivedRanges: [] });
    });
  });

  describe('names', () => {
    const names: Array<[string, string]> = [
      ['中文.pdf', '中文.pdf'],
      ['my report final.txt', 'my report final.txt'],
      ['../../etc/passwd', 'passwd'],
      ['/etc/shadow', 'shadow'],
      ['C:\\Windows\\system.ini', 'system.ini'],
      ['bad\u0000na\u0007me\r\n.txt', 'badname.txt'],
      ['..', 'file'],
      ['.hidden', 'hidden'],
      ['evil\u202egnp.exe', 'evilgnp.exe'],
      ['a"b;c.txt', 'a_b;c.txt'],
      [`${'長'.repeat(200)}.txt`, `${'長'.repeat(83)}.txt`],
    ];
    it.each(names)('%j is stored and offered for download as %j', async (input, expected) => {
      const data = bytes(10, 3);
      const id = await sendFile(a.client(), aContactId, data, { name: input });
      const file = await a.client().getFile(id);
      expect(file.name).toBe(expected);
      expect(Buffer.byteLength(file.name)).toBeLessThanOrEqual(255);
      // On disk only the id and chunk numbers appear.
      expect(filesUnder(filesDir(a)).filter((p) => p.startsWith(id))).toEqual([join(id, '0.chunk')]);
      const response = await a.client().downloadFile(id);
      const disposition = response.headers.get('content-disposition') ?? '';
      await response.arrayBuffer();
      const match = /^attachment; filename="([\x20-\x7e]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(disposition);
      expect(match).not.toBeNull();
      expect(decodeURIComponent(match![2])).toBe(expected);
      expect(match![1]).not.toMatch(/["\\/]/);
      // B stores it under the same sanitised name.
      const received = await waitFor('B to receive it', async () =>
        (await b.client().listFiles({ direction: 'in' })).find(
          (f) => f.sha256 === sha256(data) && f.name === expected && f.status === 'received',
        ),
      );
      expect(received.name).toBe(expected);
    });
  });

  describe('ranges', () => {
    let id: string;
    const data = bytes(CHUNK * 3 + 100, 31);
    beforeAll(async () => {
      id = await sendFile(a.client(), aContactId, data, { name: 'r.bin' });
    });

    const read = async (
      range: { start: number; end?: number } | { suffix: number },
    ): Promise<{ status: number; body: Buffer; contentRange: string | null }> => {
      const response = await a.client().downloadFile(id, { range });
      return {
        status: response.status,
        body: Buffer.from(await response.arrayBuffer()),
        contentRange: response.headers.get('content-range'),
      };
    };

    it('first bytes, across chunk boundaries, open-ended, suffix', async () => {
      expect(await read({ start: 0, end: 9 })).toEqual({
        status: 206,
        body: data.subarray(0, 10),
        contentRange: `bytes 0-9/${data.length}`,
      });
      expect(await read({ start: CHUNK - 5, end: 2 * CHUNK + 4 })).toEqual({
        status: 206,
        body: data.subarray(CHUNK - 5, 2 * CHUNK + 5),
        contentRange: `bytes ${CHUNK - 5}-${2 * CHUNK + 4}/${data.length}`,
      });
      expect(await read({ start: 3 * CHUNK })).toEqual({
        status: 206,
        body: data.subarray(3 * CHUNK),
        contentRange: `bytes ${3 * CHUNK}-${data.length - 1}/${data.length}`,
      });
      expect(await read({ suffix: 50 })).toEqual({
        status: 206,
        body: data.subarray(data.length - 50),
        contentRange: `bytes ${data.length - 50}-${data.length - 1}/${data.length}`,
      });
      expect(await read({ start: 10, end: 10 ** 9 })).toMatchObject({ status: 206, body: data.subarray(10) });
    });

    it('unsatisfiable or malformed ranges → 416', async () => {
      for (const range of [`bytes=${data.length}-`, 'bytes=5-2', 'bytes=-0', 'items=0-1', 'bytes=0-1,5-6', 'bytes=abc']) {
        const response = await api(a, 'GET', `/api/files/${id}/content`, { headers: { range } });
        const error = await expectError(response, 416);
        expect(error.details).toEqual({ size: data.length });
      }
    });

    it('a download of an unfinished upload is 409; an unknown id 404; a bad id 400', async () => {
      const upload = await a.client().createFileUpload({ contactId: aContactId, name: 'u', size: 5, sha256: sha256(bytes(5)) });
      await expectError(await api(a, 'GET', `/api/files/${upload.id}/content`), 409);
      await expectError(await api(a, 'GET', `/api/files/${randomUUID()}/content`), 404);
      await expectError(await api(a, 'GET', '/api/files/nope/content'), 400);
    });
  });
});
