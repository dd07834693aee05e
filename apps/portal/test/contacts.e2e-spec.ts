import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SECRET_BOX } from '../src/common/secret-box';
import { generateContactKey } from '../src/common/secrets';
import { ContactRequest } from '../src/contacts/entities/contact-request.entity';
import { Contact } from '../src/contacts/entities/contact.entity';
import { connect, eventsOf, FakePeer, signedFetch, startPeer, statusOf, testIdentity, type TestPortal, waitFor } from '@agent-p2p/testing';
describe('contact handshake between two Portals', () => {
  let a: TestPortal;
  let b: TestPortal;
  let c: TestPortal;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([startPeer(), startPeer(), startPeer()]);
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy(), c?.destroy()]);
  });

  it('A asks, B verifies with A and its owner approves: both sides active, events on both', async () => {
    await b.client().updateMe({ agentName: "Bob's agent", ownerName: 'Bob' });
    await a.client().updateMe({ agentName: "Alice's agent", ownerName: 'Alice' });
    const created = await a.client().createContact(`${b.url}/`, 'Hi Bob, it is Alice');
    expect(created).toMatchObject({ portalUrl: b.url, status: 'pending', direction: 'outgoing' });

    const request = await waitFor('B to receive and verify the request', async () =>
      (await b.client().listContactRequests()).find((r) => r.portalUrl === a.url && r.verified),
    );
    expect(request).toMatchObject({ agentName: "Alice's agent", ownerName: 'Alice', message: 'Hi Bob, it is Alice', status: 'pending' });
    const [received] = await eventsOf(b, 'contact.request_received');
    expect(received.payload).toMatchObject({ requestId: request.id, portalUrl: a.url, verified: true, message: 'Hi Bob, it is Alice' });

    const bContact = await b.client().approveContactRequest(request.id);
    expect(bContact).toMatchObject({ status: 'active', direction: 'incoming', portalUrl: a.url, agentName: "Alice's agent" });
    const aContact = await waitFor('A to see the contact active', async () => {
      const contact = await a.client().getContact(created.id);
      return contact.status === 'active' ? contact : undefined;
    });
    expect(aContact).toMatchObject({ agentName: "Bob's agent", ownerName: 'Bob', request: { state: 'delivered', error: null } });
    const accepted = await eventsOf(a, 'contact.accepted');
    expect(accepted.map((e) => e.payload)).toEqual([{ contactId: created.id, portalUrl: b.url, agentName: "Bob's agent" }]);

    // Approving twice is harmless; asking again for an active contact is refused.
    await expect(b.client().approveContactRequest(request.id)).resolves.toMatchObject({ id: bContact.id });
    expect(await statusOf(a.client().createContact(b.url))).toBe(409);
  });

  it('a rejected request ends rejected on the requester, which is told', async () => {
    const created = await c.client().createContact(b.url, 'let me in');
    const request = await waitFor('B to verify C', async () =>
      (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === c.url),
    );
    await expect(b.client().rejectContactRequest(request.id)).resolves.toMatchObject({ status: 'rejected' });
    await waitFor('C to see the rejection', async () => (await c.client().getContact(created.id)).status === 'rejected');
    expect((await eventsOf(c, 'contact.rejected')).map((e) => e.payload)).toEqual([{ contactId: created.id, portalUrl: b.url }]);
    expect(await statusOf(b.client().approveContactRequest(request.id))).toBe(409);
  });

  it('removal: the peer is told and the shared key stops working on both sides', async () => {
    const { aContactId, bContactId } = await connect(c, a);
    const cContact = await c.app.get(DataSource).getRepository(Contact).findOneByOrFail({ id: aContactId });
    const sharedKey = c.app.get(SECRET_BOX).open(cContact.keySealed!);
    // Each notice signed by the Portal that would send it (C's to A, A's to C): only the removed key is refused.
    const removalNotice = (portal: TestPortal) =>
      signedFetch(portal === a ? c : a, `${portal.url}/api/federation/contact`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${sharedKey}` },
      });
    await a.client().removeContact(bContactId);
    await waitFor('C to learn about the removal', async () => (await c.client().getContact(aContactId)).status === 'removed');
    expect((await eventsOf(c, 'contact.removed')).map((e) => e.payload)).toEqual([{ contactId: aContactId, portalUrl: a.url, by: 'peer' }]);
    expect((await eventsOf(a, 'contact.removed')).map((e) => e.payload)).toEqual([{ contactId: bContactId, portalUrl: c.url, by: 'me' }]);
    expect((await removalNotice(a)).status).toBe(401);
    expect((await removalNotice(c)).status).toBe(401);
  });

  it('a third Portal holding a stolen request id cannot complete the handshake', async () => {
    const created = await a.client().createContact(c.url, 'second try');
    const request = await waitFor('C to verify A', async () =>
      (await c.client().listContactRequests('pending')).find((r) => r.portalUrl === a.url),
    );
    const requestId = (await c.app.get(DataSource).getRepository(ContactRequest).findOneByOrFail({ id: request.id })).requestId;
    // Without the key: 401. With another contact's key (B is A's contact): 404, nothing changes.
    const noKey = await fetch(`${a.url}/api/federation/contact-requests/${requestId}/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentName: 'evil', ownerName: 'evil' }),
    });
    expect(noKey.status).toBe(401);
    const bKeyContact = await b.app.get(DataSource).getRepository(Contact).findOneByOrFail({ portalUrl: a.url, status: 'active' });
    const bKey = b.app.get(SECRET_BOX).open(bKeyContact.keySealed!);
    const wrongKey = await signedFetch(b, `${a.url}/api/federation/contact-requests/${requestId}/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bKey}` },
      body: JSON.stringify({ agentName: 'evil', ownerName: 'evil' }),
    });
    expect(wrongKey.status).toBe(404);
    expect((await a.client().getContact(created.id)).status).toBe('pending');
  });

  it('a Portal claiming to be someone else fails the check and never reaches the owner', async () => {
    const forgedRequest = () => ({
      requestId: crypto.randomUUID(),
      fromPortal: c.url,
      agentName: 'Not C',
      ownerName: 'Mallory',
      message: 'trust me',
      key: generateContactKey(),
    });
    const repo = b.app.get(DataSource).getRepository(ContactRequest);
    // Signed with a key of its own (or not at all): refused at once, as C publishes another key; nothing stored.
    for (const signer of [testIdentity(), undefined]) {
      const body = forgedRequest();
      const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const refused = signer
        ? await signedFetch(signer, `${b.url}/api/federation/contact-requests`, init)
        : await fetch(`${b.url}/api/federation/contact-requests`, init);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { details: { code: string } }).details.code).toBe(
        signer ? 'identity_unknown' : 'signature_missing',
      );
      expect(await repo.findOneBy({ requestId: body.requestId })).toBeNull();
    }
    // Signed with C's key (a key that leaked) but not sent by C: C denies it when B checks, so it ends invalid.
    const { requestId, ...rest } = forgedRequest();
    const forged = await signedFetch(c, `${b.url}/api/federation/contact-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestId, ...rest }),
    });
    expect(forged.status).toBe(202);
    await waitFor('B to find out', async () => (await repo.findOneBy({ requestId }))?.status === 'invalid');
    const listed = await b.client().listContactRequests();
    expect(listed.find((r) => r.agentName === 'Not C')).toBeUndefined();
    const events = await eventsOf(b, 'contact.request_received');
    expect(events.find((e) => e.payload.agentName === 'Not C')).toBeUndefined();
  });

  it('bad inputs get the exact 4xx and store nothing', async () => {
    const before = await a.client().listContacts();
    expect(await statusOf(a.client().createContact('ftp://example.com'))).toBe(400);
    expect(await statusOf(a.client().createContact('not a url'))).toBe(400);
    expect(await statusOf(a.client().createContact(a.url))).toBe(400);
    expect(await statusOf(a.client().createContact(`${b.url}/?x=1`))).toBe(400);
    expect(await statusOf(a.client().getContact(999))).toBe(404);
    expect(await statusOf(a.client().removeContact(999))).toBe(404);
    expect(await statusOf(a.client().approveContactRequest(999))).toBe(404);
    const badId = await fetch(`${a.url}/api/contacts/abc`, { headers: { authorization: `Bearer ${a.ownerKey}` } });
    expect(badId.status).toBe(400);
    expect(await a.client().listContacts()).toEqual(before);

    const requestsBefore = await b.app.get(DataSource).getRepository(ContactRequest).count();
    const post = (body: unknown) =>
      fetch(`${b.url}/api/federation/contact-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const good = {
      requestId: crypto.randomUUID(),
      fromPortal: c.url,
      agentName: 'x',
      ownerName: 'y',
      message: 'z',
      key: generateContactKey(),
    };
    expect((await post({ ...good, key: 'short' })).status).toBe(400);
    expect((await post({ ...good, requestId: 'nope' })).status).toBe(400);
    expect((await post({ ...good, fromPortal: 'javascript:alert(1)' })).status).toBe(400);
    expect((await post({ ...good, message: 'x'.repeat(1001) })).status).toBe(400);
    expect((await post({ ...good, extra: true })).status).toBe(400);
    expect((await post({ ...good, fromPortal: b.url })).status).toBe(400);
    expect(await b.app.get(DataSource).getRepository(ContactRequest).count()).toBe(requestsBefore);

    // A contact key is no good outside the federation routes, and an owner key no good on them.
    const contactRow = await b.app.get(DataSource).getRepository(Contact).findOneByOrFail({ portalUrl: a.url, status: 'active' });
    const contactKey = b.app.get(SECRET_BOX).open(contactRow.keySealed!);
    expect((await fetch(`${a.url}/api/contacts`, { headers: { authorization: `Bearer ${contactKey}` } })).status).toBe(403);
    expect(
      (await fetch(`${a.url}/api/federation/contact`, { method: 'DELETE', headers: { authorization: `Bearer ${a.ownerKey}` } })).status,
    ).toBe(403);
  });

  it('limits waiting requests per requesting Portal and unauthenticated requests per address', async () => {
    // A "Portal" that publishes its identity but never answers the check: its requests stay in verification.
    let release!: () => void;
    const released = new Promise<{ status: number }>((resolve) => (release = () => resolve({ status: 503 })));
    const silent = await FakePeer.start(() => released);
    const silentUrl = silent.url;
    const strict = await startPeer({ env: { PORTAL_PENDING_REQUESTS_PER_PORTAL: '2', PORTAL_PUBLIC_REQUESTS_PER_MINUTE: '4' } });
    try {
      const send = (fromPortal: string) =>
        silent.fetch(`${strict.url}/api/federation/contact-requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            requestId: crypto.randomUUID(),
            fromPortal,
            agentName: 'a',
            ownerName: 'o',
            message: 'm',
            key: generateContactKey(),
          }),
        });
      expect((await send(silentUrl)).status).toBe(202);
      expect((await send(silentUrl)).status).toBe(202);
      const third = await send(silentUrl);
      expect(third.status).toBe(429);
      expect((await third.json()).message).toMatch(/already has 2 contact requests waiting/);
      expect((await send(`${silentUrl}/other`)).status).toBe(202);
      const limited = await send(`${silentUrl}/another`);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await strict.app.get(DataSource).getRepository(ContactRequest).count()).toBe(3);
    } finally {
      release();
      await strict.destroy();
      await silent.stop();
    }
  });
});
