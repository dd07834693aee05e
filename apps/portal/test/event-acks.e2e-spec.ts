import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { OwnerKey } from '../src/auth/entities/owner-key.entity';
import { createLogger } from '../src/common/logger';
import { createPortalApp, initPortalApp, type PortalApp } from '../src/configure-app';
import { appendEvents, freePort, TEST_DATABASE_URL, TestPortal, TestSocket } from '@agent-p2p/testing';
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** The cursor as the database holds it (what any other instance, or a restart, would read). */
async function storedCursor(portal: TestPortal): Promise<number> {
  const [key] = await portal.app
    .get(DataSource)
    .getRepository(OwnerKey)
    .find({ order: { createdAt: 'ASC' }, take: 1 });
  return Number(key.ackedSeq);
}

describe('event acks are written before they are confirmed', () => {
  let portal: TestPortal;

  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal?.destroy();
  });

  it('a WS "acked" frame and an ack answer come only once the cursor is stored', async () => {
    const events = await appendEvents(portal, 6, 'ack');
    const socket = await TestSocket.open(portal, bearer(portal.ownerKey));
    try {
      await socket.resume(events[0].seq - 1);
      const received = await socket.events(6);
      for (const event of received.slice(0, 3)) socket.send({ type: 'ack', seq: event.seq });
      await socket.next((frame) => frame.type === 'acked' && frame.seq === received[2].seq);
      expect(await storedCursor(portal)).toBe(received[2].seq);
    } finally {
      await socket.close();
    }
    expect(await portal.client().ackEvents(events[5].seq)).toEqual({ ackedSeq: events[5].seq });
    expect(await storedCursor(portal)).toBe(events[5].seq);
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)('event acks across two instances on one PostgreSQL database', () => {
  let portal: TestPortal;
  let second: PortalApp | null = null;
  let secondPort = 0;

  beforeAll(async () => {
    portal = await TestPortal.start();
    secondPort = await freePort();
    second = await createPortalApp({
      config: { ...portal.config, port: secondPort },
      logger: createLogger('silent'),
      database: { postgresSchema: portal.schema! },
    });
    await initPortalApp(second);
    await second.app.listen({ port: secondPort, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await second?.app.close();
    await portal?.destroy();
  });

  it('a consumer that acks on one instance and reconnects at once to the other gets no acked event again', async () => {
    const other = { config: { port: secondPort } } as TestPortal;
    for (let round = 0; round < 5; round += 1) {
      const events = await appendEvents(portal, 4, `round-${round}`);
      const first = await TestSocket.open(portal, bearer(portal.ownerKey));
      await first.resume();
      const got = await first.events(4);
      first.send({ type: 'ack', seq: got[3].seq });
      await first.next((frame) => frame.type === 'acked');
      await first.terminate();

      const next = await TestSocket.open(other, bearer(portal.ownerKey));
      try {
        expect(await next.resume()).toBe(events[3].seq);
      } finally {
        await next.close();
      }
    }
  });
});
