import { createPortalClient, PortalApiError, PortalEventStream, type PortalEvent } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { latestSeq } from './support/event-helpers';
import { waitFor } from './support/pair';
import { TestPortal } from './support/test-portal';

async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (error) {
    if (error instanceof PortalApiError) return error.status;
    throw error;
  }
  return 200;
}

describe('owner chat', () => {
  let portal: TestPortal;
  let cookie: string;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_MAX_MESSAGE_BYTES: '1000' } });
    cookie = await portal.login();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  /** The console: cookie + CSRF header, as the browser sends them. */
  const owner = () => createPortalClient({ baseUrl: portal.url, session: true, headers: { Cookie: cookie } });
  const agent = () => portal.client();
  const stored = async (): Promise<number> =>
    Number((await portal.app.get(DataSource).query('SELECT COUNT(*) AS n FROM owner_chat_messages'))[0].n);

  it('takes the role from the credential and appends owner_chat.message in the same transaction', async () => {
    const before = await latestSeq(portal);
    const fromOwner = await owner().postOwnerChatMessage('请总结今天的消息 <b>now</b>');
    expect(fromOwner).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      cursor: expect.any(Number),
      role: 'owner',
      content: '请总结今天的消息 <b>now</b>',
      createdAt: expect.any(String),
    });
    const fromAgent = await agent().postOwnerChatMessage('Done: 3 new messages.');
    expect(fromAgent).toMatchObject({ role: 'agent', content: 'Done: 3 new messages.' });
    expect(fromAgent.cursor).toBeGreaterThan(fromOwner.cursor);

    const { events } = await agent().listEvents({ after: before });
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ['owner_chat.message', { messageId: fromOwner.id, role: 'owner', content: fromOwner.content, createdAt: fromOwner.createdAt }],
      ['owner_chat.message', { messageId: fromAgent.id, role: 'agent', content: fromAgent.content, createdAt: fromAgent.createdAt }],
    ]);

    // Both credentials read the same chat.
    for (const client of [owner(), agent()]) {
      const page = await client.listOwnerChatMessages();
      expect(page.messages.slice(-2)).toEqual([fromOwner, fromAgent]);
    }
  });

  it('pages: newest page by default, older with before, newer with after', async () => {
    const posted = [];
    for (let i = 0; i < 5; i += 1) posted.push(await agent().postOwnerChatMessage(`page ${i}`));
    const newest = await agent().listOwnerChatMessages({ limit: 2 });
    expect(newest.messages.map((m) => m.content)).toEqual(['page 3', 'page 4']);
    expect(newest.hasMore).toBe(true);
    const older = await agent().listOwnerChatMessages({ before: newest.messages[0].cursor, limit: 2 });
    expect(older.messages.map((m) => m.content)).toEqual(['page 1', 'page 2']);
    const after = await agent().listOwnerChatMessages({ after: posted[1].cursor, limit: 2 });
    expect(after.messages.map((m) => m.content)).toEqual(['page 2', 'page 3']);
    expect(after.hasMore).toBe(true);
    const last = await agent().listOwnerChatMessages({ after: posted[3].cursor, limit: 2 });
    expect(last.messages.map((m) => m.content)).toEqual(['page 4']);
    expect(last.hasMore).toBe(false);
  });

  it('refuses bad input with exact statuses and stores nothing', async () => {
    const count = await stored();
    const seq = await latestSeq(portal);
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${portal.url}/api/owner-chat/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${portal.ownerKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    expect((await post({})).status).toBe(400);
    expect((await post({ content: '' })).status).toBe(400);
    expect((await post({ content: '  \n ' })).status).toBe(400);
    expect((await post({ content: 42 })).status).toBe(400);
    expect((await post({ content: null })).status).toBe(400);
    expect((await post({ content: 'hi', role: 'owner' })).status).toBe(400);
    expect(await statusOf(agent().postOwnerChatMessage('é'.repeat(501)))).toBe(413);
    expect((await agent().postOwnerChatMessage('x'.repeat(1000))).content).toHaveLength(1000);
    await agent().raw.GET('/api/owner-chat/messages'); // reads never write
    expect(await stored()).toBe(count + 1);
    expect(await latestSeq(portal)).toBe(seq + 1);

    // No credential, and a session without the CSRF header.
    expect((await fetch(`${portal.url}/api/owner-chat/messages`)).status).toBe(401);
    const noCsrf = await fetch(`${portal.url}/api/owner-chat/messages`, {
      method: 'POST',
      headers: { Cookie: cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'forged' }),
    });
    expect(noCsrf.status).toBe(403);
    expect(await stored()).toBe(count + 1);

    for (const query of ['after=-1', 'after=abc', 'before=0', 'limit=0', 'limit=201', 'after=1&before=5']) {
      const response = await fetch(`${portal.url}/api/owner-chat/messages?${query}`, { headers: { Authorization: `Bearer ${portal.ownerKey}` } });
      expect([query, response.status]).toEqual([query, 400]);
    }
  });

  it('loses nothing while the Bridge is offline: a reconnecting stream gets every message from its cursor', async () => {
    // The Bridge handled everything so far, then went away.
    const bridgeKey = (await agent().createKey('bridge')).key;
    const bridge = createPortalClient({ baseUrl: portal.url, apiKey: bridgeKey });
    await bridge.ackEvents(await latestSeq(portal));

    const written = [];
    for (let i = 0; i < 3; i += 1) written.push(await owner().postOwnerChatMessage(`while offline ${i}`));
    await portal.stop();
    await portal.start();
    cookie = await portal.login();
    written.push(await owner().postOwnerChatMessage('after the restart'));

    const received: PortalEvent[] = [];
    const stream = new PortalEventStream({
      baseUrl: portal.url,
      apiKey: bridgeKey,
      onEvent: (event) => {
        if (event.type === 'owner_chat.message') received.push(event);
        stream.ack(event.seq);
      },
    }).start();
    try {
      await waitFor('the Bridge to catch up', async () => received.length >= written.length);
      expect(received.map((e) => (e.type === 'owner_chat.message' ? [e.payload.messageId, e.payload.role, e.payload.content] : null))).toEqual(
        written.map((m) => [m.id, 'owner', m.content]),
      );
    } finally {
      await stream.close();
    }
  });
});
