import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message, PortalEvent } from '@agent-p2p/sdk';
import {
  addActiveContact,
  api,
  connect,
  ensureCliBuilt,
  eventsOf,
  expectOk,
  runIn,
  startPeer,
  type TestPortal,
  waitFor,
  WakeHooks,
} from '@agent-p2p/testing';
import { ContactsService } from '@agent-p2p/portal/src/contacts/contacts.service';
import { runBridge } from '../src/bridge/run';
import type { RunningBridge } from '../src/bridge/types';

const TOKEN = 'hooks-token-for-tests-0123456789';

const TIMING = { retryMinDelayMs: 20, retryMaxDelayMs: 200, reconnectMinDelayMs: 50, reconnectMaxDelayMs: 300, heartbeatSeconds: 5 };

/** The Bridge as an agent's host runs it: it wakes the gateway for each event and acks once it answered 2xx. */
function bridgeFor(portal: TestPortal, hooks: WakeHooks, stateDir: string): RunningBridge {
  return runBridge({
    hubUrl: portal.url,
    apiKey: portal.ownerKey,
    gatewayUrl: hooks.url,
    hooksToken: TOKEN,
    wake: 'wake',
    stateDir,
    command: 'agent-p2p',
    log: () => undefined,
    timing: TIMING,
  });
}

async function stageOf(portal: TestPortal, id: string): Promise<Message['stage']> {
  return (await portal.client().getMessage(id)).stage;
}

async function waitForStage(portal: TestPortal, id: string, stage: Message['stage'], timeoutMs = 15_000): Promise<void> {
  await waitFor(`message ${id} to be ${stage}`, async () => (await stageOf(portal, id)) === stage, timeoutMs);
}

/** The message.receipt events about one message, as the sender's agent reads them. */
async function receiptsFor(portal: TestPortal, messageId: string): Promise<Array<PortalEvent & { type: 'message.receipt' }>> {
  const { events } = await portal.client().listEvents({ after: 0, limit: 1000 });
  return events.filter(
    (event): event is PortalEvent & { type: 'message.receipt' } =>
      event.type === 'message.receipt' && event.payload.messageId === messageId,
  );
}

