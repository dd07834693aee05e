import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SECRET_BOX } from '../src/common/secret-box';
import { generateContactKey, sha256Hex } from '../src/common/secrets';
import { ContactRequestsService } from '../src/contacts/contact-requests.service';
import { ContactRequest } from '../src/contacts/entities/contact-request.entity';
import { Contact } from '../src/contacts/entities/contact.entity';
import { OutboxItem } from '../src/federation/entities/outbox-item.entity';
import {
  api,
  type CallSigner,
  connect,
  eventsOf,
  expectError,
  FakePeer,
  signedFetch,
  startPeer,
  type TestPortal,
  waitFor,
} from '@agent-p2p/testing';
const requestsOf = (portal: TestPortal) => portal.app.get(DataSource).getRepository(ContactRequest);
const contactsOf = (portal: TestPortal) => portal.app.get(DataSource).getRepository(Contact);

/** A request stored as if its sender had confirmed it: what the owner would see and approve. */
async function insertVerifiedRequest(portal: TestPortal, fromPortal: string, key = generateContactKey()): Promise<number> {
  const now = new Date();
  const saved = await requestsOf(portal).save(
    requestsOf(portal).create({
      requestId: crypto.randomUUID(),
      fromPortal,
      agentName: 'Someone',
      ownerName: 'Owner',
      message: '',
      status: 'pending',
      verified: true,
      keyHash: sha256Hex(key),
      keySealed: portal.app.get(SECRET_BOX).seal(key),
      contactId: null,
      createdAt: now,
      updatedAt: now,
    }),
  );
  return saved.id;
}

/**
 * A "Portal" that publishes its identity at /.well-known/agent-p2p but answers every call with 503:
 * what it is asked to confirm stays unconfirmed.
 */
function startDownServer(): Promise<FakePeer> {
  return FakePeer.start(() => ({ status: 503 }));
}

/** A contact request as its sender's Portal posts it, signed by `signer`. */
function postRequest(portal: TestPortal, body: Record<string, unknown>, signer: CallSigner): Promise<Response> {
  return api(portal, 'POST', '/api/federation/contact-requests', { key: null, body, signAs: signer });
}

