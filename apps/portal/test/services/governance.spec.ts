import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../src/common/clock';
import { ContactsService } from '../../src/contacts/contacts.service';
import { EventsService } from '../../src/events/events.service';
import { GovernanceService } from '../../src/governance/governance.service';
import { ReviewService } from '../../src/governance/review.service';
import { MessagesService } from '../../src/messages/messages.service';
import { ServicePortal } from '@agent-p2p/testing';

interface Wake {
  contactId: number;
  mode: string;
  reason: string;
  messages: Array<{ messageId: string; content: string }>;
}

/**
 * Governance on a real database with the clock in the test's hand: each tier, the budget and its
 * window, coalescing, quiet hours and the owner's review, read back from the event log as an agent
 * integration would (agent.wake, message.held).
 */
describe('governance: tiers, budgets and the review queue', () => {
  let portal: ServicePortal;
  let governance: GovernanceService;
  let review: ReviewService;
  let contacts: ContactsService;
  let clock: Clock;
  let seenSeq = 0;
  let now = new Date();

  beforeAll(async () => {
    portal = await ServicePortal.open({
      PORTAL_WAKE_COALESCE_MS: '0',
      PORTAL_WAKE_COALESCE_MAX_MS: '0',
      PORTAL_AUTONOMY_BOUNDED_TURNS: '2',
      PORTAL_AUTONOMY_EXTENDED_TURNS: '4',
      PORTAL_AUTONOMY_WINDOW_SECONDS: '3600',
      PORTAL_WAKE_MAX_MESSAGES: '5',
    });
    governance = portal.get(GovernanceService);
    review = portal.get(ReviewService);
    contacts = portal.get(ContactsService);
    clock = portal.get(Clock);
    clock.now = () => now;
  });

  afterAll(async () => {
    await portal?.destroy();
  });

  async function newContact(name: string): Promise<number> {
    const at = new Date();
    const inserted = await portal.dataSource.getRepository('Contact').insert({
      portalUrl: `https://${randomUUID()}.example`,
      status: 'active',
      agentName: name,
      ownerName: 'Owner',
      keyHash: randomUUID().replace(/-/g, '').padEnd(64, '0'),
      keySealed: null,
      createdAt: at,
      updatedAt: at,
    });
    return Number(inserted.identifiers[0].id);
  }

  async function receive(contactId: number, ...contents: string[]): Promise<void> {
    // One call, one transaction: the background scheduler sees all of them or none.
    const contact = (await contacts.findById(contactId))!;
    const messages = contents.map((content) => ({ id: randomUUID(), content, type: 'text' as const, sentAt: new Date().toISOString() }));
    await portal.get(MessagesService).receiveBatch(contact, { messages });
  }

  /** The events appended since the last call. */
  async function newEvents(): Promise<Array<{ type: string; payload: unknown }>> {
    const events = await portal.get(EventsService).listAfter(seenSeq, 1000);
    if (events.length) seenSeq = events[events.length - 1].seq;
    return events.map((e) => ({ type: e.type, payload: e.payload }));
  }

  async function pass(): Promise<{ wakes: Wake[]; held: Array<{ contactId: number; messageIds: string[] }> }> {
    await governance.runOnce();
    const events = await newEvents();
    return {
      wakes: events.filter((e) => e.type === 'agent.wake').map((e) => e.payload as Wake),
      held: events.filter((e) => e.type === 'message.held').map((e) => e.payload as { contactId: number; messageIds: string[] }),
    };
  }

  it('bounded (the default): wakes to reply until the budget is used up, then holds for the owner; the window frees it again', async () => {
    now = new Date(Date.now() + 1000);
    const carol = await newContact('Carol');
    expect((await contacts.get(carol)).autonomy).toBe('bounded');
    await newEvents();

    await receive(carol, 'one');
    let out = await pass();
    expect(out.wakes).toEqual([expect.objectContaining({ contactId: carol, mode: 'reply', reason: 'new' })]);
    expect(out.wakes[0].messages.map((m) => m.content)).toEqual(['one']);

    await receive(carol, 'two');
    out = await pass();
    expect(out.wakes).toHaveLength(1);

    await receive(carol, 'three', 'four');
    out = await pass();
    expect(out.wakes).toEqual([]);
    expect(out.held).toEqual([expect.objectContaining({ contactId: carol, reason: 'budget', budget: 2, windowSeconds: 3600 })]);
    expect(out.held[0].messageIds).toHaveLength(2);

    const queue = await review.list({ contactId: carol });
    expect(queue.items.map((i) => [i.content, i.state, i.reason])).toEqual([
      ['three', 'held', 'budget'],
      ['four', 'held', 'budget'],
    ]);

    // An hour later the window has room again: a new message wakes; the held ones still wait for the owner.
    now = new Date(now.getTime() + 3601_000);
    await receive(carol, 'five');
    out = await pass();
    expect(out.wakes.map((w) => w.messages.map((m) => m.content))).toEqual([['five']]);
    expect((await review.list({ contactId: carol })).items).toHaveLength(2);
  });

  it('release wakes the agent once with the held messages and does not count against the budget; drop wakes nobody', async () => {
    now = new Date(Date.now() + 10_000);
    const dave = await newContact('Dave');
    await receive(dave, 'a');
    await pass();
    await receive(dave, 'b');
    await pass();
    await receive(dave, 'c', 'd', 'e');
    expect((await pass()).held).toHaveLength(1);

    const [c, d, e] = (await review.list({ contactId: dave })).items;
    expect(await review.drop({ ids: [c.id] })).toEqual({ count: 1, wakes: 0 });
    expect(await review.release({ contactId: dave })).toEqual({ count: 2, wakes: 1 });
    const events = await newEvents();
    const wakes = events.filter((x) => x.type === 'agent.wake').map((x) => x.payload as Wake);
    expect(wakes).toEqual([expect.objectContaining({ contactId: dave, mode: 'reply', reason: 'released' })]);
    expect(wakes[0].messages.map((m) => m.messageId)).toEqual([d.messageId, e.messageId]);
    expect((await review.list({ contactId: dave })).items).toEqual([]);
    // Released and dropped ids are no longer in the queue: a second try says which.
    await expect(review.release({ ids: [d.id] })).rejects.toThrow(`Not in the review queue: ${d.id}`);
    await expect(review.release({})).rejects.toThrow('Give either ids');

    // The released wake did not use the budget: the window is still full from a and b.
    await receive(dave, 'f');
    expect((await pass()).held).toHaveLength(1);
  });

  it('extended has the larger budget; notify-only wakes to inform; blocked keeps the messages and wakes nobody', async () => {
    now = new Date(Date.now() + 20_000);
    const erin = await newContact('Erin');
    await contacts.setAutonomy(erin, 'extended', 'owner');
    for (const text of ['1', '2', '3', '4']) {
      await receive(erin, text);
      expect((await pass()).wakes).toHaveLength(1);
    }
    await receive(erin, '5');
    expect((await pass()).held).toHaveLength(1);

    const frank = await newContact('Frank');
    await contacts.setAutonomy(frank, 'notify-only', 'agent');
    await receive(frank, 'fyi');
    const informed = await pass();
    expect(informed.wakes).toEqual([expect.objectContaining({ contactId: frank, mode: 'inform', reason: 'new' })]);

    await contacts.setAutonomy(frank, 'blocked', 'agent');
    await receive(frank, 'spam 1', 'spam 2');
    expect(await pass()).toEqual({ wakes: [], held: [] });
    expect((await review.list({ contactId: frank })).items).toEqual([]);
    const history = await portal.get(MessagesService).list({ contactId: frank });
    expect(history.messages.map((m) => m.content)).toEqual(['fyi', 'spam 1', 'spam 2']);

    // An agent key may lower a tier, never raise it; the owner may.
    await expect(contacts.setAutonomy(frank, 'bounded', 'agent')).rejects.toThrow('Only the owner can give contact');
    expect((await contacts.setAutonomy(frank, 'bounded', 'owner')).autonomy).toBe('bounded');
  });

  it("received files go through the same governance: a file and a message wake once together; a blocked contact's file wakes nobody", async () => {
    now = new Date(Date.now() + 40_000);
    const ivy = await newContact('Ivy');
    const file = { name: 'report.pdf', size: 1234, mime: 'application/pdf', sha256: 'c'.repeat(64) };
    const fileId = randomUUID();
    // In one transaction, so the background scheduler sees both or neither.
    await portal.dataSource.transaction(async (manager) => {
      await governance.enqueueFile(manager, { contactId: ivy, fileId, ...file, receivedAt: new Date() });
      const at = new Date();
      await governance.enqueueMessage(manager, {
        contactId: ivy,
        messageId: randomUUID(),
        content: 'see the attached report',
        sentAt: at,
        receivedAt: at,
      });
    });
    const out = await pass();
    const wake = out.wakes.find((w) => w.contactId === ivy) as unknown as { messages: unknown[]; files: unknown[] } | undefined;
    expect(wake).toBeDefined();
    expect(out.wakes.filter((w) => w.contactId === ivy)).toHaveLength(1);
    expect(wake!.files).toEqual([{ fileId, ...file }]);
    expect(wake!.messages).toEqual([expect.objectContaining({ content: 'see the attached report' })]);

    await contacts.setAutonomy(ivy, 'blocked', 'agent');
    await portal.dataSource.transaction(async (manager) => {
      await governance.enqueueFile(manager, { contactId: ivy, fileId: randomUUID(), ...file, receivedAt: new Date() });
    });
    expect((await pass()).wakes).toEqual([]);
  });

  it('a wake carries at most PORTAL_WAKE_MAX_MESSAGES messages; the rest form the next wake at once', async () => {
    now = new Date(Date.now() + 30_000);
    const gina = await newContact('Gina');
    await contacts.setAutonomy(gina, 'extended', 'owner');
    await receive(gina, ...Array.from({ length: 7 }, (_, i) => `m${i}`));
    const out = await pass();
    expect(out.wakes.map((w) => w.messages.length)).toEqual([5, 2]);
    expect(out.wakes.flatMap((w) => w.messages.map((m) => m.content))).toEqual(Array.from({ length: 7 }, (_, i) => `m${i}`));
  });
  it('forgets decided messages and wakes after the window (a week at least), never held ones', async () => {
    const repo = portal.dataSource.getRepository('InboxItem');
    const held = await repo.count({ where: { state: 'held' } });
    expect(held).toBeGreaterThan(0);
    expect(await repo.count({ where: { state: 'woken' } })).toBeGreaterThan(0);
    now = new Date(Date.now() + 8 * 86_400_000);
    await governance.runOnce();
    expect(await repo.count({ where: { state: 'woken' } })).toBe(0);
    expect(await repo.count({ where: { state: 'held' } })).toBe(held);
    expect(await portal.dataSource.getRepository('AgentWake').count()).toBe(0);
  });
});