describe('receipts between two Portals: delivered → seen → answered', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;
  let hooks: WakeHooks;
  let stateDir: string;
  let bridge: RunningBridge | null = null;
  let home: string;

  beforeAll(async () => {
    ensureCliBuilt();
    home = mkdtempSync(join(tmpdir(), 'ap2p-receipts-home-'));
    a = await startPeer();
    b = await startPeer();
    ({ aContactId, bContactId } = await connect(a, b));
    hooks = new WakeHooks();
    await hooks.start();
  });

  afterEach(async () => {
    await bridge?.stop();
    bridge = null;
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await hooks?.stop();
    await a?.destroy();
    await b?.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  it('moves a message through every stage, shows it to the sender (API, events, CLI) and never wakes its agent for a plain receipt', async () => {
    const sent = await a.client().sendMessage(aContactId, 'Are you there?');
    expect(sent.stage).toBe('queued');
    await waitForStage(a, sent.id, 'delivered');
    // Stored by B, but no agent has been woken with it yet: delivered only.
    const incoming = await waitFor('B to hold the message', async () =>
      (await b.client().listMessages({ contactId: bContactId })).messages.find((m) => m.content === 'Are you there?'),
    );
    expect(incoming.stage).toBe('delivered');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await stageOf(a, sent.id)).toBe('delivered');

    // B's Bridge wakes its agent; once the gateway took the wake, the ack makes it seen on both sides.
    stateDir = mkdtempSync(join(tmpdir(), 'ap2p-receipts-bridge-'));
    bridge = bridgeFor(b, hooks, stateDir);
    await waitForStage(a, sent.id, 'seen');
    expect(hooks.texts.some((text) => text.includes('Are you there?'))).toBe(true);
    expect((await b.client().getMessage(incoming.id)).stage).toBe('seen');

    // B's agent answers in that conversation.
    await b.client().sendMessage(bContactId, 'Yes, here.');
    await waitForStage(a, sent.id, 'answered');
    const message = await a.client().getMessage(sent.id);
    expect(message).toMatchObject({ status: 'delivered', stage: 'answered' });
    expect(Date.parse(message.stageAt!)).toBeLessThanOrEqual(Date.now());

    const receipts = await receiptsFor(a, sent.id);
    expect(receipts.map((event) => event.payload.stage)).toEqual(['seen', 'answered']);
    for (const event of receipts) {
      expect(event.payload).toMatchObject({ messageId: sent.id, contactId: aContactId });
      expect(event.payload.late).toBeUndefined();
    }

    // A's agent reads the stage in its listing, and the event log names it.
    const env = { AGENTP2P_HUB_URL: a.url, AGENTP2P_API_KEY: a.ownerKey };
    const listing = await runIn(home, ['messages', '--with', String(aContactId)], { env });
    expectOk(listing);
    expect(listing.stdout).toMatch(new RegExp(`id ${sent.id}  \\[↩ answered\\]`));
    const log = await runIn(home, ['events', '--after', '0', '--limit', '500'], { env });
    expectOk(log);
    expect(log.stdout).toContain(`message.receipt  message ${sent.id} to contact ${aContactId}: seen`);
    expect(log.stdout).toContain(`message.receipt  message ${sent.id} to contact ${aContactId}: answered`);

    // A's own Bridge acks plain receipts without waking A's agent.
    const aHooks = new WakeHooks();
    await aHooks.start();
    const aState = mkdtempSync(join(tmpdir(), 'ap2p-receipts-bridge-a-'));
    const aBridge = bridgeFor(a, aHooks, aState);
    try {
      // The answer wakes A's agent (through governance, after its coalescing wait) …
      await waitFor('A’s agent woken with the answer', async () => aHooks.texts.some((text) => text.includes('Yes, here.')));
      const lastSeq = (await a.client().listEvents({ after: 0, limit: 1000 })).lastSeq;
      await waitFor('A’s Bridge to ack everything', async () => {
        const page = await a.client().listEvents({ limit: 1 });
        return page.events.length === 0 && page.lastSeq >= lastSeq;
      });
      // … and no receipt woke it.
      expect(aHooks.texts.filter((text) => text.includes(sent.id.slice(0, 8)))).toEqual([]);
    } finally {
      await aBridge.stop();
      await aHooks.stop();
      rmSync(aState, { recursive: true, force: true });
    }
  });

  it('delivers the answered receipt once the sender’s Portal is back, when it was down as the agent answered', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'ap2p-receipts-bridge-'));
    bridge = bridgeFor(b, hooks, stateDir);
    const sent = await a.client().sendMessage(aContactId, 'Still there?');
    await waitForStage(a, sent.id, 'seen');

    await a.stop();
    const reply = await b.client().sendMessage(bContactId, 'Answering while you are away.');
    // Both the reply and the receipt wait in B's outbox while A is down.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await b.client().getMessage(reply.id)).status).toBe('queued');
    await a.start();

    await waitForStage(a, sent.id, 'answered', 20_000);
    await waitFor('the reply to arrive', async () =>
      (await a.client().listMessages({ contactId: aContactId })).messages.some((m) => m.content === 'Answering while you are away.'),
    );
    expect((await receiptsFor(a, sent.id)).map((event) => event.payload.stage)).toEqual(['seen', 'answered']);
  });

  it('ignores a receipt from a contact for a message not sent to it, and refuses bad receipts with 400', async () => {
    // A's contact key for B, as B's Portal would use it: read from B's side of the handshake.
    const key = await contactKeyOf(b, bContactId);
    await b.client().sendMessage(bContactId, 'A message of theirs.');
    const theirs = await waitFor('A to receive B’s message', async () =>
      (await a.client().listMessages({ contactId: aContactId })).messages.find((m) => m.content === 'A message of theirs.'),
    );
    const mine = await a.client().sendMessage(aContactId, 'Not forged.');
    await waitForStage(a, mine.id, 'delivered');
    // A message A sent to another contact: B must not be able to mark it.
    const other = await addActiveContact(a, 'http://127.0.0.1:9');
    const toOther = await a.client().sendMessage(other, 'For someone else.');
    const before = await eventsOf(a, 'message.receipt');
    const theirsBefore = await a.client().getMessage(theirs.id);

    const at = new Date().toISOString();
    // Calls as B makes them: its key at A, signed by B.
    const forged = await api(a, 'POST', '/api/federation/receipts', {
      key,
      signAs: b,
      body: {
        items: [
          { messageId: crypto.randomUUID(), stage: 'seen', at },
          { messageId: toOther.id, stage: 'seen', at },
          { messageId: theirs.id, stage: 'answered', at },
          { messageId: theirs.id, stage: 'seen', at },
        ],
      },
    });
    expect(forged.status).toBe(200);
    expect(((await forged.json()) as { results: Array<{ result: string }> }).results.map((r) => r.result)).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
    expect((await a.client().getMessage(toOther.id)).stage).toBe('queued');
    // Our record of their message is ours to keep: a receipt naming it changes nothing.
    expect(await a.client().getMessage(theirs.id)).toEqual(theirsBefore);
    expect(await eventsOf(a, 'message.receipt')).toHaveLength(before.length);

    for (const body of [
      { items: [] },
      { items: [{ messageId: mine.id, stage: 'delivered', at }] },
      { items: [{ messageId: mine.id, stage: 'seen', at: 'yesterday' }] },
      { items: Array.from({ length: 101 }, () => ({ messageId: mine.id, stage: 'seen', at })) },
      { items: 'all of them' },
    ]) {
      expect((await api(a, 'POST', '/api/federation/receipts', { key, body, signAs: b })).status).toBe(400);
    }
    // Without a contact key: refused; with an owner key: not a contact.
    expect((await api(a, 'POST', '/api/federation/receipts', { key: null, body: { items: [] } })).status).toBe(401);
    expect((await api(a, 'POST', '/api/federation/receipts', { body: { items: [] } })).status).toBe(403);

    // The real one: a time in the future is taken as now; a second copy changes nothing.
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const real = await api(a, 'POST', '/api/federation/receipts', {
      key,
      signAs: b,
      body: { items: [{ messageId: mine.id, stage: 'seen', at: future }] },
    });
    expect(((await real.json()) as { results: Array<{ result: string }> }).results[0].result).toBe('applied');
    const again = await api(a, 'POST', '/api/federation/receipts', {
      key,
      signAs: b,
      body: { items: [{ messageId: mine.id, stage: 'held', at }] },
    });
    expect(((await again.json()) as { results: Array<{ result: string }> }).results[0].result).toBe('unchanged');
    const seen = await a.client().getMessage(mine.id);
    expect(seen.stage).toBe('seen');
    expect(Date.parse(seen.stageAt!)).toBeLessThanOrEqual(Date.now());
  });
});

