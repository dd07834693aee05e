import { OutboxItem } from '../src/federation/entities/outbox-item.entity';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DataSource } from 'typeorm';
import {
  api,
  connect,
  Contact,
  ContactRequest,
  eventsOf,
  expectError,
  FakePeer,
  signedFetch,
  signedHeaders,
  startPeer,
  type TestPortal,
  testIdentity,
  waitFor,
} from '@agent-p2p/testing';
import { contentDigestOf } from '../src/common/http-signatures';
import { SECRET_BOX } from '../src/common/secret-box';
import { SignatureNonce } from '../src/identity/entities/signature-nonce.entity';
import { Message } from '../src/messages/entities/message.entity';

/** The contact key `portal` holds for one of its contacts (what it sends as the bearer key). */
async function contactKeyOf(portal: TestPortal, contactId: number): Promise<string> {
  const contact = await portal.app.get(DataSource).getRepository(Contact).findOneByOrFail({ id: contactId });
  return portal.app.get(SECRET_BOX).open(contact.keySealed!);
}

/** A message body as a Portal delivers it. */
function messageBody(content: string): string {
  return JSON.stringify({ id: crypto.randomUUID(), content, type: 'text', sentAt: new Date().toISOString() });
}

async function messagesOn(portal: TestPortal): Promise<number> {
  return portal.app.get(DataSource).getRepository(Message).count();
}

async function noncesOn(portal: TestPortal): Promise<number> {
  return portal.app.get(DataSource).getRepository(SignatureNonce).count();
}

/** A refused call: 401 with this details.code; returns the message. */
async function expectRefused(response: Response, code: string): Promise<string> {
  const body = await expectError(response, 401);
  expect(body.details).toEqual({ code });
  return body.message;
}

/** A fresh Ed25519 key as PORTAL_IDENTITY_KEY takes it (PKCS#8 PEM). */
function identityKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function session(cookie: string): Record<string, string> {
  return { cookie, 'x-requested-with': 'agent-p2p' };
}

