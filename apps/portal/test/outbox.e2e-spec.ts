import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addActiveContact, connect, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
/** A "Portal" that accepts connections and never answers. */
async function hangingPeer(): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer(() => {
    hits += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => hits };
}

describe('the outbox', () => {
  let a: TestPortal;
  let b: TestPortal;
  let hanging: Awaited<ReturnType<typeof hangingPeer>>;

  beforeAll(async () => {
    hanging = await hangingPeer();
    [a, b] = await Promise.all([startPeer({ env: { PORTAL_PEER_TIMEOUT_MS: '20000' } }), startPeer()]);
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    hanging.server.closeAllConnections();
    await new Promise((resolve) => hanging.server.close(resolve));
  });

  it('one hanging peer never delays delivery to the others', async () => {
    const { aContactId } = await connect(a, b);
    const silentId = await addActiveContact(a, hanging.url);
    const stuck = await a.client().sendMessage(silentId, 'into the void');
    await waitFor('the hanging peer to be called', async () => hanging.hits() > 0);
    const started = Date.now();
    const quick = await Promise.all(Array.from({ length: 20 }, (_, i) => a.client().sendMessage(aContactId, `quick ${i}`)));
    for (const message of quick) {
      await waitFor('delivery to the live peer', async () => (await a.client().getMessage(message.id)).status === 'delivered', 5_000);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await a.client().getMessage(stuck.id)).status).toBe('queued');
  });

  it('a peer that contacts us again gets its backlog retried at once', async () => {
    const slowRetry = await startPeer({ env: { PORTAL_OUTBOX_RETRY_BASE_MS: '600000', PORTAL_OUTBOX_RETRY_MAX_SECONDS: '3600' } });
    try {
      const { aContactId, bContactId } = await connect(slowRetry, b);
      await b.stop();
      const queued = await slowRetry.client().sendMessage(aContactId, 'waiting for you');
      await waitFor('a failed attempt', async () => (await slowRetry.client().getMessage(queued.id)).attempts >= 1);
      const next = (await slowRetry.client().getMessage(queued.id)).nextAttemptAt;
      expect(new Date(next!).getTime() - Date.now()).toBeGreaterThan(60_000);
      await b.start();
      // B writes to us: proof it is back. Our backlog to B goes out now, not in minutes.
      await b.client().sendMessage(bContactId, 'I am back');
      await waitFor('the backlog delivered', async () => (await slowRetry.client().getMessage(queued.id)).status === 'delivered', 5_000);
    } finally {
      await slowRetry.destroy();
    }
  });

  it('a peer that answers 429 is retried no sooner than its Retry-After, and order is kept', async () => {
    const strict = await startPeer({ env: { PORTAL_CONTACT_REQUESTS_PER_MINUTE: '3' } });
    // One message per call, so the peer's per-contact rate limit is met by the fourth.
    const sender = await startPeer({ env: { PORTAL_OUTBOX_RETRY_MAX_SECONDS: '3600', PORTAL_OUTBOX_BATCH_ITEMS: '1' } });
    try {
      const { aContactId, bContactId } = await connect(sender, strict);
      const sent: Array<{ id: string }> = [];
      for (let i = 0; i < 4; i += 1) sent.push(await sender.client().sendMessage(aContactId, `limited ${i}`));
      const limited = await waitFor('a 429', async () => {
        const m = await sender.client().getMessage(sent[3].id);
        return m.lastError?.startsWith('429') ? m : undefined;
      });
      expect(limited.status).toBe('queued');
      expect(new Date(limited.nextAttemptAt!).getTime() - Date.now()).toBeGreaterThan(1_000);
      const onStrict = await strict.client().listMessages({ contactId: bContactId });
      expect(onStrict.messages.map((m) => m.content)).toEqual(['limited 0', 'limited 1', 'limited 2']);
    } finally {
      await Promise.all([strict.destroy(), sender.destroy()]);
    }
  });
});
