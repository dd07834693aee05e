import { generateIdentityKey } from '../../src/common/identity-keys';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ConflictException, ForbiddenException, type HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FirstStartService } from '../../src/auth/first-start.service';
import { generateContactKey } from '../../src/common/secrets';
import { ContactRequestsService } from '../../src/contacts/contact-requests.service';
import { ContactsService } from '../../src/contacts/contacts.service';
import { ContactRequest } from '../../src/contacts/entities/contact-request.entity';
import { Contact } from '../../src/contacts/entities/contact.entity';
import { FederationContactsService } from '../../src/contacts/federation-contacts.service';
import { OutgoingRequestsService } from '../../src/contacts/outgoing-requests.service';
import { EventsService } from '../../src/events/events.service';
import { OutboxItem } from '../../src/federation/entities/outbox-item.entity';
import { FakePeer, ServicePortal, waitFor } from '@agent-p2p/testing';
async function rejection(promise: Promise<unknown>): Promise<HttpException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error('expected the call to be refused');
  return error as HttpException;
}

describe('the contact handshake through the real services and database', () => {
  let portal: ServicePortal;
  let peer: FakePeer;
  let requests: ContactRequestsService;
  let receiver: FederationContactsService;

  beforeAll(async () => {
    peer = await FakePeer.start();
    portal = await ServicePortal.open({
      PORTAL_ALLOW_INSECURE_PEERS: 'true',
      PORTAL_ALLOW_PRIVATE_PEERS: 'true',
      PORTAL_OUTBOX_RETRY_BASE_MS: '50',
      PORTAL_OUTBOX_RETRY_MAX_SECONDS: '1',
      PORTAL_CONTACT_VERIFY_TIMEOUT_SECONDS: '60',
      // Verification calls that fail are retried for the whole run: only the sweep ends a request here.
      PORTAL_OUTBOX_STRANGER_MAX_ATTEMPTS: '1000',
    });
    // As on a Portal's first start: the profile our calls to peers name us by.
    await portal.get(FirstStartService).ensureInitialized();
    requests = portal.get(ContactRequestsService);
    receiver = portal.get(FederationContactsService);
  });
  afterAll(async () => {
    await portal?.destroy();
    await peer?.stop();
  });
  beforeEach(() => {
    // Confirms every request it is asked about, as the Portal that really sent it would.
    peer.answer = (call) =>
      call.path.endsWith('/verify')
        ? { status: 200, body: { ok: true, portalUrl: peer.url + call.path.slice(0, call.path.indexOf('/api/')) } }
        : { status: 200, body: {} };
  });

  const requestRow = (requestId: string) => portal.dataSource.getRepository(ContactRequest).findOneByOrFail({ requestId });
  const contactRow = (id: number) => portal.dataSource.getRepository(Contact).findOneByOrFail({ id });
  const senderIdentity = generateIdentityKey().identity;
  const outboxItems = (kind: string) => portal.dataSource.getRepository(OutboxItem).findBy({ kind });
  const eventsOf = async (type: string) => (await portal.get(EventsService).listAfter(0, 100_000)).filter((event) => event.type === type);

  /** A request from `${peer.url}/<name>`, as POST /api/federation/contact-requests hands it to the service (its signature checked). */
  async function receive(name: string): Promise<{ requestId: string; key: string; fromPortal: string }> {
    const sent = {
      requestId: randomUUID(),
      fromPortal: `${peer.url}/${name}`,
      agentName: `Agent ${name}`,
      ownerName: 'Owner',
      message: 'hello',
      key: generateContactKey(),
    };
    await receiver.receiveRequest(sent, async () => senderIdentity);
    return sent;
  }

  /** Received and confirmed by its sender: waiting for the owner. */
  async function receivePending(name: string): Promise<{ id: number; requestId: string; key: string; fromPortal: string }> {
    const sent = await receive(name);
    const row = await waitFor('the request to be verified', async () => {
      const current = await requestRow(sent.requestId);
      return current.status === 'pending' ? current : undefined;
    });
    return { ...sent, id: row.id };
  }

  it('a received request is verified with the Portal it names, with its key, and then waits for the owner', async () => {
    const sent = await receive('alice');
    expect(await requestRow(sent.requestId)).toMatchObject({ status: 'verifying', verified: false, fromPortal: `${peer.url}/alice` });
    const verify = await peer.callTo(`/alice/api/federation/contact-requests/${sent.requestId}/verify`);
    expect(verify).toMatchObject({ method: 'POST', authorization: `Bearer ${sent.key}`, body: { portalUrl: portal.config.publicUrl } });
    const row = await waitFor('the request to be pending', async () => {
      const current = await requestRow(sent.requestId);
      return current.status === 'pending' ? current : undefined;
    });
    expect(row.verified).toBe(true);
    expect((await eventsOf('contact.request_received')).map((event) => event.payload)).toContainEqual(
      expect.objectContaining({ requestId: row.id, portalUrl: `${peer.url}/alice`, agentName: 'Agent alice', verified: true }),
    );
    // Not a contact before the owner decides.
    expect(await portal.dataSource.getRepository(Contact).countBy({ portalUrl: `${peer.url}/alice` })).toBe(0);
  });

  it('a request its named Portal does not confirm ends invalid', async () => {
    peer.answer = (call) =>
      call.path.endsWith('/verify')
        ? { status: 200, body: { ok: true, portalUrl: 'https://someone-else.example' } }
        : { status: 200, body: {} };
    const sent = await receive('forged');
    await waitFor('the request to end invalid', async () => (await requestRow(sent.requestId)).status === 'invalid');
    expect((await requestRow(sent.requestId)).keySealed).toBeNull();
    await expect(requests.approve((await requestRow(sent.requestId)).id)).rejects.toThrow(/is invalid/);
  });

  it("approval makes an active contact with the request's key and queues the accept call to the requester", async () => {
    const request = await receivePending('bob');
    const approved = await requests.approve(request.id);
    expect(approved).toMatchObject({ status: 'active', direction: 'incoming', portalUrl: `${peer.url}/bob`, agentName: 'Agent bob' });
    expect(await requestRow(request.requestId)).toMatchObject({ status: 'approved', contactId: approved.id, keySealed: null });
    // The key the requester sent is now the contact's key, both ways.
    expect((await portal.get(ContactsService).findByKey(request.key))?.id).toBe(approved.id);
    expect(await portal.get(ContactsService).outboundFor(approved.id)).toEqual({ portalUrl: `${peer.url}/bob`, key: request.key });
    expect((await outboxItems('contact.accept')).filter((item) => item.contactId === approved.id)).toHaveLength(1);
    const accept = await peer.callTo(`/bob/api/federation/contact-requests/${request.requestId}/accept`);
    expect(accept).toMatchObject({ method: 'POST', authorization: `Bearer ${request.key}` });
    // Approving again answers the same contact and queues nothing more.
    expect((await requests.approve(request.id)).id).toBe(approved.id);
    expect((await outboxItems('contact.accept')).filter((item) => item.contactId === approved.id)).toHaveLength(1);
  });

  it('rejection tells a verified requester, with its key, and makes no contact', async () => {
    const request = await receivePending('carol');
    expect(await requests.reject(request.id)).toMatchObject({ status: 'rejected', portalUrl: `${peer.url}/carol` });
    const reject = await peer.callTo(`/carol/api/federation/contact-requests/${request.requestId}/reject`);
    expect(reject).toMatchObject({ method: 'POST', authorization: `Bearer ${request.key}` });
    // Once told, the key is no longer kept.
    await waitFor('the key to be wiped', async () => (await requestRow(request.requestId)).keySealed === null);
    expect(await portal.dataSource.getRepository(Contact).countBy({ portalUrl: `${peer.url}/carol` })).toBe(0);
    await expect(requests.approve(request.id)).rejects.toThrow(/is rejected/);
  });

  it('a request its sender never confirms expires to invalid after the verification time', async () => {
    // This "Portal" fails every verification call: the request stays in verification meanwhile.
    peer.answer = (call) => (call.path.endsWith('/verify') ? { status: 503, body: { message: 'down' } } : { status: 200, body: {} });
    const sent = await receive('silent');
    await peer.callTo(`/silent/api/federation/contact-requests/${sent.requestId}/verify`);
    expect((await requestRow(sent.requestId)).status).toBe('verifying');
    // Before the verification time nothing ends; after it, the request is invalid and its key gone.
    const created = (await requestRow(sent.requestId)).createdAt.getTime();
    await requests.sweepRequests(new Date(created + 30_000));
    expect((await requestRow(sent.requestId)).status).toBe('verifying');
    await requests.sweepRequests(new Date(created + 61_000));
    expect(await requestRow(sent.requestId)).toMatchObject({ status: 'invalid', keySealed: null });
    // Its waiting slot is free again, and it is deleted after the retention time.
    const again = await receive('silent');
    expect((await requestRow(again.requestId)).status).toBe('verifying');
    await requests.sweepRequests(new Date(Date.now() + 25 * 3_600_000));
    expect(await portal.dataSource.getRepository(ContactRequest).findOneBy({ requestId: sent.requestId })).toBeNull();
  });

  it('approval never replaces an existing contact with the same Portal (409)', async () => {
    // We asked dave first: a pending contact of ours.
    const ours = await portal.get(OutgoingRequestsService).create(`${peer.url}/dave`, 'hi');
    expect(ours.status).toBe('pending');
    const request = await receivePending('dave');
    const refused = await rejection(requests.approve(request.id));
    expect(refused).toBeInstanceOf(ConflictException);
    expect(refused.getResponse()).toMatchObject({
      message: expect.stringContaining(`is already contact ${ours.id} (pending)`),
      details: { contactId: ours.id, status: 'pending' },
    });
    // Nothing changed: our contact is the same, the request still waits, nothing was queued for it.
    expect(await contactRow(ours.id)).toMatchObject({ status: 'pending', direction: 'outgoing' });
    expect(await requestRow(request.requestId)).toMatchObject({ status: 'pending', contactId: null });
    expect((await outboxItems('contact.accept')).filter((item) => item.peerUrl === `${peer.url}/dave`)).toEqual([]);
    expect(await portal.get(ContactsService).findByKey(request.key)).toBeNull();
  });

  it('our own request: sent with its key, confirmed only to the Portal it went to, then accepted', async () => {
    const ours = await portal.get(OutgoingRequestsService).create(`${peer.url}/erin`, 'hello erin');
    const row = await contactRow(ours.id);
    const sent = await peer.callTo('/erin/api/federation/contact-requests');
    expect(sent.body).toMatchObject({ requestId: row.requestId, fromPortal: portal.config.publicUrl, message: 'hello erin' });
    const key = String(sent.body?.key);
    // The target calls back with that key: the contact it belongs to is ours, still pending.
    const caller = await portal.get(ContactsService).findByKey(key);
    expect(caller).toMatchObject({ id: ours.id, status: 'pending' });
    const requestId = row.requestId!;
    expect(await receiver.confirmRequest(caller!, requestId, { portalUrl: `${peer.url}/erin` })).toEqual({
      ok: true,
      portalUrl: portal.config.publicUrl,
    });
    expect(await rejection(receiver.confirmRequest(caller!, requestId, { portalUrl: `${peer.url}/mallory` }))).toBeInstanceOf(
      ForbiddenException,
    );
    await expect(receiver.confirmRequest(caller!, randomUUID(), { portalUrl: `${peer.url}/erin` })).rejects.toThrow(
      /No contact request with that id/,
    );
    await receiver.acceptFromPeer(caller!, requestId, { agentName: 'Erin', ownerName: 'E' });
    expect(await contactRow(ours.id)).toMatchObject({ status: 'active', agentName: 'Erin', ownerName: 'E' });
    expect((await eventsOf('contact.accepted')).map((event) => event.payload)).toContainEqual(
      expect.objectContaining({ contactId: ours.id, agentName: 'Erin' }),
    );
    // Once answered it is no longer waiting to be confirmed.
    await expect(
      receiver.confirmRequest((await portal.get(ContactsService).findByKey(key))!, requestId, { portalUrl: `${peer.url}/erin` }),
    ).rejects.toThrow(/no longer waiting/);
  });
});
