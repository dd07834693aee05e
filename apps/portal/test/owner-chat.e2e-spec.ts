import { createPortalClient, PortalEventStream, type PortalEvent } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { bytes, latestSeq, sendFile, sha256, statusOf, TestPortal, waitFor } from '@agent-p2p/testing';
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
      attachments: [],
      createdAt: expect.any(String),
    });
    const fromAgent = await agent().postOwnerChatMessage('Done: 3 new messages.');
    expect(fromAgent).toMatchObject({ role: 'agent', content: 'Done: 3 new messages.' });
    expect(fromAgent.cursor).toBeGreaterThan(fromOwner.cursor);

    const { events } = await agent().listEvents({ after: before });
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      [
        'owner_chat.message',
        { messageId: fromOwner.id, role: 'owner', content: fromOwner.content, attachments: [], createdAt: fromOwner.createdAt },
      ],
      [
        'owner_chat.message',
        { messageId: fromAgent.id, role: 'agent', content: fromAgent.content, attachments: [], createdAt: fromAgent.createdAt },
      ],
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
      const response = await fetch(`${portal.url}/api/owner-chat/messages?${query}`, {
        headers: { Authorization: `Bearer ${portal.ownerKey}` },
      });
      expect([query, response.status]).toEqual([query, 400]);
    }
  });

  it('attachments: the owner attaches a local file, the agent fetches it and answers with one of its own', async () => {
    const seq = await latestSeq(portal);
    // The console uploads a file without a contact: it stays on this Portal.
    const report = bytes(150_000, 7);
    const ownerFileId = await sendFile(owner(), undefined, report, { name: '../季度 报告.pdf', mime: 'application/pdf' });
    const ownerFile = await owner().getFile(ownerFileId);
    expect(ownerFile).toMatchObject({
      direction: 'local',
      contactId: null,
      status: 'stored',
      contentAvailable: true,
      name: '季度 报告.pdf',
      delivery: null,
    });
    expect((await agent().listFiles({ direction: 'local' })).map((f) => f.id)).toContain(ownerFileId);
    const fromOwner = await owner().postOwnerChatMessage('', [ownerFileId]);
    const attachment = { fileId: ownerFileId, name: '季度 报告.pdf', size: report.length, mime: 'application/pdf', sha256: sha256(report) };
    expect(fromOwner).toMatchObject({ role: 'owner', content: '', attachments: [{ ...attachment, available: true }] });
    const { events } = await agent().listEvents({ after: seq });
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      [
        'owner_chat.message',
        { messageId: fromOwner.id, role: 'owner', content: '', attachments: [attachment], createdAt: fromOwner.createdAt },
      ],
    ]);
    // The agent fetches it with its key, as `agent-p2p files get` does.
    const download = await agent().downloadFile(ownerFileId);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(report));

    // The agent answers with a file of its own, and the console sees and downloads it.
    const answer = bytes(3000, 9);
    const agentFileId = await sendFile(agent(), undefined, answer, { name: 'summary.txt', mime: 'text/plain' });
    const reply = await agent().postOwnerChatMessage('Here is the summary', [agentFileId]);
    const page = await owner().listOwnerChatMessages({ after: fromOwner.cursor });
    expect(page.messages).toEqual([reply]);
    expect(reply.attachments).toEqual([
      { fileId: agentFileId, name: 'summary.txt', size: 3000, mime: 'text/plain', sha256: sha256(answer), available: true },
    ]);
    const viaCookie = await fetch(`${portal.url}/api/files/${agentFileId}/content`, { headers: { Cookie: cookie } });
    expect(viaCookie.status).toBe(200);
    expect(Buffer.from(await viaCookie.arrayBuffer()).equals(answer)).toBe(true);

    // Deleting the file keeps the message; the attachment says it is gone.
    await agent().deleteFile(agentFileId);
    const after = await owner().listOwnerChatMessages({ after: fromOwner.cursor });
    expect(after.messages[0].attachments[0]).toMatchObject({ fileId: agentFileId, available: false });
  });

  it('refuses attachments that are unknown, incomplete or malformed, and stores nothing', async () => {
    const count = await stored();
    const seq = await latestSeq(portal);
    const data = bytes(5000, 3);
    const incomplete = await agent().createFileUpload({ name: 'half.bin', size: data.length, sha256: sha256(data) });
    expect(incomplete).toMatchObject({ direction: 'local', status: 'uploading' });
    const complete = await sendFile(agent(), undefined, data, { name: 'whole.bin' });
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(await statusOf(agent().postOwnerChatMessage('see', [missing]))).toBe(404);
    expect(await statusOf(agent().postOwnerChatMessage('see', [complete, incomplete.id]))).toBe(409);
    const post = (body: unknown) =>
      fetch(`${portal.url}/api/owner-chat/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${portal.ownerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const body of [
      { content: 'x', fileIds: ['not-a-uuid'] },
      { content: 'x', fileIds: complete },
      { content: 'x', fileIds: [complete, complete] },
      { content: 'x', fileIds: Array.from({ length: 11 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`) },
      { content: ' ', fileIds: [] },
    ]) {
      expect([body, (await post(body)).status]).toEqual([body, 400]);
    }
    expect(await stored()).toBe(count);
    expect(await latestSeq(portal)).toBe(seq);
    // A file failing its whole-file check can never be attached.
    const wrong = await agent().createFileUpload({ name: 'bad.bin', size: data.length, sha256: sha256(bytes(5000, 4)) });
    expect(await statusOf(agent().uploadFileChunk(wrong.id, 0, data, sha256(data)))).toBe(422);
    expect(await statusOf(agent().postOwnerChatMessage('see', [wrong.id]))).toBe(409);
    await agent().deleteFile(incomplete.id);
  });

  it('local files count against their own quota (507 before any byte is written)', async () => {
    const small = await TestPortal.start({ env: { PORTAL_CONTACT_FILE_QUOTA_BYTES: '10000' } });
    try {
      const client = small.client();
      await sendFile(client, undefined, bytes(6000, 1), { name: 'a.bin' });
      const over = await fetch(`${small.url}/api/files`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${small.ownerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'b.bin', size: 6000, sha256: sha256(bytes(6000, 2)) }),
      });
      expect(over.status).toBe(507);
      expect((await over.json()).message).toMatch(/owner chat's local files would take 12000 bytes; the quota is 10000/);
      expect((await client.listFiles()).map((f) => f.name)).toEqual(['a.bin']);
    } finally {
      await small.destroy();
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
      expect(
        received.map((e) => (e.type === 'owner_chat.message' ? [e.payload.messageId, e.payload.role, e.payload.content] : null)),
      ).toEqual(written.map((m) => [m.id, 'owner', m.content]));
    } finally {
      await stream.close();
    }
  });
});
