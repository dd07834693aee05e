import { afterAll, describe, expect, it } from '@jest/globals';
import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/entities/message.entity';
import { MessagesService } from '../src/messages/messages.service';
import { connect, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
async function historyOf(portal: TestPortal, contactId: number): Promise<string[]> {
  const contents: string[] = [];
  let after = 0;
  for (;;) {
    const page = await portal.client().listMessages({ contactId, after, limit: 200 });
    contents.push(...page.messages.map((message) => message.content));
    if (!page.hasMore) return contents;
    after = page.messages[page.messages.length - 1].cursor;
  }
}

/** Counts the federation calls B's MessagesService gets, by route. */
function countCalls(portal: TestPortal): { single: number; batch: number; batchSizes: number[] } {
  const counts = { single: 0, batch: 0, batchSizes: [] as number[] };
  const service = portal.app.get(MessagesService);
  const receive = service.receive.bind(service);
  const receiveBatch = service.receiveBatch.bind(service);
  service.receive = (caller, dto) => ((counts.single += 1), receive(caller, dto));
  service.receiveBatch = (caller, dto) => ((counts.batch += 1), counts.batchSizes.push(dto.messages.length), receiveBatch(caller, dto));
  return counts;
}

/** True once none of these messages is queued: read a page at a time (not a call per message, which loads a busy database). */
async function allDelivered(portal: TestPortal, ids: string[]): Promise<boolean> {
  const wanted = new Set(ids);
  let after = 0;
  let seen = 0;
  for (;;) {
    const page = await portal.client().listMessages({ after, limit: 200 });
    for (const message of page.messages) {
      if (!wanted.has(message.id)) continue;
      if (message.status === 'queued') return false;
      seen += 1;
    }
    if (!page.hasMore) return seen === wanted.size;
    after = page.messages[page.messages.length - 1].cursor;
  }
}

describe('messages to one contact go in batches', () => {
  const portals: TestPortal[] = [];
  afterAll(async () => {
    await Promise.all(portals.map((portal) => portal.destroy()));
  });

  async function pair(envA: Record<string, string> = {}, envB: Record<string, string> = {}) {
    const [a, b] = await Promise.all([startPeer({ env: envA }), startPeer({ env: envB })]);
    portals.push(a, b);
    return { a, b, ...(await connect(a, b)) };
  }

  it('a backlog goes in a few calls, in order, each message stored once', async () => {
    // A probes B every second once its calls fail, so the backlog goes soon after B is back.
    const { a, b, aContactId, bContactId } = await pair({ PORTAL_OUTBOX_PROBE_SECONDS: '1' });
    await b.stop();
    const ids: string[] = [];
    for (let i = 0; i < 150; i += 1) ids.push((await a.client().sendMessage(aContactId, `batched ${i}`)).id);
    await b.start();
    const counts = countCalls(b);
    await waitFor('the backlog delivered', () => allDelivered(a, ids), 30_000);
    expect((await Promise.all(ids.map((id) => a.client().getMessage(id)))).every((m) => m.status === 'delivered')).toBe(true);
    expect(await historyOf(b, bContactId)).toEqual(Array.from({ length: 150 }, (_, i) => `batched ${i}`));
    expect(counts.batch + counts.single).toBeLessThanOrEqual(10);
    expect(Math.max(...counts.batchSizes)).toBeLessThanOrEqual(100);
    expect(Math.max(...counts.batchSizes)).toBeGreaterThan(1);
  });

  it('a batch whose answer was lost is sent again as a unit and stored once', async () => {
    const { a, b, aContactId, bContactId } = await pair();
    await b.stop();
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1) ids.push((await a.client().sendMessage(aContactId, `replayed ${i}`)).id);
    await b.start();
    const restarted = b.app.get(MessagesService);
    const again = restarted.receiveBatch.bind(restarted);
    let lostAfterRestart = 0;
    restarted.receiveBatch = async (caller, dto) => {
      const answer = await again(caller, dto);
      if (lostAfterRestart++ < 2) throw new ServiceUnavailableException('the answer is lost');
      return answer;
    };
    await waitFor('all delivered', () => allDelivered(a, ids), 30_000);
    expect(lostAfterRestart).toBeGreaterThan(2);
    expect(await b.app.get(DataSource).getRepository(Message).countBy({ contactId: bContactId })).toBe(40);
    expect(await historyOf(b, bContactId)).toEqual(Array.from({ length: 40 }, (_, i) => `replayed ${i}`));
  });

  it('a peer without the batch route gets each message alone', async () => {
    const { a, b, aContactId, bContactId } = await pair();
    await b.stop();
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) ids.push((await a.client().sendMessage(aContactId, `old peer ${i}`)).id);
    await b.start();
    const service = b.app.get(MessagesService);
    let refused = 0;
    service.receiveBatch = async () => {
      refused += 1;
      throw new NotFoundException('Cannot POST /api/federation/messages/batch');
    };
    await waitFor('all delivered', () => allDelivered(a, ids), 30_000);
    expect(refused).toBe(1);
    expect(await historyOf(b, bContactId)).toEqual(Array.from({ length: 30 }, (_, i) => `old peer ${i}`));
  });

  it('a message the peer finds too large fails alone; the others of its batch are delivered', async () => {
    const { a, b, aContactId, bContactId } = await pair({}, { PORTAL_MAX_MESSAGE_BYTES: '100' });
    await b.stop();
    const contents = ['small 1', 'x'.repeat(500), 'small 2'];
    const ids: string[] = [];
    for (const content of contents) ids.push((await a.client().sendMessage(aContactId, content)).id);
    await b.start();
    await waitFor('all settled', () => allDelivered(a, ids), 30_000);
    const states = await Promise.all(ids.map((id) => a.client().getMessage(id)));
    expect(states.map((m) => m.status)).toEqual(['delivered', 'failed', 'delivered']);
    expect(states[1].lastError).toMatch(/^413 /);
    expect(await historyOf(b, bContactId)).toEqual(['small 1', 'small 2']);
  });
});