/** A Portal of its own for each of these, so one's clock and settings cannot touch another's. */
async function openWith(env: Record<string, string>): Promise<{
  portal: ServicePortal;
  contact: () => Promise<number>;
  receive: (contactId: number, ...contents: string[]) => Promise<void>;
  wakes: () => Promise<Wake[]>;
}> {
  const portal = await ServicePortal.open(env);
  let seenSeq = 0;
  return {
    portal,
    async contact() {
      const at = new Date();
      const inserted = await portal.dataSource.getRepository('Contact').insert({
        portalUrl: `https://${randomUUID()}.example`,
        status: 'active',
        agentName: 'Hal',
        ownerName: '',
        keyHash: randomUUID().replace(/-/g, '').padEnd(64, '1'),
        keySealed: null,
        createdAt: at,
        updatedAt: at,
      });
      return Number(inserted.identifiers[0].id);
    },
    async receive(contactId, ...contents) {
      const ref = (await portal.get(ContactsService).findById(contactId))!;
      const messages = contents.map((content) => ({ id: randomUUID(), content, type: 'text' as const, sentAt: new Date().toISOString() }));
      await portal.get(MessagesService).receiveBatch(ref, { messages });
    },
    async wakes() {
      await portal.get(GovernanceService).runOnce();
      const events = await portal.get(EventsService).listAfter(seenSeq, 1000);
      if (events.length) seenSeq = events[events.length - 1].seq;
      return events.filter((e) => e.type === 'agent.wake').map((e) => e.payload as unknown as Wake);
    },
  };
}