describe('receipts: the "not confirmed yet" notice', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;

  beforeAll(async () => {
    a = await startPeer({ env: { PORTAL_RECEIPT_UNCONFIRMED_SECONDS: '1' } });
    // B wakes its agent at once (no coalescing wait), so a message seen "in time" is seen well within 1 s.
    b = await startPeer({ env: { PORTAL_WAKE_COALESCE_MS: '0', PORTAL_WAKE_COALESCE_MAX_MS: '0' } });
    ({ aContactId, bContactId } = await connect(a, b));
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  it('tells the sender’s agent once when a delivered message stays unseen, and once more when it is finally seen', async () => {
    const aHooks = new WakeHooks();
    await aHooks.start();
    const aState = mkdtempSync(join(tmpdir(), 'ap2p-receipts-bridge-a-'));
    const aBridge = bridgeFor(a, aHooks, aState);
    const bHooks = new WakeHooks();
    await bHooks.start();
    const bState = mkdtempSync(join(tmpdir(), 'ap2p-receipts-bridge-b-'));
    let bBridge: RunningBridge | null = null;
    try {
      const sent = await a.client().sendMessage(aContactId, 'Ping while your agent is away');
      await waitForStage(a, sent.id, 'delivered');
      const notice = await waitFor(
        'the not-confirmed notice',
        async () => (await eventsOf(a, 'message.unconfirmed')).find((e) => e.payload.messageId === sent.id),
        10_000,
      );
      expect(notice.payload).toMatchObject({ messageId: sent.id, contactId: aContactId, sentAt: sent.sentAt });
      expect(notice.payload.waitedSeconds as number).toBeGreaterThanOrEqual(1);
      // Several sweeps later there is still only one.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await eventsOf(a, 'message.unconfirmed')).filter((e) => e.payload.messageId === sent.id)).toHaveLength(1);
      const short = sent.id.slice(0, 8);
      await waitFor('A’s agent to be told', async () => aHooks.texts.some((text) => text.includes(short)));
      expect(aHooks.texts.filter((text) => text.includes(short))).toEqual([expect.stringContaining('消息还未确认')]);

      // B's agent comes back: the message is seen, late.
      bBridge = bridgeFor(b, bHooks, bState);
      await waitForStage(a, sent.id, 'seen');
      const [seen] = await receiptsFor(a, sent.id);
      expect(seen.payload).toMatchObject({ stage: 'seen', late: true });
      await waitFor('A’s agent to be told it is confirmed', async () => aHooks.texts.filter((text) => text.includes(short)).length === 2);
      expect(aHooks.texts.filter((text) => text.includes(short))[1]).toContain('之前未确认的消息现在确认了');

      // The answer after that is a plain receipt again: not late, no wake.
      await b.client().sendMessage(bContactId, 'Back now.');
      await waitForStage(a, sent.id, 'answered');
      const answered = (await receiptsFor(a, sent.id))[1];
      expect(answered.payload.late).toBeUndefined();
      await waitFor('A to receive the answer', async () => aHooks.texts.some((text) => text.includes('Back now.')));
      expect(aHooks.texts.filter((text) => text.includes(short))).toHaveLength(2);
      // A message seen in time gets no notice at all.
      const quick = await a.client().sendMessage(aContactId, 'Quick one');
      await waitForStage(a, quick.id, 'seen');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await eventsOf(a, 'message.unconfirmed')).filter((e) => e.payload.messageId === quick.id)).toHaveLength(0);
    } finally {
      await aBridge.stop();
      await bBridge?.stop();
      await aHooks.stop();
      await bHooks.stop();
      rmSync(aState, { recursive: true, force: true });
      rmSync(bState, { recursive: true, force: true });
    }
  });
});

/** The contact key a Portal holds for one of its contacts (as its outbox uses it). */
async function contactKeyOf(portal: TestPortal, contactId: number): Promise<string> {
  const target = await portal.app.get(ContactsService).outboundFor(contactId);
  if (!target) throw new Error(`contact ${contactId} has no key`);
  return target.key;
}
