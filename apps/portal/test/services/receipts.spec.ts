import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ContactsService } from '../../src/contacts/contacts.service';
import { OutboxItem } from '../../src/federation/entities/outbox-item.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { RECEIPT_OUTBOX, ReceiptsService } from '../../src/messages/receipts.service';
import { FakePeer, type PeerAnswer, type PeerCall, ServicePortal, waitFor } from '@agent-p2p/testing';

/**
 * The receiver's side of receipts on a real database: what markHeld, markSeen and markAnswered
 * record and send to the sender's Portal (a fake peer over HTTP), batched, forward only, and that a
 * sender without the receipts route (404) is not asked again and again.
 */
describe('receipts a Portal sends for a contact’s messages (services on a real database, a fake peer)', () => {
  let portal: ServicePortal;
  let messages: MessagesService;
  let receipts: ReceiptsService;
  let peer: FakePeer;
  let contactId: number;
  let answer: (call: PeerCall) => PeerAnswer;

  /** What the sender's Portal answers for a receipts call: every item applied. */
  const applied = (call: PeerCall): PeerAnswer => ({
    status: 200,
    body: {
      results: ((call.body?.items as Array<{ messageId: string }>) ?? []).map((item) => ({ messageId: item.messageId, result: 'applied' })),
    },
  });

  beforeAll(async () => {
    peer = await FakePeer.start((call) => answer(call));
    portal = await ServicePortal.open({
      PORTAL_ALLOW_INSECURE_PEERS: 'true',
      PORTAL_ALLOW_PRIVATE_PEERS: 'true',
      PORTAL_OUTBOX_RETRY_BASE_MS: '50',
      PORTAL_OUTBOX_RETRY_MAX_SECONDS: '1',
    });
    messages = portal.get(MessagesService);
    receipts = portal.get(ReceiptsService);
    contactId = (await portal.insertContact(peer.url)).id;
  });

  afterAll(async () => {
    await portal?.destroy();
    await peer?.stop();
  });

  beforeEach(() => {
    answer = applied;
    peer.calls.length = 0;
  });

  /** Messages from the contact, as its Portal delivers them: returns [their id, our local id] each. */
  async function receive(count: number): Promise<Array<{ remoteId: string; localId: string }>> {
    const contact = (await portal.get(ContactsService).findById(contactId))!;
    const out: Array<{ remoteId: string; localId: string }> = [];
    for (let i = 0; i < count; i += 1) {
      const remoteId = randomUUID();
      await messages.receive(contact, { id: remoteId, content: `hello ${i}`, type: 'text', sentAt: new Date().toISOString() });
      const page = await messages.list({ contactId, limit: 1 });
      out.push({ remoteId, localId: page.messages[0].id });
    }
    return out;
  }

  /** Every receipt item the fake sender got, in order of arrival. */
  function sent(): Array<{ messageId: string; stage: string }> {
    return peer.calls
      .filter((call) => call.path === '/api/federation/receipts')
      .flatMap((call) =>
        (call.body?.items as Array<{ messageId: string; stage: string }>).map(({ messageId, stage }) => ({ messageId, stage })),
      );
  }

  it('reports held, then seen, then answered, each once, with the sender’s ids; stages never move back', async () => {
    const [one, two] = await receive(2);
    expect((await messages.get(one.localId)).stage).toBe('delivered');

    expect(await receipts.markHeld([one.localId])).toBe(1);
    await waitFor('the held receipt', async () => sent().length === 1);
    expect(sent()).toEqual([{ messageId: one.remoteId, stage: 'held' }]);
    expect((await messages.get(one.localId)).stage).toBe('held');

    // Answering skips what waits for the owner: only the delivered one is answered.
    expect(await receipts.markAnswered(contactId)).toBe(1);
    await waitFor('the answered receipt', async () => sent().length === 2);
    expect(sent()[1]).toEqual({ messageId: two.remoteId, stage: 'answered' });
    expect((await messages.get(one.localId)).stage).toBe('held');

    // Released by the owner and shown to the agent: seen; marking it again, or held again, changes nothing.
    expect(await receipts.markSeen([one.localId])).toBe(1);
    expect(await receipts.markSeen([one.localId, two.localId])).toBe(0);
    expect(await receipts.markHeld([one.localId, two.localId])).toBe(0);
    await waitFor('the seen receipt', async () => sent().length === 3);
    expect(sent()[2]).toEqual({ messageId: one.remoteId, stage: 'seen' });
    expect((await messages.get(one.localId)).stage).toBe('seen');
    expect((await messages.get(two.localId)).stage).toBe('answered');
    // Our own messages and unknown ids are not the receiver's to mark.
    expect(await receipts.markSeen([randomUUID()])).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sent()).toHaveLength(3);
  });

  it('sends the receipts that wait for one contact together, in one call', async () => {
    const received = await receive(5);
    answer = () => ({ status: 503, body: { message: 'busy' } });
    await receipts.markSeen(received.slice(0, 1).map((m) => m.localId));
    await waitFor('the first attempt', async () => peer.calls.length >= 1);
    await receipts.markSeen(received.slice(1).map((m) => m.localId));
    const before = peer.calls.length;
    answer = applied;
    const items = portal.dataSource.getRepository(OutboxItem);
    await waitFor('all five receipts delivered', async () => {
      const rows = await items.find({ where: received.map((m) => ({ kind: RECEIPT_OUTBOX, refId: m.localId })) });
      return rows.length === 5 && rows.every((row) => row.status === 'delivered');
    });
    const after = peer.calls.slice(before);
    expect(after).toHaveLength(1);
    const last = after[0];
    expect((last.body?.items as Array<{ messageId: string }>).map((item) => item.messageId)).toEqual(received.map((m) => m.remoteId));
    expect(last.authorization).toMatch(/^Bearer ap2p_c_/);
  });

  it('gives a receipt up at once when the sender does not know the route (an older Portal): no retries', async () => {
    const [one] = await receive(1);
    answer = () => ({ status: 404, body: { message: 'Cannot POST /api/federation/receipts' } });
    await receipts.markSeen([one.localId]);
    const item = await waitFor('the receipt to fail', async () => {
      const row = await portal.dataSource.getRepository(OutboxItem).findOne({ where: { kind: RECEIPT_OUTBOX, refId: one.localId } });
      return row?.status === 'failed' ? row : null;
    });
    expect(item.attempts).toBe(1);
    const calls = peer.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(peer.calls.length).toBe(calls);
    // Locally the message is seen all the same.
    expect((await messages.get(one.localId)).stage).toBe('seen');
  });

  it('as sender: a batch that moves one message twice, in any order, leaves it at the furthest stage; the rest are unknown or unchanged', async () => {
    // Last in the file: the messages sent here go to the fake peer and answer what was received.
    const contact = (await portal.get(ContactsService).findById(contactId))!;
    answer = () => ({ status: 503, body: { message: 'kept queued' } });
    const x = await messages.send({ contactId, content: 'x' });
    const y = await messages.send({ contactId, content: 'y' });
    const at = new Date().toISOString();
    const first = await receipts.receive(contact, {
      items: [
        { messageId: y.id, stage: 'answered', at },
        { messageId: x.id, stage: 'seen', at: new Date(Date.now() - 1000).toISOString() },
        { messageId: x.id, stage: 'answered', at },
        { messageId: randomUUID(), stage: 'seen', at },
      ],
    });
    expect(first.results.map((r) => r.result)).toEqual(['applied', 'applied', 'applied', 'unknown']);
    expect((await messages.get(x.id)).stage).toBe('answered');
    expect((await messages.get(y.id)).stage).toBe('answered');
    const again = await receipts.receive(contact, { items: [{ messageId: x.id, stage: 'seen', at }] });
    expect(again.results).toEqual([{ messageId: x.id, result: 'unchanged' }]);
    expect((await messages.get(x.id)).stage).toBe('answered');
  });

  it('as sender: a contact cannot move our messages to another contact, nor the messages it sent us', async () => {
    const contact = (await portal.get(ContactsService).findById(contactId))!;
    answer = () => ({ status: 503, body: { message: 'kept queued' } });
    const other = await portal.insertContact('https://other.example.test', { agentName: 'Other agent' });
    const toOther = await messages.send({ contactId: other.id, content: 'not yours' });
    const mine = await messages.send({ contactId, content: 'yours' });
    const [fromThem] = await receive(1);
    const at = new Date().toISOString();
    const result = await receipts.receive(contact, {
      items: [
        { messageId: toOther.id, stage: 'seen', at },
        { messageId: fromThem.localId, stage: 'seen', at },
        { messageId: mine.id, stage: 'seen', at },
      ],
    });
    expect(result.results.map((r) => r.result)).toEqual(['unknown', 'unknown', 'applied']);
    expect((await messages.get(toOther.id)).stage).toBe('queued');
    expect((await messages.get(fromThem.localId)).stage).toBe('delivered');
    expect((await messages.get(mine.id)).stage).toBe('seen');
  });
});
