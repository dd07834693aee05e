import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SECRET_BOX } from '../src/common/secret-box';
import { OutboxItem } from '../src/federation/entities/outbox-item.entity';
import { Contact } from '../src/contacts/entities/contact.entity';
import { Message } from '../src/messages/entities/message.entity';
import { connect, eventsOf, signedFetch, startPeer, statusOf, type TestPortal, waitFor } from '@agent-p2p/testing';
describe('messages between two Portals', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aToB: number;
  let bToA: number;

  beforeAll(async () => {
    [a, b] = await Promise.all([startPeer({ env: { PORTAL_MAX_MESSAGE_BYTES: '1000' } }), startPeer()]);
    await b.client().updateMe({ agentName: "Bob's agent" });
    await a.client().updateMe({ agentName: "Alice's agent" });
    ({ aContactId: aToB, bContactId: bToA } = await connect(a, b));
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  it('sends at once as queued, delivers, and both agents get their events', async () => {
    const sent = await a.client().sendMessage(aToB, 'Hello Bob! 你好 <b>bold</b>');
    expect(sent).toMatchObject({ status: 'queued', direction: 'out', contactId: aToB });
    await waitFor('delivery', async () => (await a.client().getMessage(sent.id)).status === 'delivered');
    const delivered = await a.client().getMessage(sent.id);
    expect(delivered.attempts).toBe(1);
    expect(delivered.deliveredAt).not.toBeNull();

    const page = await b.client().listMessages({ contactId: bToA });
    expect(page.messages.map((m) => [m.direction, m.content, m.status])).toEqual([['in', 'Hello Bob! 你好 <b>bold</b>', 'received']]);
    const [received] = await eventsOf(b, 'message.received');
    expect(received.payload).toMatchObject({
      messageId: page.messages[0].id,
      contactId: bToA,
      contactName: "Alice's agent",
      content: 'Hello Bob! 你好 <b>bold</b>',
    });
    const [deliveredEvent] = await eventsOf(a, 'message.delivered');
    expect(deliveredEvent.payload).toMatchObject({ messageId: sent.id, contactId: aToB });
  });

  it('the same id twice makes one message on either side', async () => {
    const id = crypto.randomUUID();
    const first = await a.client().sendMessage(aToB, 'only once', id);
    const second = await a.client().sendMessage(aToB, 'only once', id);
    expect(second.id).toBe(first.id);
    expect(await statusOf(a.client().sendMessage(aToB, 'something else', id))).toBe(409);
    await waitFor('delivery', async () => (await a.client().getMessage(id)).status === 'delivered');
    const onB = await b.app.get(DataSource).getRepository(Message).countBy({ remoteId: id });
    expect(onB).toBe(1);

    // A replayed federation call (a lost answer) is answered the same way and stores nothing new.
    const contact = await a.app.get(DataSource).getRepository(Contact).findOneByOrFail({ id: aToB });
    const key = a.app.get(SECRET_BOX).open(contact.keySealed!);
    const replay = await signedFetch(a, `${b.url}/api/federation/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ id, content: 'only once', type: 'text', sentAt: new Date().toISOString() }),
    });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ id, duplicate: true });
    expect(await b.app.get(DataSource).getRepository(Message).countBy({ remoteId: id })).toBe(1);
  });

  it('pages through history with cursors and searches text', async () => {
    for (let i = 0; i < 7; i += 1) await b.client().sendMessage(bToA, `page item ${i}${i === 3 ? ' needle' : ''}`);
    await waitFor('all on A', async () => (await a.client().listMessages({ contactId: aToB, q: 'page item' })).messages.length === 7);
    const newest = await a.client().listMessages({ contactId: aToB, q: 'page item', limit: 3 });
    expect(newest.messages.map((m) => m.content)).toEqual(['page item 4', 'page item 5', 'page item 6']);
    expect(newest.hasMore).toBe(true);
    const older = await a.client().listMessages({ contactId: aToB, q: 'page item', limit: 3, before: newest.messages[0].cursor });
    expect(older.messages.map((m) => m.content)).toEqual(['page item 1', 'page item 2', 'page item 3 needle']);
    const forward = await a.client().listMessages({ contactId: aToB, q: 'page item', limit: 10, after: older.messages[2].cursor });
    expect(forward).toMatchObject({ hasMore: false });
    expect(forward.messages.map((m) => m.content)).toEqual(['page item 4', 'page item 5', 'page item 6']);
    const search = await a.client().listMessages({ q: 'NEEDLE' });
    expect(search.messages.map((m) => m.content)).toEqual(['page item 3 needle']);
    expect((await a.client().listMessages({ q: '100%_' })).messages).toEqual([]);
  });

  it('bad inputs get the exact 4xx and store nothing', async () => {
    const repo = a.app.get(DataSource).getRepository(Message);
    const before = await repo.count();
    expect(await statusOf(a.client().sendMessage(999, 'to nobody'))).toBe(404);
    expect(await statusOf(a.client().sendMessage(aToB, ''))).toBe(400);
    expect(await statusOf(a.client().sendMessage(aToB, 'x'.repeat(1001)))).toBe(413);
    expect(await statusOf(a.client().sendMessage(aToB, '好'.repeat(334)))).toBe(413);
    expect(await statusOf(a.client().sendMessage(aToB, 'bad id', 'not-a-uuid'))).toBe(400);
    const raw = (body: unknown) =>
      fetch(`${a.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a.ownerKey}` },
        body: JSON.stringify(body),
      });
    expect((await raw({ contactId: 'one', content: 'x' })).status).toBe(400);
    expect((await raw({ contactId: aToB, content: 5 })).status).toBe(400);
    expect((await raw({ contactId: aToB, content: 'x', extra: 1 })).status).toBe(400);
    expect(await statusOf(a.client().getMessage(crypto.randomUUID()))).toBe(404);
    expect(await statusOf(a.client().listMessages({ contactId: 999 }))).toBe(404);
    expect(await statusOf(a.client().listMessages({ after: 1, before: 5 }))).toBe(400);
    expect(await statusOf(a.client().listMessages({ limit: 1000 }))).toBe(400);
    expect(await repo.count()).toBe(before);

    // Federation: no key 401, an owner key 403, a bad body 400, nothing stored on B.
    const bRepo = b.app.get(DataSource).getRepository(Message);
    const bBefore = await bRepo.count();
    const contact = await a.app.get(DataSource).getRepository(Contact).findOneByOrFail({ id: aToB });
    const key = a.app.get(SECRET_BOX).open(contact.keySealed!);
    const federate = (headers: Record<string, string>, body: unknown) =>
      signedFetch(a, `${b.url}/api/federation/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const good = { id: crypto.randomUUID(), content: 'hi', type: 'text', sentAt: new Date().toISOString() };
    expect((await federate({}, good)).status).toBe(401);
    expect((await federate({ authorization: `Bearer ${b.ownerKey}` }, good)).status).toBe(403);
    expect((await federate({ authorization: `Bearer ap2p_c_${'x'.repeat(43)}` }, good)).status).toBe(401);
    expect((await federate({ authorization: `Bearer ${key}` }, { ...good, type: 'html' })).status).toBe(400);
    expect((await federate({ authorization: `Bearer ${key}` }, { ...good, sentAt: 'yesterday' })).status).toBe(400);
    expect((await federate({ authorization: `Bearer ${key}` }, { ...good, id: 'x' })).status).toBe(400);
    expect((await federate({ authorization: `Bearer ${key}` }, { ...good, content: 'y'.repeat(70_000) })).status).toBe(413);
    expect(await bRepo.count()).toBe(bBefore);
  });

  it('a message to a dead peer keeps retrying with its attempts and error visible, then fails when given up', async () => {
    const lonely = await startPeer({ env: { PORTAL_OUTBOX_GIVE_UP_DAYS: '1' } });
    const gone = await startPeer();
    try {
      const { aContactId } = await connect(lonely, gone);
      await gone.stop();
      const sent = await lonely.client().sendMessage(aContactId, 'are you there?');
      const retried = await waitFor('two failed attempts', async () => {
        const m = await lonely.client().getMessage(sent.id);
        return m.attempts >= 2 ? m : undefined;
      });
      expect(retried).toMatchObject({ status: 'queued' });
      expect(retried.lastError).toMatch(/ECONNREFUSED|connect/);
      expect(retried.nextAttemptAt).not.toBeNull();
      // Pretend the message is two days old: the next attempt gives up.
      await lonely.app
        .get(DataSource)
        .getRepository(OutboxItem)
        .update({ refId: sent.id }, { createdAt: new Date(Date.now() - 2 * 86_400_000) });
      await waitFor('failure', async () => (await lonely.client().getMessage(sent.id)).status === 'failed');
      const [failed] = await eventsOf(lonely, 'message.failed');
      expect(failed.payload).toMatchObject({ messageId: sent.id, contactId: aContactId });
      expect(String(failed.payload.error)).toMatch(/gave up/);
    } finally {
      await Promise.all([lonely.destroy(), gone.destroy()]);
    }
  });
});