describe('governance: coalescing', () => {
  let t: Awaited<ReturnType<typeof openWith>>;
  beforeAll(async () => {
    t = await openWith({ PORTAL_WAKE_COALESCE_MS: '1500', PORTAL_WAKE_COALESCE_MAX_MS: '5000' });
  });
  afterAll(async () => {
    await t?.portal.destroy();
  });

  it('ten messages in a burst wake the agent once, with all of them, once the burst went quiet', async () => {
    const clock = t.portal.get(Clock);
    clock.now = () => new Date();
    const hal = await t.contact();
    await t.receive(hal, ...Array.from({ length: 10 }, (_, i) => `burst ${i}`));
    expect(await t.wakes()).toEqual([]);
    clock.now = () => new Date(Date.now() + 1600);
    const out = await t.wakes();
    expect(out).toHaveLength(1);
    expect(out[0].messages.map((m) => m.content)).toEqual(Array.from({ length: 10 }, (_, i) => `burst ${i}`));
  });

  it('a steady stream still wakes once its first message waited PORTAL_WAKE_COALESCE_MAX_MS', async () => {
    const clock = t.portal.get(Clock);
    const hal = await t.contact();
    await t.receive(hal, 'first');
    // Another message 1 s later keeps the burst open (quiet gap 1.5 s) …
    clock.now = () => new Date(Date.now() + 1000);
    expect(await t.wakes()).toEqual([]);
    // … but 5 s after the first, it wakes anyway.
    clock.now = () => new Date(Date.now() + 5100);
    expect((await t.wakes()).map((w) => w.messages.length)).toEqual([1]);
  });
});