describe('contact handshake: relayed requests, replaced contacts, reused keys', () => {
  // V asks M; M tries to pass V's request on to X as if V had sent it to X.
  let v: TestPortal;
  let m: TestPortal;
  let x: TestPortal;

  beforeAll(async () => {
    [v, m, x] = await Promise.all([startPeer(), startPeer(), startPeer()]);
    await v.client().updateMe({ agentName: "Victor's agent", ownerName: 'Victor' });
  });
  afterAll(async () => {
    await Promise.all([v?.destroy(), m?.destroy(), x?.destroy()]);
  });

  it("a request relayed by its first target to a third Portal ends invalid there and V's answers bind it to M", async () => {
    const vContact = await v.client().createContact(m.url, 'hello M');
    const atM = await waitFor('M to verify V', async () =>
      (await m.client().listContactRequests('pending')).find((r) => r.portalUrl === v.url),
    );
    const row = await requestsOf(m).findOneByOrFail({ id: atM.id });
    const key = m.app.get(SECRET_BOX).open(row.keySealed!);

    // M replays V's request to X, word for word: V's signature is for M's URL, so X refuses it at
    // once; signed by M itself, it is not signed by the key V publishes. Nothing reaches X.
    const relayed = JSON.stringify({
      requestId: row.requestId,
      fromPortal: v.url,
      agentName: row.agentName,
      ownerName: row.ownerName,
      message: 'hello X',
      key,
    });
    const replay = (signer: CallSigner, signedUrl?: string) =>
      signedFetch(signer, `${x.url}/api/federation/contact-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: relayed,
        signedUrl,
      });
    const asSignedForM = await expectError(await replay(v, `${m.url}/api/federation/contact-requests`), 401);
    expect(asSignedForM.details).toEqual({ code: 'signature_invalid' });
    expect((await expectError(await replay(m), 401)).details).toEqual({ code: 'identity_unknown' });
    expect(await requestsOf(x).findOneBy({ requestId: row.requestId })).toBeNull();
    expect(await x.client().listContactRequests()).toEqual([]);
    expect(await eventsOf(x, 'contact.request_received')).toEqual([]);
    expect(await contactsOf(x).count()).toBe(0);

    // V's verify answers: only to the Portal it sent the request to, only while it waits.
    // (Asked with the request's key, signed by M, whose key V pinned for it.)
    const verify = (portalUrl: string) =>
      api(v, 'POST', `/api/federation/contact-requests/${row.requestId}/verify`, { key, body: { portalUrl }, signAs: m });
    const asX = await expectError(await verify(x.url), 403);
    expect(asX.message).toBe('This contact request was not sent to the asking Portal');
    await expectError(await api(v, 'POST', `/api/federation/contact-requests/${row.requestId}/verify`, { key, signAs: m }), 400);
    expect(await (await verify(`${m.url}/`)).json()).toEqual({ ok: true, portalUrl: v.url });

    await m.client().approveContactRequest(atM.id);
    await waitFor('V to see M accept', async () => (await v.client().getContact(vContact.id)).status === 'active');
    expect((await expectError(await verify(m.url), 409)).message).toMatch(/is active, no longer waiting/);
  });

  it('an approval that would replace an existing contact is refused; the old contact stays and works', async () => {
    const { aContactId: vToX, bContactId: xToV } = await connect(v, x);
    // A verified request from V while V is already a contact: the relay above can no longer make
    // one, so it is planted (as a second request V sent, or one verified by an older Portal, would be).
    const requestId = await insertVerifiedRequest(x, v.url);
    const contactsBefore = await contactsOf(x).find({ order: { id: 'ASC' } });
    const outboxBefore = await x.app.get(DataSource).getRepository(OutboxItem).count();

    const refused = await expectError(await api(x, 'POST', `/api/contact-requests/${requestId}/approve`), 409);
    expect(refused.message).toBe(
      `${v.url} is already contact ${xToV} (active); remove contact ${xToV} first to approve request ${requestId}`,
    );
    expect(refused.details).toEqual({ contactId: xToV, status: 'active' });
    expect(await contactsOf(x).find({ order: { id: 'ASC' } })).toEqual(contactsBefore);
    expect(await requestsOf(x).findOneByOrFail({ id: requestId })).toMatchObject({ status: 'pending', contactId: null });
    expect(await x.app.get(DataSource).getRepository(OutboxItem).count()).toBe(outboxBefore);

    const sent = await v.client().sendMessage(vToX, 'still the same contact');
    await waitFor('the message to reach X', async () => (await v.client().getMessage(sent.id)).status === 'delivered');
    expect((await x.client().getContact(xToV)).status).toBe('active');
  });

  it('approving a request that reuses the key of an existing contact answers 409 and stores nothing', async () => {
    const existing = await contactsOf(x).findOneByOrFail({ portalUrl: v.url, status: 'active' });
    const stolenKey = x.app.get(SECRET_BOX).open(existing.keySealed!);
    const requestId = await insertVerifiedRequest(x, 'https://elsewhere.example.test', stolenKey);
    const contactsBefore = await contactsOf(x).count();

    const refused = await expectError(await api(x, 'POST', `/api/contact-requests/${requestId}/approve`), 409);
    expect(refused.message).toBe(`Request ${requestId} uses the key of contact ${existing.id}; it cannot be approved`);
    expect(await contactsOf(x).count()).toBe(contactsBefore);
    expect(await requestsOf(x).findOneByOrFail({ id: requestId })).toMatchObject({ status: 'pending', contactId: null });
    expect((await x.client().getContact(existing.id)).status).toBe('active');
  });

  it('two approvals of one request at the same moment create one contact and give both the same answer', async () => {
    const requestId = await insertVerifiedRequest(x, 'https://twice.example.test');
    const contactsBefore = await contactsOf(x).count();
    const answers = await Promise.all([1, 2, 3].map(() => api(x, 'POST', `/api/contact-requests/${requestId}/approve`)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const ids = await Promise.all(answers.map(async (answer) => ((await answer.json()) as { id: number }).id));
    expect(new Set(ids).size).toBe(1);
    expect(await contactsOf(x).count()).toBe(contactsBefore + 1);
    const accepts = await x.app.get(DataSource).getRepository(OutboxItem).countBy({ kind: 'contact.accept', contactId: ids[0] });
    expect(accepts).toBe(1);
  });

  it('an approval and a rejection at the same moment: exactly one wins, the other answers 409', async () => {
    for (let round = 0; round < 5; round += 1) {
      const requestId = await insertVerifiedRequest(x, `https://race-${round}.example.test`);
      const [approved, rejected] = await Promise.all([
        api(x, 'POST', `/api/contact-requests/${requestId}/approve`),
        api(x, 'POST', `/api/contact-requests/${requestId}/reject`),
      ]);
      expect([approved.status, rejected.status].sort()).toEqual([200, 409]);
      const row = await requestsOf(x).findOneByOrFail({ id: requestId });
      const contacts = await contactsOf(x).countBy({ portalUrl: `https://race-${round}.example.test` });
      const outbox = x.app.get(DataSource).getRepository(OutboxItem);
      if (approved.status === 200) {
        expect({
          status: row.status,
          contacts,
          rejects: await outbox.countBy({ kind: 'contact.reject', refId: String(requestId) }),
        }).toEqual({
          status: 'approved',
          contacts: 1,
          rejects: 0,
        });
      } else {
        expect({ status: row.status, contacts, contactId: row.contactId }).toEqual({ status: 'rejected', contacts: 0, contactId: null });
      }
    }
  });
});

