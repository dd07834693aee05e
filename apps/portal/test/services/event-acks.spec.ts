import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { KeysService } from '../../src/auth/keys.service';
import { EventAcksService } from '../../src/events/event-acks.service';
import { ServicePortal } from '@agent-p2p/testing';
describe('EventAcksService (the acked cursor of each owner key)', () => {
  let portal: ServicePortal;
  beforeAll(async () => {
    portal = await ServicePortal.open();
  });
  afterAll(async () => {
    await portal?.destroy();
  });

  it('moves the cursor forward only, and stores it with the key before confirming', async () => {
    const keys = portal.get(KeysService);
    const acks = portal.get(EventAcksService);
    const { id } = await keys.create('acks');
    expect(await acks.ackedSeq(id)).toBe(0);
    expect(await acks.ackEvents(id, 5)).toBe(5);
    expect(await keys.storedAckedSeq(id)).toBe(5);
    expect(await acks.ackEvents(id, 3)).toBe(5);
    expect(await keys.storedAckedSeq(id)).toBe(5);
  });

  it('writes acks that arrive together in one go, each confirmed with the highest cursor', async () => {
    const keys = portal.get(KeysService);
    const acks = portal.get(EventAcksService);
    const { id } = await keys.create('burst');
    const answers = await Promise.all([1, 2, 3, 4, 5].map((seq) => acks.ackEvents(id, seq)));
    expect(Math.max(...answers)).toBe(5);
    expect(await keys.storedAckedSeq(id)).toBe(5);
    expect(await acks.ackedSeq(id)).toBe(5);
    expect(await acks.ackedSeq(randomUUID())).toBe(0);
  });
});
