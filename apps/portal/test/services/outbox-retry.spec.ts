import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OutboxItem } from '../../src/federation/entities/outbox-item.entity';
import { type OutboxHandler, type OutboxKindOptions, OutboxService } from '../../src/federation/outbox.service';
import { FakePeer, type PeerAnswer, ServicePortal, waitFor } from '@agent-p2p/testing';
/**
 * The outbox's retry policy on a real database: back-off bounds, Retry-After, giving up, and that
 * one failing destination does not hold back another. The peers are fake HTTP servers on 127.0.0.1.
 */

const RETRY_BASE_MS = 400;
const RETRY_MAX_SECONDS = 3;

/** An answer with a JSON error body, as a Portal gives it. */
function reply(status: number, headers: Record<string, string> = {}): PeerAnswer {
  return { status, headers, body: { message: `status ${status}` } };
}

/** What the outbox told one test kind's handler. */
interface KindRecord {
  kind: string;
  delivered: string[];
  failed: Array<{ id: string; reason: string }>;
  attemptFailed: string[];
}

describe('Outbox retry policy (services on a real database)', () => {
  let portal: ServicePortal;
  let outbox: OutboxService;
  const peers: FakePeer[] = [];
  let kinds = 0;

  beforeAll(async () => {
    portal = await ServicePortal.open({
      PORTAL_ALLOW_INSECURE_PEERS: 'true',
      PORTAL_ALLOW_PRIVATE_PEERS: 'true',
      PORTAL_OUTBOX_RETRY_BASE_MS: String(RETRY_BASE_MS),
      PORTAL_OUTBOX_RETRY_MAX_SECONDS: String(RETRY_MAX_SECONDS),
      PORTAL_OUTBOX_PROBE_SECONDS: '3600',
    });
    outbox = portal.get(OutboxService);
  });
  afterAll(async () => {
    await portal?.destroy();
    await Promise.all(peers.map((peer) => peer.stop()));
  });

  /** A fake peer whose answer is told the call's number (1 for the first). */
  async function fakePeer(answer: (call: number) => PeerAnswer | Promise<PeerAnswer>): Promise<FakePeer> {
    const peer: FakePeer = await FakePeer.start(() => answer(peer.calls.length));
    peers.push(peer);
    return peer;
  }

  /** A kind of its own for one test, whose handler records what the outbox told it. */
  function testKind(options: OutboxKindOptions = {}): KindRecord {
    kinds += 1;
    const kind = `test.retry-${kinds}`;
    const record: KindRecord = { kind, delivered: [], failed: [], attemptFailed: [] };
    const handler: OutboxHandler = {
      buildRequest: async (item) => ({ portalUrl: item.peerUrl, method: 'POST', path: '/api/federation/test', body: { id: item.id } }),
      onDelivered: async (_manager, item) => void record.delivered.push(item.id),
      onFailed: async (_manager, item, reason) => void record.failed.push({ id: item.id, reason }),
      onAttemptFailed: async (_manager, item) => void record.attemptFailed.push(item.id),
    };
    outbox.registerHandler(kind, handler, options);
    return record;
  }

  async function enqueue(kind: string, peerUrl: string): Promise<{ id: string; seq: number }> {
    const item = await portal.dataSource.transaction((manager) => outbox.enqueue(manager, { kind, peerUrl, payload: {} }));
    outbox.wake();
    return item;
  }

  const row = (item: { seq: number }): Promise<OutboxItem> =>
    portal.dataSource.getRepository(OutboxItem).findOneByOrFail({ seq: item.seq });

  /** Waits until the item has `attempts` attempts, and returns it with the time that was seen. */
  async function afterAttempts(item: { seq: number }, attempts: number): Promise<{ row: OutboxItem; seenAt: number }> {
    const found = await waitFor(`${attempts} attempts`, async () => {
      const current = await row(item);
      return current.attempts >= attempts ? current : null;
    });
    return { row: found, seenAt: Date.now() };
  }

  it('a failing destination (503) gets attempts + 1 and a next attempt within the back-off bounds, doubling', async () => {
    const peer = await fakePeer(() => reply(503));
    const { kind, attemptFailed } = testKind();
    const item = await enqueue(kind, peer.url);

    const first = await afterAttempts(item, 1);
    expect(first.row).toMatchObject({ status: 'pending', attempts: 1, lastError: '503 status 503' });
    // Retry 0 waits between half of retryBaseMs and all of it (jitter), counted from the failed answer.
    const firstWait = first.row.nextAttemptAt.getTime();
    expect(firstWait).toBeGreaterThanOrEqual(peer.calls[0].at + RETRY_BASE_MS / 2 - 5);
    expect(firstWait).toBeLessThanOrEqual(first.seenAt + RETRY_BASE_MS);

    const second = await afterAttempts(item, 2);
    expect(peer.calls.length).toBe(2);
    // Not before the first back-off ended.
    expect(peer.calls[1].at).toBeGreaterThanOrEqual(firstWait - 5);
    expect(second.row).toMatchObject({ status: 'pending', attempts: 2 });
    // Retry 1 waits between retryBaseMs and twice it.
    expect(second.row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(peer.calls[1].at + RETRY_BASE_MS - 5);
    expect(second.row.nextAttemptAt.getTime()).toBeLessThanOrEqual(second.seenAt + 2 * RETRY_BASE_MS);
    expect(attemptFailed).toEqual([item.id, item.id]);
  });

  it('honours a longer Retry-After from the peer, but never beyond retryMaxSeconds', async () => {
    const peer = await fakePeer((call) => reply(429, { 'retry-after': call === 1 ? '2' : '600' }));
    const { kind } = testKind();
    const item = await enqueue(kind, peer.url);

    const first = await afterAttempts(item, 1);
    expect(first.row.lastError).toMatch(/^429 /);
    // Retry-After: 2 is longer than the back-off (at most 400 ms): it wins.
    expect(first.row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(peer.calls[0].at + 2000 - 5);
    expect(first.row.nextAttemptAt.getTime()).toBeLessThanOrEqual(first.seenAt + 2000);

    const second = await afterAttempts(item, 2);
    expect(peer.calls[1].at).toBeGreaterThanOrEqual(peer.calls[0].at + 2000 - 5);
    // Retry-After: 600 is capped at retryMaxSeconds.
    expect(second.row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(peer.calls[1].at + RETRY_MAX_SECONDS * 1000 - 5);
    expect(second.row.nextAttemptAt.getTime()).toBeLessThanOrEqual(second.seenAt + RETRY_MAX_SECONDS * 1000);
  });

  it('gives an item up after maxAttempts, and its handler hears it failed', async () => {
    const peer = await fakePeer(() => reply(503));
    const record = testKind({ maxAttempts: 2 });
    const item = await enqueue(record.kind, peer.url);

    const failed = await waitFor('the item to fail', async () => {
      const current = await row(item);
      return current.status === 'failed' ? current : null;
    });
    expect(failed).toMatchObject({ status: 'failed', attempts: 2 });
    expect(failed.lastError).toMatch(/^gave up after 2 attempts: 503 /);
    expect(peer.calls.length).toBe(2);
    expect(record.failed).toEqual([{ id: item.id, reason: expect.stringMatching(/^gave up after 2 attempts: 503 /) }]);
    expect(record.attemptFailed).toEqual([item.id]);
    expect(record.delivered).toEqual([]);
  });

  it('gives an item up once it is older than giveUpMs', async () => {
    const peer = await fakePeer(() => reply(503));
    const record = testKind({ giveUpMs: 1 });
    const item = await enqueue(record.kind, peer.url);

    const failed = await waitFor('the item to fail', async () => {
      const current = await row(item);
      return current.status === 'failed' ? current : null;
    });
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.lastError).toMatch(/^gave up after 1 attempts: 503 /);
    expect(peer.calls.length).toBe(1);
    expect(record.failed).toEqual([{ id: item.id, reason: expect.stringMatching(/^gave up after 1 attempts/) }]);
    expect(record.attemptFailed).toEqual([]);
  });

  it('delivers to a healthy destination while another one fails or hangs', async () => {
    const hanging: Array<(answer: PeerAnswer) => void> = [];
    const slow = await fakePeer(() => new Promise<PeerAnswer>((resolve) => hanging.push(resolve)));
    const failing = await fakePeer(() => reply(503));
    const healthy = await fakePeer(() => reply(200));
    const record = testKind();

    const stuck = await enqueue(record.kind, slow.url);
    const refused = await enqueue(record.kind, failing.url);
    await waitFor('the slow peer to be called', async () => slow.calls.length > 0);
    const good = await enqueue(record.kind, healthy.url);

    await waitFor('the healthy peer to get its item', async () => (await row(good)).status === 'delivered');
    expect(record.delivered).toEqual([good.id]);
    // The slow peer's call is still open and the failing one waits for its retry, meanwhile.
    expect(hanging.length).toBe(1);
    expect(await row(stuck)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await afterAttempts(refused, 1)).row).toMatchObject({ status: 'pending', attempts: 1 });

    // Once the slow peer answers, its item is delivered as well.
    hanging[0](reply(200));
    await waitFor('the slow peer to get its item', async () => (await row(stuck)).status === 'delivered');
    expect(record.delivered).toEqual([good.id, stuck.id]);
  });

  /** A kind that can be parked (its handler has onParked), calling `path` on the peer. */
  function parkableKind(path: string, options: OutboxKindOptions = {}): KindRecord & { parked: Array<{ id: string; reason: string }> } {
    kinds += 1;
    const kind = `test.park-${kinds}`;
    const record = {
      kind,
      delivered: [] as string[],
      failed: [] as Array<{ id: string; reason: string }>,
      attemptFailed: [] as string[],
      parked: [] as Array<{ id: string; reason: string }>,
    };
    outbox.registerHandler(
      kind,
      {
        buildRequest: async (item) => ({ portalUrl: item.peerUrl, method: 'POST', path, body: { id: item.id } }),
        onDelivered: async (_manager, item) => void record.delivered.push(item.id),
        onFailed: async (_manager, item, reason) => void record.failed.push({ id: item.id, reason }),
        onAttemptFailed: async (_manager, item) => void record.attemptFailed.push(item.id),
        onParked: async (_manager, item, parking) => void record.parked.push({ id: item.id, reason: parking.reason }),
      },
      options,
    );
    return record;
  }

  const noRoom = (code: string): PeerAnswer => ({
    status: 507,
    body: { statusCode: 507, error: 'Insufficient Storage', message: 'full', details: { code } },
  });

  it("parks an item the peer has no room for (507): the peer's later items go on, it is told once, and it resumes when the peer calls", async () => {
    let room = false;
    let parkCalls = 0;
    const peer = await fakePeer((call) => {
      if (peer.calls[call - 1].path !== '/park' || room) return reply(200);
      parkCalls += 1;
      // The first try: no room. The second: a passing server error, while the peer still has no room.
      return parkCalls === 1 ? noRoom('quota_exceeded') : reply(503);
    });
    const parkable = parkableKind('/park');
    const plain = testKind();
    const file = await enqueue(parkable.kind, peer.url);
    const messages = [await enqueue(plain.kind, peer.url), await enqueue(plain.kind, peer.url)];

    await waitFor('the later items to be delivered', async () =>
      (await Promise.all(messages.map(row))).every((m) => m.status === 'delivered'),
    );
    expect(plain.delivered).toEqual(messages.map((m) => m.id));
    const parked = await row(file);
    expect(parked).toMatchObject({ status: 'parked', attempts: 1, parkedReason: 'peer_quota', lastError: '507 full' });
    // The park cadence (PORTAL_OUTBOX_PARK_RETRY_SECONDS, 300 s by default), with jitter.
    expect(parked.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(100_000);
    expect(parkable.parked).toEqual([{ id: file.id, reason: 'peer_quota' }]);
    expect(parkable.attemptFailed).toEqual([]);

    // The peer calls: tried again (no sooner than 10 s after the last try). A 503 on that try sends
    // it back to the park, not to the head of the queue (where it would hold later items back); told no more.
    const callsBefore = peer.calls.length;
    await outbox.peerCalled(peer.url);
    await waitFor('the parked item to be tried again', async () => peer.calls.length > callsBefore, 15_000);
    expect(peer.calls[callsBefore].at - parked.updatedAt.getTime()).toBeGreaterThanOrEqual(10_000 - 50);
    await waitFor('it to be parked again', async () => (await row(file)).attempts === 2 && (await row(file)).status === 'parked');
    expect(await row(file)).toMatchObject({ status: 'parked', lastError: '503 status 503', parkedReason: 'peer_quota' });
    expect(parkable.parked).toHaveLength(1);
    expect(parkable.attemptFailed).toEqual([]);
    const later = await enqueue(plain.kind, peer.url);
    await waitFor('a later item to be delivered', async () => (await row(later)).status === 'delivered');

    // Now it has room: the next call of the peer resumes it.
    room = true;
    await outbox.peerCalled(peer.url);
    await waitFor('the parked item to be delivered', async () => (await row(file)).status === 'delivered', 15_000);
    expect(parkable.delivered).toEqual([file.id]);
    expect(parkable.failed).toEqual([]);
    expect((await row(file)).parkedAt).not.toBeNull();
  }, 40_000);

  it('a parked item past its give-up point fails, saying the peer had no room; kinds that cannot park retry a 507 in place', async () => {
    const peer = await fakePeer(() => noRoom('disk_full'));
    const parkable = parkableKind('/park', { giveUpMs: 1 });
    const file = await enqueue(parkable.kind, peer.url);
    const failed = await waitFor('the item to fail', async () => ((await row(file)).status === 'failed' ? row(file) : null));
    expect(failed.lastError).toMatch(
      /^gave up after 1 attempts: the contact's Portal has had no room for it since .* \(out of disk space\): 507 full/,
    );
    expect(parkable.parked).toEqual([]);
    expect(parkable.failed).toHaveLength(1);

    const plain = testKind();
    const item = await enqueue(plain.kind, peer.url);
    expect((await afterAttempts(item, 1)).row).toMatchObject({ status: 'pending', parkedAt: null, lastError: '507 full' });
  });
});