describe('governance: a run that fills a wake', () => {
  let t: Awaited<ReturnType<typeof openWith>>;
  beforeAll(async () => {
    // Coalescing would wait a minute: only a full wake may go sooner.
    t = await openWith({ PORTAL_WAKE_COALESCE_MS: '60000', PORTAL_WAKE_COALESCE_MAX_MS: '60000', PORTAL_WAKE_MAX_MESSAGES: '5' });
  });
  afterAll(async () => {
    await t?.portal.destroy();
  });

  /** agent.wake events the background scheduler appended (no pass is run by the test). */
  async function wakesAppended(after: number): Promise<Wake[]> {
    const events = await t.portal.get(EventsService).listAfter(after, 1000);
    return events.filter((e) => e.type === 'agent.wake').map((e) => e.payload as unknown as Wake);
  }

  it('wakes the agent as soon as a wake is full, without waiting for the stream to go quiet; a partial run waits', async () => {
    const start = await t.portal.get(EventsService).latestSeq();
    const hal = await t.contact();
    for (let i = 0; i < 4; i += 1) await t.receive(hal, `steady ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await wakesAppended(start)).toEqual([]);
    await t.receive(hal, 'steady 4');
    const started = Date.now();
    let wakes: Wake[] = [];
    while (wakes.length === 0 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      wakes = await wakesAppended(start);
    }
    expect(Date.now() - started).toBeLessThan(5000);
    expect(wakes.map((w) => w.messages.map((m) => m.content))).toEqual([Array.from({ length: 5 }, (_, i) => `steady ${i}`)]);
  });
});

describe('governance: quiet hours', () => {
  let t: Awaited<ReturnType<typeof openWith>>;
  beforeAll(async () => {
    t = await openWith({
      PORTAL_WAKE_COALESCE_MS: '0',
      PORTAL_WAKE_COALESCE_MAX_MS: '0',
      PORTAL_QUIET_HOURS: '22:00-07:00',
      PORTAL_TIME_ZONE: 'Asia/Shanghai',
    });
  });
  afterAll(async () => {
    await t?.portal.destroy();
  });

  it('hold wakes until they end, then the waiting messages wake once; the review queue says why they wait', async () => {
    const clock = t.portal.get(Clock);
    // 23:30 in Shanghai (15:30 UTC) on the next day: after the messages' own stamps.
    const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const quiet = new Date(`${day}T15:30:00Z`);
    clock.now = () => quiet;
    const hal = await t.contact();
    await t.receive(hal, 'late one', 'late two');
    expect(await t.wakes()).toEqual([]);
    const queue = await t.portal.get(ReviewService).list({ contactId: hal });
    expect(queue.items.map((i) => [i.content, i.state, i.reason])).toEqual([
      ['late one', 'waiting', 'quiet_hours'],
      ['late two', 'waiting', 'quiet_hours'],
    ]);
    expect(queue.quietHours).toEqual({ span: '22:00-07:00', timeZone: 'Asia/Shanghai', active: true, endsAt: `${day}T23:00:00.000Z` });
    // 06:59 there: still quiet. 07:00: they wake, together.
    clock.now = () => new Date(quiet.getTime() + (7 * 60 + 29) * 60_000);
    expect(await t.wakes()).toEqual([]);
    clock.now = () => new Date(quiet.getTime() + (7 * 60 + 30) * 60_000);
    expect((await t.wakes()).map((w) => w.messages.map((m) => m.content))).toEqual([['late one', 'late two']]);
  });
});
