import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { FilesService } from '../../src/files/files.service';
import { FakePeer, type PeerAnswer, type PeerCall, ServicePortal, waitFor } from '@agent-p2p/testing';
const CHUNK = 4096;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const bytes = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) % 251));

/**
 * A contact's Portal as the relay sees it: it holds the chunks it was sent (or was told to hold),
 * answers every step with them, and reports `received` on complete once it holds every chunk.
 * `hold` makes a call of that kind wait until released; `refuse` answers a call with an error.
 */
class RelayPeer {
  held = new Set<number>();
  chunks = 0;
  hold: { offer?: Promise<void> } = {};
  refuse: ((call: PeerCall) => PeerAnswer | undefined) | undefined;
  private server!: FakePeer;

  async start(): Promise<void> {
    this.server = await FakePeer.start((call) => this.handle(call));
  }

  get url(): string {
    return this.server.url;
  }

  get calls(): PeerCall[] {
    return this.server.calls;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  reset(chunks: number, held: number[] = []): void {
    this.calls.length = 0;
    this.chunks = chunks;
    this.held = new Set(held);
    this.hold = {};
    this.refuse = undefined;
  }

  private async handle(call: PeerCall): Promise<PeerAnswer> {
    const refused = this.refuse?.(call);
    if (refused) return refused;
    const chunk = /\/chunks\/(\d+)$/.exec(call.path);
    if (call.method === 'POST' && call.path === '/api/federation/files') await this.hold.offer;
    if (chunk) this.held.add(Number(chunk[1]));
    if (call.method === 'DELETE') return { status: 204 };
    const all = this.held.size === this.chunks;
    const ranges = [...this.held].sort((x, y) => x - y).map((index) => [index, index]);
    return { status: 200, body: { status: all && call.path.endsWith('/complete') ? 'received' : 'receiving', receivedRanges: ranges } };
  }
}

describe('the relay of a file to a contact (services on a real database, a fake peer over HTTP)', () => {
  let portal: ServicePortal;
  let files: FilesService;
  const peer = new RelayPeer();
  let contactId: number;
  let key: string;

  beforeAll(async () => {
    await peer.start();
    portal = await ServicePortal.open({
      PORTAL_FILE_CHUNK_BYTES: String(CHUNK),
      PORTAL_FILE_MIN_CHUNK_BYTES: String(CHUNK),
      PORTAL_ALLOW_INSECURE_PEERS: 'true',
      PORTAL_ALLOW_PRIVATE_PEERS: 'true',
      PORTAL_OUTBOX_RETRY_BASE_MS: '50',
      PORTAL_OUTBOX_RETRY_MAX_SECONDS: '1',
    });
    files = portal.get(FilesService);
    ({ id: contactId, key } = await portal.insertContact(peer.url));
  });

  afterAll(async () => {
    await portal?.destroy();
    await peer.stop();
  });

  beforeEach(() => peer.reset(0));

  /** Creates an upload to the contact and stores the given chunks of `data` (all of them by default). */
  async function upload(data: Buffer, indexes?: number[]): Promise<string> {
    const file = await files.create({ contactId, name: 'report.pdf', size: data.length, sha256: sha256(data), mime: 'application/pdf' });
    for (const index of indexes ?? [...Array(file.chunks).keys()]) await storeChunk(file.id, data, index);
    return file.id;
  }

  async function storeChunk(id: string, data: Buffer, index: number) {
    const chunk = data.subarray(index * CHUNK, (index + 1) * CHUNK);
    return files.uploadChunk(id, {
      index: String(index),
      sha256: sha256(chunk),
      contentLength: String(chunk.length),
      body: Readable.from([chunk]),
    });
  }

  /** The file's outbox items in the order they were enqueued: kind, chunk index, delivery status. */
  async function steps(fileId: string): Promise<string[]> {
    const rows = await portal.dataSource
      .createQueryBuilder()
      .select(['o.kind AS kind', 'o.payload AS payload', 'o.status AS status'])
      .from('outbox_items', 'o')
      .where('o.ref_id = :fileId', { fileId })
      .orderBy('o.seq', 'ASC')
      .getRawMany<{ kind: string; payload: string; status: string }>();
    return rows.map((row) => {
      const index = (JSON.parse(row.payload || 'null') as { index?: number } | null)?.index;
      return `${row.kind}${index === undefined ? '' : ` ${index}`}: ${row.status}`;
    });
  }

  async function eventsFor(fileId: string, type: string): Promise<Array<Record<string, unknown>>> {
    const rows = await portal.dataSource
      .createQueryBuilder()
      .select(['e.payload AS payload'])
      .from('events', 'e')
      .where('e.type = :type', { type })
      .orderBy('e.seq', 'ASC')
      .getRawMany<{ payload: string }>();
    return rows.map((row) => JSON.parse(row.payload) as Record<string, unknown>).filter((payload) => payload.fileId === fileId);
  }

  const peerCalls = (fileId: string): string[] =>
    peer.calls
      .filter((call) => call.path.includes(fileId) || call.bytes.includes(fileId))
      .map((call) => `${call.method} ${call.path.replace(fileId, '<id>')}`);

  it('relays an uploaded file as offer, one step per chunk in order, then complete, and records it delivered', async () => {
    const data = bytes(CHUNK * 2 + 100, 7);
    peer.reset(3);
    const id = await upload(data);
    await waitFor('file delivered', async () => (await files.get(id)).status === 'delivered');

    expect(await steps(id)).toEqual([
      'file.offer: delivered',
      'file.chunk 0: delivered',
      'file.chunk 1: delivered',
      'file.chunk 2: delivered',
      'file.complete: delivered',
    ]);
    expect(peerCalls(id)).toEqual([
      'POST /api/federation/files',
      'PUT /api/federation/files/<id>/chunks/0',
      'PUT /api/federation/files/<id>/chunks/1',
      'PUT /api/federation/files/<id>/chunks/2',
      'POST /api/federation/files/<id>/complete',
    ]);
    const [offer, ...rest] = peer.calls;
    expect(offer.body).toEqual({
      id,
      name: 'report.pdf',
      size: data.length,
      sha256: sha256(data),
      mime: 'application/pdf',
      chunkSize: CHUNK,
    });
    expect(peer.calls.every((call) => call.authorization === `Bearer ${key}`)).toBe(true);
    for (const [index, call] of rest.slice(0, 3).entries()) {
      const chunk = data.subarray(index * CHUNK, (index + 1) * CHUNK);
      expect(call.bytes.equals(chunk)).toBe(true);
      expect(call.headers['x-chunk-sha256']).toBe(sha256(chunk));
    }
    expect(await eventsFor(id, 'file.delivered')).toEqual([{ fileId: id, contactId, deliveredAt: expect.any(String) }]);
    expect(await files.get(id)).toMatchObject({ status: 'delivered', delivery: { status: 'delivered', step: 'complete' } });
  });

  it('a delivered offer schedules the chunks the receiver lacks: held chunks are not sent again', async () => {
    const data = bytes(CHUNK * 3 + 1, 11);
    peer.reset(4, [0, 2]);
    let release!: () => void;
    peer.hold.offer = new Promise<void>((resolve) => (release = resolve));
    // Every chunk is stored while the offer waits for its answer, so the answer alone picks the next steps.
    const id = await upload(data);
    expect((await files.get(id)).status).toBe('sending');
    expect(await steps(id)).toEqual(['file.offer: pending']);
    release();
    await waitFor('file delivered', async () => (await files.get(id)).status === 'delivered');

    expect(await steps(id)).toEqual([
      'file.offer: delivered',
      'file.chunk 1: delivered',
      'file.chunk 3: delivered',
      'file.complete: delivered',
    ]);
    expect(peerCalls(id)).toEqual([
      'POST /api/federation/files',
      'PUT /api/federation/files/<id>/chunks/1',
      'PUT /api/federation/files/<id>/chunks/3',
      'POST /api/federation/files/<id>/complete',
    ]);
  });

  it('a step the receiver refuses fails the relay: the file is failed, file.failed is emitted, no further step is sent', async () => {
    const data = bytes(CHUNK * 3, 13);
    peer.reset(3);
    peer.refuse = (call) =>
      call.path.endsWith('/chunks/1') ? { status: 400, body: { statusCode: 400, message: 'chunk refused' } } : undefined;
    let release!: () => void;
    peer.hold.offer = new Promise<void>((resolve) => (release = resolve));
    const id = await upload(data);
    release();
    const failed = await waitFor('file failed', async () => {
      const file = await files.get(id);
      return file.status === 'failed' && file;
    });

    expect(failed.error).toMatch(/^400 /);
    expect(failed.error).toContain('chunk refused');
    expect(await steps(id)).toEqual(['file.offer: delivered', 'file.chunk 0: delivered', 'file.chunk 1: failed']);
    expect(await eventsFor(id, 'file.failed')).toEqual([
      { fileId: id, contactId, direction: 'out', name: 'report.pdf', error: failed.error },
    ]);
    expect(await eventsFor(id, 'file.delivered')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(peerCalls(id)).toEqual([
      'POST /api/federation/files',
      'PUT /api/federation/files/<id>/chunks/0',
      'PUT /api/federation/files/<id>/chunks/1',
    ]);
  });

  it('deleting a file during its relay cancels the chain: the receiver is told, no chunk step follows', async () => {
    const data = bytes(CHUNK * 3, 17);
    peer.reset(3);
    let release!: () => void;
    peer.hold.offer = new Promise<void>((resolve) => (release = resolve));
    const id = await upload(data, [0]);
    await waitFor('the offer on its way', async () => peerCalls(id).length === 1);
    await files.remove(id);
    expect(await steps(id)).toEqual(['file.offer: pending', 'file.cancel: pending']);
    release();
    await waitFor('the cancel delivered', async () => (await steps(id)).includes('file.cancel: delivered'));

    expect(await steps(id)).toEqual(['file.offer: delivered', 'file.cancel: delivered']);
    expect(peerCalls(id)).toEqual(['POST /api/federation/files', 'DELETE /api/federation/files/<id>']);
    await expect(files.get(id)).rejects.toMatchObject({ status: 404 });
  });
});
