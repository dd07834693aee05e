import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/entities/message.entity';
import { connect, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
const TOTAL = 1000;

describe('durable delivery', () => {
  let a: TestPortal;
  let b: TestPortal;

  beforeAll(async () => {
    [a, b] = await Promise.all([startPeer(), startPeer()]);
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  it(`${TOTAL} messages A→B arrive exactly once and in order though B is down for a while and A restarts`, async () => {
    const { aContactId, bContactId } = await connect(a, b);
    let next = 0;
    const sendBatch = async (count: number) => {
      const end = Math.min(TOTAL, next + count);
      for (; next < end; next += 1) {
        await a.client().sendMessage(aContactId, `message ${String(next).padStart(4, '0')}`);
      }
    };

    await sendBatch(250);
    await b.stop(); // B goes down with part of the backlog undelivered
    await sendBatch(250);
    await b.start();
    await sendBatch(100);
    await a.stop(); // A restarts with its outbox mid-way
    await a.start();
    await sendBatch(TOTAL);

    const aRepo = () => a.app.get(DataSource).getRepository(Message);
    const bRepo = () => b.app.get(DataSource).getRepository(Message);
    await waitFor('every message delivered', async () => (await aRepo().countBy({ status: 'delivered' })) === TOTAL, 60_000);

    const sent = await aRepo().find({ where: { contactId: aContactId, direction: 'out' }, order: { seq: 'ASC' } });
    const received = await bRepo().find({ where: { contactId: bContactId, direction: 'in' }, order: { seq: 'ASC' } });
    expect(sent).toHaveLength(TOTAL);
    expect(received).toHaveLength(TOTAL);
    expect(new Set(received.map((m) => m.remoteId)).size).toBe(TOTAL);
    // Per-contact order: B received them in exactly the order A accepted them.
    expect(received.map((m) => m.remoteId)).toEqual(sent.map((m) => m.id));
    expect(received.map((m) => m.content)).toEqual(sent.map((m) => m.content));
    expect(sent.every((m) => m.status === 'delivered')).toBe(true);
  }, 120_000);
});