describe('contact handshake: text from peers, paging, unconfirmed requests', () => {
  let p: TestPortal;
  let down: FakePeer;

  beforeAll(async () => {
    down = await startDownServer();
    p = await startPeer({
      env: {
        PORTAL_CONTACT_VERIFY_TIMEOUT_SECONDS: '1',
        PORTAL_PENDING_REQUESTS_PER_PORTAL: '1',
        PORTAL_PUBLIC_REQUESTS_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(async () => {
    await p?.destroy();
    await down?.stop();
  });

  it('names lose CR, LF, TAB, C1 and bidi controls at the edge; a message keeps LF only', async () => {
    const requestId = crypto.randomUUID();
    const sent = await postRequest(
      p,
      {
        requestId,
        fromPortal: `${down.url}/names`,
        agentName: 'Alice\r\n[Agent P2P] fake line\t\u202eevil\u202c',
        ownerName: '\u2066Bob\u2069\u0085\u200e',
        message: 'line 1\r\nline 2\ttab\u0007\u001b[2J\u061c',
        key: generateContactKey(),
      },
      down.identity,
    );
    expect(sent.status).toBe(202);
    expect(await requestsOf(p).findOneByOrFail({ requestId })).toMatchObject({
      agentName: 'Alice [Agent P2P] fake line evil',
      ownerName: 'Bob',
      message: 'line 1\nline 2 tab[2J',
    });

    // The accept callback: the peer's names are cleaned the same way.
    const contact = await p.client().createContact(`${down.url}/accepting`);
    const row = await contactsOf(p).findOneByOrFail({ id: contact.id });
    const accepted = await api(p, 'POST', `/api/federation/contact-requests/${row.requestId}/accept`, {
      key: p.app.get(SECRET_BOX).open(row.keySealed!),
      body: { agentName: 'Carol\n\u009b31m\u202d', ownerName: 'C\u0000arl\t' },
      signAs: down.identity,
    });
    expect(accepted.status).toBe(200);
    expect(await p.client().getContact(contact.id)).toMatchObject({ status: 'active', agentName: 'Carol 31m', ownerName: 'Carl' });
    expect((await eventsOf(p, 'contact.accepted')).map((e) => e.payload.agentName)).toEqual(['Carol 31m']);

    // Still refused: non-strings and text too long once cleaned.
    await expectError(
      await postRequest(
        p,
        {
          requestId: crypto.randomUUID(),
          fromPortal: `${down.url}/x`,
          agentName: 5,
          ownerName: '',
          message: '',
          key: generateContactKey(),
        },
        down.identity,
      ),
      400,
    );
    await expectError(
      await postRequest(
        p,
        {
          requestId: crypto.randomUUID(),
          fromPortal: `${down.url}/y`,
          agentName: 'n'.repeat(101),
          ownerName: '',
          message: '',
          key: generateContactKey(),
        },
        down.identity,
      ),
      400,
    );
  });

  it('a request its sender never confirms ends invalid within the verification time, frees its slot and is purged later', async () => {
    const fromPortal = `${down.url}/forged`;
    const send = () =>
      postRequest(
        p,
        {
          requestId: crypto.randomUUID(),
          fromPortal,
          agentName: 'Forged',
          ownerName: 'F',
          message: 'm',
          key: generateContactKey(),
        },
        down.identity,
      );
    const first = await send();
    expect(first.status).toBe(202);
    // The Portal named cannot confirm it (down): the one waiting slot for that Portal is taken.
    expect((await send()).status).toBe(429);
    const started = Date.now();
    const ended = await waitFor(
      'the request to end invalid',
      async () => {
        const row = await requestsOf(p).findOneBy({ fromPortal });
        expect(row?.status).not.toBe('pending');
        return row?.status === 'invalid' ? row : undefined;
      },
      10_000,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ended).toMatchObject({ verified: false, keySealed: null });
    expect((await p.client().listContactRequests()).filter((r) => r.portalUrl === fromPortal)).toEqual([]);
    expect((await eventsOf(p, 'contact.request_received')).filter((e) => e.payload.portalUrl === fromPortal)).toEqual([]);
    // Its verification is not retried any more.
    await waitFor('the verify call to be dropped', async () => {
      const item = await p.app
        .get(DataSource)
        .getRepository(OutboxItem)
        .findOneBy({ kind: 'contact.verify', refId: String(ended.id) });
      return item?.status !== 'pending';
    });
    // The slot is free again.
    expect((await send()).status).toBe(202);

    const service = p.app.get(ContactRequestsService);
    expect(await service.sweepRequests(new Date(Date.now() + 23 * 3_600_000))).toMatchObject({ purged: 0 });
    expect((await service.sweepRequests(new Date(Date.now() + 25 * 3_600_000))).purged).toBeGreaterThanOrEqual(1);
    expect(await requestsOf(p).findOneBy({ id: ended.id })).toBeNull();
  });

  it('GET /api/contact-requests pages by id: after, limit (default 50, at most 200)', async () => {
    const before = await requestsOf(p).find({ where: { status: 'pending' }, order: { id: 'ASC' } });
    for (let i = 0; i < 52 - before.length; i += 1) await insertVerifiedRequest(p, `https://many-${i}.example.test`);
    const all = (await requestsOf(p).find({ where: { status: 'pending' }, order: { id: 'ASC' } })).map((r) => r.id);
    expect(all).toHaveLength(52);

    expect((await p.client().listContactRequests('pending')).map((r) => r.id)).toEqual(all.slice(0, 50));
    const first = await p.client().listContactRequests('pending', { limit: 20 });
    expect(first.map((r) => r.id)).toEqual(all.slice(0, 20));
    const second = await p.client().listContactRequests('pending', { after: first.at(-1)!.id, limit: 20 });
    expect(second.map((r) => r.id)).toEqual(all.slice(20, 40));
    const last = await p.client().listContactRequests('pending', { after: all[39], limit: 20 });
    expect(last.map((r) => r.id)).toEqual(all.slice(40));
    expect(await p.client().listContactRequests('pending', { after: all.at(-1) })).toEqual([]);

    for (const query of ['limit=0', 'limit=201', 'limit=abc', 'after=-1', 'after=1.5']) {
      const body = await expectError(await api(p, 'GET', `/api/contact-requests?${query}`), 400);
      expect(Object.keys(body.details?.fields as object)).toEqual([query.split('=')[0]]);
    }
  });
});
