import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventsService } from '../../src/events/events.service';
import { ServicePortal } from '@agent-p2p/testing';
/**
 * append() ties the payload to the event type. The @ts-expect-error lines are checked by the test
 * type-check (tsconfig.test.json): each must stay a compile error.
 */
function wronglyTypedAppends(events: EventsService): void {
  const manager = null as never;
  // @ts-expect-error a contact.removed payload needs `by`
  void events.append(manager, 'contact.removed', { contactId: 1, portalUrl: 'https://b.example' });
  // @ts-expect-error a message.delivered payload has no `fileId`
  void events.append(manager, 'message.delivered', { fileId: 'f', contactId: 1, deliveredAt: '2026-01-01T00:00:00.000Z' });
  // @ts-expect-error `by` is 'me' or 'peer'
  void events.append(manager, 'contact.removed', { contactId: 1, portalUrl: 'https://b.example', by: 'them' });
  // @ts-expect-error no such event type
  void events.append(manager, 'contact.renamed', { contactId: 1 });
  // @ts-expect-error a payload type named with an event type of another shape
  void events.append<{ contactId: number; portalUrl: string }>(manager, 'message.failed', { contactId: 1, portalUrl: 'https://b.example' });
}

describe('EventsService.append', () => {
  let portal: ServicePortal;
  beforeAll(async () => {
    portal = await ServicePortal.open();
  });
  afterAll(async () => {
    await portal?.destroy();
  });

  it('stores a payload of the shape of its type and returns it as readers see it', async () => {
    const events = portal.get(EventsService);
    expect(typeof wronglyTypedAppends).toBe('function');
    const payload = { contactId: 7, portalUrl: 'https://b.example', by: 'peer' as const };
    const record = await portal.dataSource.transaction((manager) => events.append(manager, 'contact.removed', payload));
    expect(record).toMatchObject({ type: 'contact.removed', payload });
    expect(await events.listAfter(record.seq - 1, 1)).toEqual([record]);
  });
});