describe('signed identity: forged, relayed and replayed calls are refused and store nothing', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aToB: number;
  let bToA: number;
  let keyAB: string;
  let messagesUrl: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startPeer(), startPeer()]);
    ({ aContactId: aToB, bContactId: bToA } = await connect(a, b));
    keyAB = await contactKeyOf(a, aToB);
    messagesUrl = `${b.url}/api/federation/messages`;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  /** Checks that B stored nothing while `work` ran: no message, no nonce, no contact request, no identity event. */
  async function storesNothingOnB(work: () => Promise<void>): Promise<void> {
    const before = {
      messages: await messagesOn(b),
      nonces: await noncesOn(b),
      requests: await b.app.get(DataSource).getRepository(ContactRequest).count(),
      changed: (await eventsOf(b, 'contact.identity_changed')).length,
    };
    await work();
    expect({
      messages: await messagesOn(b),
      nonces: await noncesOn(b),
      requests: await b.app.get(DataSource).getRepository(ContactRequest).count(),
      changed: (await eventsOf(b, 'contact.identity_changed')).length,
    }).toEqual(before);
    // A's key stays pinned on B whatever was tried.
    expect((await b.client().getContact(bToA)).identity).toMatchObject({ state: 'pinned' });
  }

  it("a relayed handshake: C replays A's request to B, or re-signs it as A with its own key; B takes neither", async () => {
    const c = await FakePeer.start();
    const requestsFromA = () => b.app.get(DataSource).getRepository(ContactRequest).countBy({ fromPortal: a.url });
    // The one of the handshake in beforeAll.
    expect(await requestsFromA()).toBe(1);
    try {
      await a.client().createContact(c.url, 'hello C');
      const call = await c.callTo('/api/federation/contact-requests');
      expect(call.body).toMatchObject({ fromPortal: a.url });
      await storesNothingOnB(async () => {
        // Exactly the bytes and headers A sent to C: signed for C's URL, not B's.
        const relayed = await fetch(`${b.url}/api/federation/contact-requests`, {
          method: 'POST',
          headers: {
            'content-type': String(call.headers['content-type']),
            'content-digest': String(call.headers['content-digest']),
            signature: String(call.headers.signature),
            'signature-input': String(call.headers['signature-input']),
          },
          body: new Uint8Array(call.bytes),
        });
        await expectRefused(relayed, 'signature_invalid');
        // The same request signed for B by C's key, still claiming to come from A: not the key A publishes.
        const resigned = await c.fetch(`${b.url}/api/federation/contact-requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: call.bytes.toString('utf8'),
        });
        expect(await expectRefused(resigned, 'identity_unknown')).toContain(a.url);
      });
      expect(await requestsFromA()).toBe(1);
    } finally {
      await c.stop();
    }
  });

  it('a replayed signed call (same headers, same body) is refused the second time', async () => {
    const body = messageBody('said once');
    const headers = await signedHeaders(a, messagesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keyAB}` },
      body,
    });
    const first = await fetch(messagesUrl, { method: 'POST', headers, body });
    expect(first.status).toBe(200);
    await storesNothingOnB(async () => {
      const again = await fetch(messagesUrl, { method: 'POST', headers, body });
      expect(await expectRefused(again, 'signature_replayed')).toMatch(/replay/);
    });
    expect((await b.client().listMessages({ contactId: bToA, q: 'said once' })).messages).toHaveLength(1);
  });

  it("A's contact key signed by another identity is refused as identity_unknown (A's published key did not change)", async () => {
    const stranger = testIdentity();
    await storesNothingOnB(async () => {
      const forged = await signedFetch(stranger, messagesUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keyAB}` },
        body: messageBody('not from A'),
      });
      await expectRefused(forged, 'identity_unknown');
    });
    expect((await b.client().getContact(bToA)).identity).toMatchObject({ state: 'pinned', presentedFingerprint: null });
    expect(await eventsOf(b, 'contact.identity_changed')).toEqual([]);
  });

  it('a body swapped under a valid signature is digest_mismatch; with its digest swapped too, signature_invalid', async () => {
    const signedBody = messageBody('the original');
    const swapped = messageBody('the swap');
    const headers = await signedHeaders(a, messagesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keyAB}` },
      body: signedBody,
    });
    await storesNothingOnB(async () => {
      await expectRefused(await fetch(messagesUrl, { method: 'POST', headers, body: swapped }), 'digest_mismatch');
      const withDigest = { ...headers, 'content-digest': contentDigestOf(Buffer.from(swapped)) };
      await expectRefused(await fetch(messagesUrl, { method: 'POST', headers: withDigest, body: swapped }), 'signature_invalid');
    });
  });

  it('a signature created beyond the clock skew, in the past or in the future, is signature_expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    await storesNothingOnB(async () => {
      for (const nowSeconds of [now - 200, now + 200]) {
        const response = await signedFetch(a, messagesUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keyAB}` },
          body: messageBody(`at ${nowSeconds}`),
          nowSeconds,
        });
        expect(await expectRefused(response, 'signature_expired')).toMatch(/clock/);
      }
    });
  });

  it('a call signed for another Portal or another route is signature_invalid', async () => {
    await storesNothingOnB(async () => {
      for (const signedUrl of [`${a.url}/api/federation/messages`, `${b.url}/api/federation/receipts`, `${messagesUrl}?x=1`]) {
        const response = await signedFetch(a, messagesUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keyAB}` },
          body: messageBody(`for ${signedUrl}`),
          signedUrl,
        });
        await expectRefused(response, 'signature_invalid');
      }
    });
  });

  it('every federation route of the contract refuses the right contact key without a signature', async () => {
    const contract = parse(readFileSync(join(process.cwd(), 'openapi.yaml'), 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(contract.paths)
      .filter(([path]) => path.startsWith('/api/federation/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })));
    expect(routes.length).toBeGreaterThanOrEqual(13);
    await storesNothingOnB(async () => {
      for (const { path, method } of routes) {
        const url = b.url + path.replace('{requestId}', crypto.randomUUID()).replace('{id}', crypto.randomUUID()).replace('{index}', '0');
        const chunk = path.endsWith('/chunks/{index}');
        // The public contact request is read (validated) before its sender's key is fetched: a valid one, unsigned.
        const request = path === '/api/federation/contact-requests';
        const asked = {
          requestId: crypto.randomUUID(),
          fromPortal: a.config.publicUrl,
          agentName: 'A',
          ownerName: '',
          message: '',
          key: `ap2p_c_${'k'.repeat(43)}`,
        };
        const body = method === 'GET' || method === 'DELETE' ? undefined : chunk ? 'bytes' : request ? JSON.stringify(asked) : '{}';
        const headers: Record<string, string> = { authorization: `Bearer ${keyAB}` };
        if (body !== undefined) headers['content-type'] = chunk ? 'application/octet-stream' : 'application/json';
        const response = await fetch(url, { method, headers, body });
        expect({ route: `${method} ${path}`, status: response.status }).toEqual({ route: `${method} ${path}`, status: 401 });
        expect(((await response.json()) as { details?: { code?: string } }).details?.code).toBe('signature_missing');
      }
    });
  });

  it('the right contact key without a signature is signature_missing; with a bad one, signature_invalid', async () => {
    const body = messageBody('unsigned');
    await storesNothingOnB(async () => {
      const unsigned = await fetch(messagesUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${keyAB}`,
          'content-digest': contentDigestOf(Buffer.from(body)),
        },
        body,
      });
      expect(await expectRefused(unsigned, 'signature_missing')).toMatch(/signed/);
      const headers = await signedHeaders(a, messagesUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keyAB}` },
        body,
      });
      // The same signature with its bytes changed (a well-formed byte sequence, not A's signature).
      const match = /^sig1=:([A-Za-z0-9+/=]+):$/.exec(headers.signature);
      expect(match).not.toBeNull();
      const bytes = Buffer.from(match![1], 'base64');
      bytes[0] ^= 0xff;
      const bad = { ...headers, signature: `sig1=:${bytes.toString('base64')}:` };
      await expectRefused(await fetch(messagesUrl, { method: 'POST', headers: bad, body }), 'signature_invalid');
      // Only a Signature-Input, or a Signature that is not one: refused as well.
      const { signature: _dropped, ...inputOnly } = headers;
      await expectRefused(await fetch(messagesUrl, { method: 'POST', headers: inputOnly, body }), 'signature_missing');
      const garbled = { ...headers, signature: 'not a signature' };
      await expectRefused(await fetch(messagesUrl, { method: 'POST', headers: garbled, body }), 'signature_malformed');
    });
  });

  it('a Portal of protocol version 1 is not asked (refused, naming both versions); an unsigned contact request is refused', async () => {
    const old = await FakePeer.start();
    try {
      const document = old.document;
      old.document = (portalUrl) => ({ ...(document(portalUrl) as object), protocolVersion: 1 });
      const asked = await a.client().createContact(old.url, 'are you old?');
      const refused = await waitFor('the request to end refused', async () => {
        const contact = await a.client().getContact(asked.id);
        return contact.request?.state === 'refused' ? contact : undefined;
      });
      expect(refused.request?.error).toMatch(/version 1\b.*version 2\b/);
      expect(refused.status).toBe('rejected');
      const [failed] = (await eventsOf(a, 'contact.request_failed')).filter((e) => e.payload.contactId === asked.id);
      expect(failed.payload).toMatchObject({ final: true });
      // Nothing was sent to it: its identity was read first.
      expect(old.calls).toEqual([]);
    } finally {
      await old.stop();
    }

    await storesNothingOnB(async () => {
      const unsigned = await fetch(`${b.url}/api/federation/contact-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          requestId: crypto.randomUUID(),
          fromPortal: a.url,
          agentName: 'unsigned',
          ownerName: '',
          message: 'let me in',
          key: `ap2p_c_${'k'.repeat(43)}`,
        }),
      });
      expect(await expectRefused(unsigned, 'signature_missing')).toMatch(/accepts only signed/);
    });
  });
});

describe('signed identity: rotations, an unannounced key change and re-pinning', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aToB: number;
  let bToA: number;

  beforeAll(async () => {
    [a, b] = await Promise.all([startPeer(), startPeer()]);
    ({ aContactId: aToB, bContactId: bToA } = await connect(a, b));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  async function delivered(from: TestPortal, contactId: number, content: string): Promise<void> {
    const sent = await from.client().sendMessage(contactId, content);
    await waitFor(`"${content}" delivered`, async () => (await from.client().getMessage(sent.id)).status === 'delivered');
  }

  it("A rotates: B gets the notice, pins A's new key, and messages flow both ways", async () => {
    const before = (await a.client().getMe()).identity;
    expect((await b.client().getContact(bToA)).identity).toMatchObject({ state: 'pinned', fingerprint: before.fingerprint });

    const rotated = await api(a, 'POST', '/api/identity/rotate');
    expect(rotated.status).toBe(200);
    const result = (await rotated.json()) as {
      identity: { fingerprint: string; keyId: string };
      previousFingerprint: string;
      contactsNotified: number;
    };
    expect(result).toMatchObject({ previousFingerprint: before.fingerprint, contactsNotified: 1 });
    const after = (await a.client().getMe()).identity;
    expect(after.fingerprint).toBe(result.identity.fingerprint);
    expect(after.fingerprint).not.toBe(before.fingerprint);

    const event = await waitFor('contact.identity_rotated on B', async () => (await eventsOf(b, 'contact.identity_rotated'))[0]);
    expect(event.payload).toMatchObject({ contactId: bToA, fingerprint: after.fingerprint, previousFingerprint: before.fingerprint });
    expect((await b.client().getContact(bToA)).identity).toMatchObject({
      state: 'pinned',
      keyId: after.keyId,
      fingerprint: after.fingerprint,
    });

    await delivered(a, aToB, 'after the rotation, from A');
    await delivered(b, bToA, 'after the rotation, from B');
    expect(await eventsOf(b, 'contact.identity_changed')).toEqual([]);
  });

  it('A rotates while B is down: when B is back it follows the rotation and the queued message arrives', async () => {
    const rotatedBefore = (await eventsOf(b, 'contact.identity_rotated')).length;
    await b.stop();
    try {
      expect((await api(a, 'POST', '/api/identity/rotate')).status).toBe(200);
      const sent = await a.client().sendMessage(aToB, 'sent while B was down');
      // It waits behind the rotation notice, which cannot reach B.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await a.client().getMessage(sent.id)).status).toBe('queued');
    } finally {
      await b.start();
    }
    const now = (await a.client().getMe()).identity;
    await waitFor('the message on B', async () => {
      const page = await b.client().listMessages({ contactId: bToA, q: 'sent while B was down' });
      return page.messages.length === 1;
    });
    const rotated = await waitFor('B to follow the rotation', async () => {
      const events = await eventsOf(b, 'contact.identity_rotated');
      return events.length > rotatedBefore ? events : undefined;
    });
    expect(rotated).toHaveLength(rotatedBefore + 1);
    expect(rotated.at(-1)!.payload).toMatchObject({ contactId: bToA, fingerprint: now.fingerprint });
    expect((await b.client().getContact(bToA)).identity).toMatchObject({ state: 'pinned', fingerprint: now.fingerprint });
    expect(await eventsOf(b, 'contact.identity_changed')).toEqual([]);
    const [queued] = (await a.client().listMessages({ contactId: aToB, q: 'sent while B was down' })).messages;
    await waitFor('A to see it delivered', async () => (await a.client().getMessage(queued.id)).status === 'delivered');
    await delivered(b, bToA, 'B answers after following');
  });

  it('A rotates twice while B is down: B follows the chain to the newest key, and both notices settle', async () => {
    const rotatedBefore = (await eventsOf(b, 'contact.identity_rotated')).length;
    await b.stop();
    try {
      expect((await api(a, 'POST', '/api/identity/rotate')).status).toBe(200);
      expect((await api(a, 'POST', '/api/identity/rotate')).status).toBe(200);
      await a.client().sendMessage(aToB, 'after two rotations');
    } finally {
      await b.start();
    }
    const now = (await a.client().getMe()).identity;
    expect(now.rotations.slice(-2).map((link) => link.toKeyId)).toEqual([expect.any(String), now.keyId]);
    await waitFor('the message on B', async () => {
      const page = await b.client().listMessages({ contactId: bToA, q: 'after two rotations' });
      return page.messages.length === 1;
    });
    await waitFor('B to pin the newest key', async () => (await b.client().getContact(bToA)).identity.fingerprint === now.fingerprint);
    // Neither notice is left retrying: the first is followed or stale, the second stale or followed.
    const notices = await a.app.get(DataSource).getRepository(OutboxItem).findBy({ kind: 'contact.identity-rotation', contactId: aToB });
    await waitFor('both notices to settle', async () => {
      const items = await a.app.get(DataSource).getRepository(OutboxItem).findBy({ kind: 'contact.identity-rotation', contactId: aToB });
      return items.every((item) => item.status === 'delivered');
    });
    expect(notices.length).toBeGreaterThanOrEqual(2);
    expect((await eventsOf(b, 'contact.identity_rotated')).length).toBeGreaterThan(rotatedBefore);
    expect(await eventsOf(b, 'contact.identity_changed')).toEqual([]);
    await delivered(b, bToA, 'B answers the newest key');
  });

  it('a key changed without a rotation is refused until B re-pins it; the message waits and is then delivered', async () => {
    const pinned = (await b.client().getContact(bToA)).identity.fingerprint ?? '';
    expect(pinned).toMatch(/^\d{5}( \d{5}){5}$/);
    await a.restartWith({ PORTAL_IDENTITY_KEY: identityKeyPem() });
    const presented = (await a.client().getMe()).identity;
    expect(presented.fingerprint).not.toBe(pinned);

    const sent = await a.client().sendMessage(aToB, 'from the changed key');
    // B refuses (several attempts), marks the contact changed, and says so once.
    const changedOnB = await waitFor('B to mark A changed', async () => {
      const contact = await b.client().getContact(bToA);
      return contact.identity.state === 'changed' ? contact : undefined;
    });
    expect(changedOnB.identity).toMatchObject({ fingerprint: pinned, presentedFingerprint: presented.fingerprint });
    await waitFor('several refused attempts', async () => (await a.client().getMessage(sent.id)).attempts >= 3);
    const message = await a.client().getMessage(sent.id);
    expect(message.status).toBe('queued');
    expect(message.lastError ?? '').toMatch(/identity_changed|401/);
    const changedEvents = await eventsOf(b, 'contact.identity_changed');
    expect(changedEvents).toHaveLength(1);
    expect(changedEvents[0].payload).toMatchObject({
      contactId: bToA,
      pinnedFingerprint: pinned,
      presentedFingerprint: presented.fingerprint,
    });
    // A knows it is refused, once.
    const onA = await a.client().getContact(aToB);
    expect(onA.identity.refusedByPeer).toMatchObject({ reason: expect.stringContaining('identity_changed') });
    const refusedEvents = await eventsOf(a, 'contact.identity_refused');
    expect(refusedEvents).toHaveLength(1);
    expect(refusedEvents[0].payload).toMatchObject({ contactId: aToB, code: 'identity_changed', fingerprint: presented.fingerprint });
    expect(await b.client().listMessages({ contactId: bToA, q: 'from the changed key' })).toMatchObject({ messages: [] });

    // B's owner re-pins, in the console: only the fingerprint A presents, only the owner.
    const cookie = await b.login();
    const repin = (fingerprint: string, headers: Record<string, string>) =>
      api(b, 'POST', `/api/contacts/${bToA}/identity/repin`, { key: null, headers, body: { fingerprint } });
    const wrong = await expectError(await repin(pinned, session(cookie)), 409);
    expect(wrong.details).toEqual({ code: 'fingerprint_mismatch', presentedFingerprint: presented.fingerprint });
    expect(await expectError(await repin(presented.fingerprint, { authorization: `Bearer ${b.ownerKey}` }), 403)).toBeTruthy();
    expect((await b.client().getContact(bToA)).identity.state).toBe('changed');

    const repinned = await repin(presented.fingerprint, session(cookie));
    expect(repinned.status).toBe(200);
    expect(((await repinned.json()) as { identity: unknown }).identity).toMatchObject({
      state: 'pinned',
      fingerprint: presented.fingerprint,
      presentedFingerprint: null,
      compared: true,
    });
    await waitFor('the waiting message delivered', async () => (await a.client().getMessage(sent.id)).status === 'delivered');
    expect((await b.client().listMessages({ contactId: bToA, q: 'from the changed key' })).messages).toHaveLength(1);
    await waitFor('A to see the refusal cleared', async () => (await a.client().getContact(aToB)).identity.refusedByPeer === null);
    expect(await eventsOf(b, 'contact.identity_changed')).toHaveLength(1);
    expect(await eventsOf(a, 'contact.identity_refused')).toHaveLength(1);
    await delivered(b, bToA, 'B answers the re-pinned key');
  });

  it('marking a fingerprint compared: an owner key may clear it but not set it; the console may set it', async () => {
    const put = (compared: boolean, options: { key?: string | null; headers?: Record<string, string> } = {}) =>
      api(a, 'PUT', `/api/contacts/${aToB}/identity/compared`, { ...options, body: { compared } });
    const cleared = await put(false);
    expect(cleared.status).toBe(200);
    expect(((await cleared.json()) as { identity: unknown }).identity).toMatchObject({ compared: false, comparedAt: null });
    expect((await expectError(await put(true), 403)).message).toMatch(/owner/);
    expect((await a.client().getContact(aToB)).identity.compared).toBe(false);

    const cookie = await a.login();
    const set = await put(true, { key: null, headers: session(cookie) });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { identity: unknown }).identity).toMatchObject({ compared: true, comparedAt: expect.any(String) });
    // The owner key may still clear it.
    expect((await put(false)).status).toBe(200);
    expect((await a.client().getContact(aToB)).identity.compared).toBe(false);
  });
});
