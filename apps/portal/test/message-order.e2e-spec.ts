import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
const MESSAGES = 300;
const PARALLEL = 12;

/** Follows a contact's history with `after=` cursors, as a client syncing it would. */
async function follow(portal: TestPortal, contactId: number, done: () => boolean, seen: string[]): Promise<void> {
  let cursor = 0;
  for (;;) {
    const finished = done();
    const page = await portal.client().listMessages({ contactId, after: cursor, limit: 200 });
    for (const message of page.messages) seen.push(message.id);
    if (page.messages.length > 0) cursor = page.messages[page.messages.length - 1].cursor;
    if (finished && !page.hasMore && page.messages.length === 0) return;
  }
}

async function history(portal: TestPortal, contactId: number): Promise<string[]> {
  const contents: string[] = [];
  let cursor = 0;
  for (;;) {
    const page = await portal.client().listMessages({ contactId, after: cursor, limit: 200 });
    contents.push(...page.messages.map((message) => message.content));
    if (!page.hasMore) return contents;
    cursor = page.messages[page.messages.length - 1].cursor;
  }
}

describe('message history under concurrent sends', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aToB: number;
  let bToA: number;

  beforeAll(async () => {
    [a, b] = await Promise.all([startPeer(), startPeer()]);
    ({ aContactId: aToB, bContactId: bToA } = await connect(a, b));
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  it('a follower paging with after= misses no message, and B receives them in the order A shows', async () => {
    let next = 0;
    let sending = true;
    const sent: string[] = [];
    const senders = Array.from({ length: PARALLEL }, async () => {
      while (next < MESSAGES) {
        const n = next++;
        sent.push((await a.client().sendMessage(aToB, `message ${n}`)).id);
      }
    });
    const seen: string[] = [];
    const follower = follow(a, aToB, () => !sending, seen);
    await Promise.all(senders);
    sending = false;
    await follower;

    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...sent].sort());

    const shownByA = await history(a, aToB);
    await waitFor('B to hold every message', async () => (await history(b, bToA)).length === MESSAGES, 60_000);
    expect(await history(b, bToA)).toEqual(shownByA);
  });
});
