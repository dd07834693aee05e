import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { OutboxItem } from '../src/federation/entities/outbox-item.entity';
import { eventsOf, freePort, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';

/** What became of our contact request: delivered, undelivered (and why), refused by their Portal, rejected by their owner. */
describe('contact-request delivery states', () => {
  let a: TestPortal;
  let b: TestPortal;
  /** A Portal that only takes https peers: it refuses A's http request for good. */
  let strict: TestPortal;

  beforeAll(async () => {
    [a, b, strict] = await Promise.all([startPeer(), startPeer(), startPeer({ env: { PORTAL_ALLOW_INSECURE_PEERS: 'false' } })]);
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy(), strict?.destroy()]);
  });

  it('an unreachable URL: undelivered with attempts and the last error, told once while retrying, then once when given up', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const created = await a.client().createContact(nobody, 'anyone there?');
    expect(created).toMatchObject({ status: 'pending', request: { state: 'sending', attempts: 0, error: null } });

    const undelivered = await waitFor('the request to be undelivered after 3 attempts', async () => {
      const contact = await a.client().getContact(created.id);
      return contact.request?.state === 'undelivered' && contact.request.attempts >= 3 ? contact : undefined;
    });
    expect(undelivered.status).toBe('pending');
    expect(undelivered.request?.error).toMatch(/127\.0\.0\.1/);
    // Retries go on; the agent is told once, not on every retry.
    await waitFor('more attempts', async () => ((await a.client().getContact(created.id)).request?.attempts ?? 0) >= 5);
    const told = await eventsOf(a, 'contact.request_failed');
    expect(told.map((e) => e.payload)).toEqual([
      {
        contactId: created.id,
        portalUrl: nobody,
        reason: 'undelivered',
        error: expect.stringContaining('127.0.0.1'),
        attempts: 3,
        final: false,
      },
    ]);
    expect(await eventsOf(a, 'contact.rejected')).toEqual([]);

    // Past the give-up age the outbox stops: the contact closes, undelivered, and the agent is told it is final.
    await a.app
      .get(DataSource)
      .getRepository(OutboxItem)
      .update({ contactId: created.id, kind: 'contact.request' }, { createdAt: new Date(Date.now() - 30 * 86_400_000) });
    const closed = await waitFor('the request to be given up', async () => {
      const contact = await a.client().getContact(created.id);
      return contact.status === 'rejected' ? contact : undefined;
    });
    expect(closed.request).toMatchObject({ state: 'undelivered', error: expect.stringMatching(/^gave up after \d+ attempts: /) });
    const finalNotice = (await eventsOf(a, 'contact.request_failed')).filter((e) => (e.payload as { final: boolean }).final);
    expect(finalNotice.map((e) => e.payload)).toEqual([
      {
        contactId: created.id,
        portalUrl: nobody,
        reason: 'undelivered',
        error: closed.request?.error,
        attempts: closed.request?.attempts,
        final: true,
      },
    ]);
    expect(await eventsOf(a, 'contact.rejected')).toEqual([]);
    // A new request to the same URL may be sent.
    await expect(a.client().createContact(nobody)).resolves.toMatchObject({ status: 'pending', request: { state: 'sending' } });
  });

  it("a policy refusal (their Portal takes https peers only): refused with their Portal's reason, not their owner's rejection", async () => {
    const created = await a.client().createContact(strict.url, 'over http');
    const refused = await waitFor('the request to be refused', async () => {
      const contact = await a.client().getContact(created.id);
      return contact.request?.state === 'refused' ? contact : undefined;
    });
    expect(refused).toMatchObject({ status: 'rejected', request: { state: 'refused', attempts: 1 } });
    expect(refused.request?.error).toMatch(/^400 .*https/);
    const failed = (await eventsOf(a, 'contact.request_failed')).filter(
      (e) => (e.payload as { contactId: number }).contactId === created.id,
    );
    expect(failed.map((e) => e.payload)).toEqual([
      { contactId: created.id, portalUrl: strict.url, reason: 'refused', error: refused.request?.error, attempts: 1, final: true },
    ]);
    expect(await eventsOf(a, 'contact.rejected')).toEqual([]);
    expect(await strict.client().listContactRequests()).toEqual([]);
  });

  it('delivered, waiting for their owner; then rejected by their owner', async () => {
    const created = await a.client().createContact(b.url, 'hello Bob');
    const delivered = await waitFor('the request to be delivered', async () => {
      const contact = await a.client().getContact(created.id);
      return contact.request?.state === 'delivered' ? contact : undefined;
    });
    expect(delivered).toMatchObject({ status: 'pending', request: { state: 'delivered', attempts: 1, error: null } });
    expect((await eventsOf(a, 'contact.request_delivered')).map((e) => e.payload)).toEqual([
      { contactId: created.id, portalUrl: b.url, attempts: 1 },
    ]);
    // The listing carries the same state.
    expect((await a.client().listContacts('pending')).find((c) => c.id === created.id)?.request?.state).toBe('delivered');

    const request = await waitFor('B to verify the request', async () =>
      (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === a.url),
    );
    await b.client().rejectContactRequest(request.id);
    const rejected = await waitFor("A to learn of their owner's rejection", async () => {
      const contact = await a.client().getContact(created.id);
      return contact.status === 'rejected' ? contact : undefined;
    });
    expect(rejected.request).toMatchObject({ state: 'rejected', error: null });
    expect((await eventsOf(a, 'contact.rejected')).map((e) => e.payload)).toEqual([{ contactId: created.id, portalUrl: b.url }]);
    const failedForB = (await eventsOf(a, 'contact.request_failed')).filter(
      (e) => (e.payload as { contactId: number }).contactId === created.id,
    );
    expect(failedForB).toEqual([]);
    // Incoming contacts carry no request of ours.
    expect((await b.client().listContacts()).every((c) => c.request === null)).toBe(true);
  });
});
