import { createPortalClient, PortalApiError } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { latestSeq, TestPortal } from '@agent-p2p/testing';
/** The status of a rejected SDK call. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (error) {
    if (error instanceof PortalApiError) return error.status;
    throw error;
  }
  return 200;
}

describe('guestbook', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_GUESTBOOK_MAX_POSTS: '1000', PORTAL_GUESTBOOK_MAX_MESSAGE_CHARS: '500' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  const visitor = () => createPortalClient({ baseUrl: portal.url });

  async function count(): Promise<number> {
    return (await portal.client().listGuestbookEntries({ limit: 200 })).entries.length;
  }

  it('takes a public post, stores the text as typed, and emits guestbook.message in the same transaction', async () => {
    const before = await latestSeq(portal);
    const name = '<b>Eve</b> & "friends"';
    const message = '<script>alert(1)</script>\n你好 👋 — plain text';
    const created = await visitor().createGuestbookEntry({ name, message });
    expect(created).toEqual({ id: expect.any(Number), createdAt: expect.any(String) });

    const list = await portal.client().listGuestbookEntries();
    const entry = list.entries.find((e) => e.id === created.id);
    expect(entry).toEqual({ id: created.id, name, message, createdAt: created.createdAt, read: false, readAt: null });

    const response = await fetch(`${portal.url}/api/guestbook`, { headers: { Authorization: `Bearer ${portal.ownerKey}` } });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);

    const { events } = await portal.client().listEvents({ after: before });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'guestbook.message',
      payload: { entryId: created.id, name, message, createdAt: created.createdAt },
    });
  });

  it('lists with cursor paging and the unread filter, marks read and unread, deletes', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await visitor().createGuestbookEntry({ name: `v${i}`, message: `hello ${i}` })).id);
    const owner = portal.client();
    const all = (await owner.listGuestbookEntries({ limit: 200 })).entries.map((e) => e.id);
    expect(all.slice(-5)).toEqual(ids);

    const first = await owner.listGuestbookEntries({ after: ids[0] - 1, limit: 2 });
    expect(first.entries.map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(first.nextAfter).toBe(ids[1]);
    const second = await owner.listGuestbookEntries({ after: first.nextAfter ?? 0, limit: 2 });
    expect(second.entries.map((e) => e.id)).toEqual(ids.slice(2, 4));
    const last = await owner.listGuestbookEntries({ after: ids[3], limit: 2 });
    expect(last.entries.map((e) => e.id)).toEqual([ids[4]]);
    expect(last.nextAfter).toBeNull();

    const read = await owner.updateGuestbookEntry(ids[1], { read: true });
    expect(read).toMatchObject({ id: ids[1], read: true, readAt: expect.any(String) });
    const unread = await owner.listGuestbookEntries({ after: ids[0] - 1, unread: true });
    expect(unread.entries.map((e) => e.id)).toEqual([ids[0], ids[2], ids[3], ids[4]]);
    expect(await owner.updateGuestbookEntry(ids[1], { read: false })).toMatchObject({ read: false, readAt: null });

    // The console session may do the same (with the CSRF header on changes).
    const cookie = await portal.login();
    const patched = await fetch(`${portal.url}/api/guestbook/${ids[2]}`, {
      method: 'PATCH',
      headers: { Cookie: cookie, 'content-type': 'application/json', 'x-requested-with': 'agent-p2p' },
      body: JSON.stringify({ read: true }),
    });
    expect(patched.status).toBe(200);

    await owner.deleteGuestbookEntry(ids[4]);
    expect(await statusOf(owner.deleteGuestbookEntry(ids[4]))).toBe(404);
    expect((await owner.listGuestbookEntries({ after: ids[3] })).entries).toEqual([]);
  });

  it('answers 404 for unknown ids and 400 for malformed ones', async () => {
    const owner = portal.client();
    expect(await statusOf(owner.updateGuestbookEntry(999_999, { read: true }))).toBe(404);
    expect(await statusOf(owner.deleteGuestbookEntry(999_999))).toBe(404);
    for (const id of ['abc', '0', '-1', '1.5', '99999999999']) {
      const response = await fetch(`${portal.url}/api/guestbook/${id}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${portal.ownerKey}` },
      });
      expect({ id, status: response.status }).toEqual({ id, status: 400 });
    }
    const { id } = await visitor().createGuestbookEntry({ name: 'x', message: 'y' });
    for (const body of [{}, { read: 'yes' }, { read: true, extra: 1 }]) {
      expect(await statusOf(owner.updateGuestbookEntry(id, body as { read: boolean }))).toBe(400);
    }
    for (const query of ['after=-1', 'after=x', 'limit=0', 'limit=201', 'unread=maybe', 'other=1']) {
      const response = await fetch(`${portal.url}/api/guestbook?${query}`, { headers: { Authorization: `Bearer ${portal.ownerKey}` } });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
  });

  it('refuses bad posts with the exact status and stores nothing, emits nothing', async () => {
    const entries = await count();
    const seq = await latestSeq(portal);
    const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${portal.url}/api/guestbook`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }).then(
        (r) => r.status,
      );
    expect(await post({ message: 'no name' })).toBe(400);
    expect(await post({ name: 'no message' })).toBe(400);
    expect(await post({ name: '   ', message: 'blank name' })).toBe(400);
    expect(await post({ name: 'a', message: ' \n ' })).toBe(400);
    expect(await post({ name: 'x'.repeat(101), message: 'long name' })).toBe(400);
    expect(await post({ name: 'bell\u0007', message: 'control' })).toBe(400);
    expect(await post({ name: 'a', message: 42 })).toBe(400);
    expect(await post({ name: 'a', message: 'b', extra: true })).toBe(400);
    expect(await post('{not json')).toBe(400);
    expect(await post('name=a', { 'content-type': 'text/plain' })).toBe(415);
    expect(await post({ name: 'a', message: 'm'.repeat(501) })).toBe(413);
    expect(await post({ name: 'a', message: 'm'.repeat(2_000_000) })).toBe(413);
    expect(await count()).toBe(entries);
    expect(await latestSeq(portal)).toBe(seq);
    // Exactly the limit is fine (characters, not bytes).
    expect(await post({ name: 'a', message: '你'.repeat(500) })).toBe(201);
  });

  it('is for the owner and the agent only, except posting', async () => {
    expect(await statusOf(visitor().listGuestbookEntries())).toBe(401);
    expect(await statusOf(createPortalClient({ baseUrl: portal.url, apiKey: 'garbage' }).listGuestbookEntries())).toBe(401);
    expect(await statusOf(visitor().deleteGuestbookEntry(1))).toBe(401);
  });
});

describe('guestbook rate limit', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_GUESTBOOK_MAX_POSTS: '3', PORTAL_GUESTBOOK_WINDOW_SECONDS: '600' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('answers 429 with Retry-After beyond the posts allowed per address, and stores nothing', async () => {
    const visitor = createPortalClient({ baseUrl: portal.url });
    for (let i = 0; i < 3; i += 1) await visitor.createGuestbookEntry({ name: `n${i}`, message: 'hi' });
    const response = await fetch(`${portal.url}/api/guestbook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'n3', message: 'one too many' }),
    });
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(await response.json()).toMatchObject({ statusCode: 429, details: { retryAfterSeconds: retryAfter } });
    const { entries } = await portal.client().listGuestbookEntries();
    expect(entries.map((e) => e.name)).toEqual(['n0', 'n1', 'n2']);
  });
});
