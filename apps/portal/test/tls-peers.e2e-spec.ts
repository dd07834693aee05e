import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api,
  bytes,
  eventsOf,
  expectError,
  makeTestCa,
  sendFile,
  sha256,
  type TestCa,
  TestPortal,
  tlsRequest,
  TlsProxy,
  waitFor,
} from '@agent-p2p/testing';
import { generateContactKey } from '../src/common/secrets';

const CHUNK = 4096;

/**
 * What a Portal on the Internet runs with: https peers only, certificates verified. Loopback peers
 * are allowed (every Portal here is on 127.0.0.1) and each sits behind its own TLS proxy, so client
 * addresses come from X-Forwarded-For. Retries are quick for the test's sake.
 */
const TLS_ENV: Record<string, string> = {
  PORTAL_ALLOW_INSECURE_PEERS: 'false',
  PORTAL_ALLOW_PRIVATE_PEERS: 'true',
  PORTAL_TRUST_PROXY: 'true',
  PORTAL_OUTBOX_RETRY_BASE_MS: '50',
  PORTAL_OUTBOX_RETRY_MAX_SECONDS: '1',
  PORTAL_FILE_CHUNK_BYTES: String(CHUNK),
  PORTAL_FILE_MIN_CHUNK_BYTES: String(CHUNK),
};

/** A Portal whose identity is https://localhost:<port> of its own TLS proxy; trusting the test CA unless told not to. */
async function startBehindTls(ca: TestCa, options: { trustCa: boolean }): Promise<{ portal: TestPortal; proxy: TlsProxy }> {
  // The proxy comes first: its URL is the Portal's PORTAL_PUBLIC_URL, which must be set at start.
  const proxy = await TlsProxy.start(ca);
  try {
    const portal = await TestPortal.start({
      env: { ...TLS_ENV, PORTAL_PUBLIC_URL: proxy.url, ...(options.trustCa ? { PORTAL_CA_FILE: ca.caCertPath } : {}) },
    });
    proxy.setTarget(portal.config.port);
    return { portal, proxy };
  } catch (error) {
    await proxy.stop();
    throw error;
  }
}

describe('two Portals over HTTPS, certificates verified', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ap2p-tls-'));
  let ca: TestCa;
  let a: TestPortal;
  let b: TestPortal;
  let proxyA: TlsProxy;
  let proxyB: TlsProxy;
  let aToB: number;
  let bToA: number;

  // A asks B at B's https URL, B's owner approves: the handshake as users run it, every call over TLS.
  beforeAll(async () => {
    ca = await makeTestCa(join(dir, 'ca'));
    [{ portal: a, proxy: proxyA }, { portal: b, proxy: proxyB }] = await Promise.all([
      startBehindTls(ca, { trustCa: true }),
      startBehindTls(ca, { trustCa: true }),
    ]);
    await a.client().updateMe({ agentName: "Alice's agent" });
    await b.client().updateMe({ agentName: "Bob's agent" });

    const asked = await a.client().createContact(proxyB.url, 'hello over TLS');
    aToB = asked.id;
    const request = await waitFor('B to verify the request with A', async () =>
      (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === proxyA.url),
    );
    bToA = (await b.client().approveContactRequest(request.id)).id;
    await waitFor('A to see the contact active', async () => (await a.client().getContact(aToB)).status === 'active');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    await Promise.all([proxyA?.stop(), proxyB?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the handshake went through both proxies: each side knows the other by its https URL', async () => {
    expect(await a.client().getContact(aToB)).toMatchObject({
      status: 'active',
      portalUrl: proxyB.url,
      agentName: "Bob's agent",
      request: { state: 'delivered', error: null },
    });
    expect(await b.client().getContact(bToA)).toMatchObject({ status: 'active', portalUrl: proxyA.url, agentName: "Alice's agent" });
    // A's request reached B through B's proxy, and B verified it by calling A through A's.
    expect(proxyA.requests).toBeGreaterThan(0);
    expect(proxyB.requests).toBeGreaterThan(0);
    // Each Portal tells the world the https URL it is known by.
    const wellKnown = await tlsRequest(`${proxyB.url}/.well-known/agent-p2p`, { ca: ca.caCert });
    expect(wellKnown.status).toBe(200);
    expect(JSON.parse(wellKnown.body.toString('utf8'))).toMatchObject({ portalUrl: proxyB.url });
  });

  it('delivers messages both ways', async () => {
    const fromA = await a.client().sendMessage(aToB, 'Hello Bob, over TLS');
    await waitFor('A → B delivered', async () => (await a.client().getMessage(fromA.id)).status === 'delivered');
    // B answers once it has A's message, so both histories have one order.
    const fromB = await b.client().sendMessage(bToA, 'Hello Alice, over TLS too');
    await waitFor('B → A delivered', async () => (await b.client().getMessage(fromB.id)).status === 'delivered');
    const onB = await b.client().listMessages({ contactId: bToA, q: 'over TLS' });
    const onA = await a.client().listMessages({ contactId: aToB, q: 'over TLS' });
    expect(onB.messages.map((m) => [m.direction, m.content])).toEqual([
      ['in', 'Hello Bob, over TLS'],
      ['out', 'Hello Alice, over TLS too'],
    ]);
    expect(onA.messages.map((m) => [m.direction, m.content])).toEqual([
      ['out', 'Hello Bob, over TLS'],
      ['in', 'Hello Alice, over TLS too'],
    ]);
  });

  it('relays a file A → B chunk by chunk; B verifies it and serves exactly the bytes sent', async () => {
    const data = bytes(CHUNK * 3 + 500, 21);
    const id = await sendFile(a.client(), aToB, data, { name: 'over-tls.bin' });
    const received = await waitFor('file.received on B', async () =>
      (await eventsOf(b, 'file.received')).find((e) => e.payload.sha256 === sha256(data)),
    );
    expect(received.payload).toMatchObject({ contactId: bToA, name: 'over-tls.bin', size: data.length });
    await waitFor('file.delivered on A', async () => (await eventsOf(a, 'file.delivered')).find((e) => e.payload.fileId === id));
    expect(await a.client().getFile(id)).toMatchObject({ status: 'delivered', chunks: 4, receivedRanges: [[0, 3]] });
    const download = await b.client().downloadFile(received.payload.fileId as string);
    expect(download.status).toBe(200);
    const copy = Buffer.from(await download.arrayBuffer());
    expect(sha256(copy)).toBe(sha256(data));
    expect(copy.equals(data)).toBe(true);
  });

  it('A rotates its identity key over TLS: B follows the notice and a message after it arrives', async () => {
    const before = (await a.client().getMe()).identity;
    const rotated = await api(a, 'POST', '/api/identity/rotate');
    expect(rotated.status).toBe(200);
    expect(await rotated.json()).toMatchObject({ previousFingerprint: before.fingerprint, contactsNotified: 1 });
    const after = (await a.client().getMe()).identity;
    expect(after.fingerprint).not.toBe(before.fingerprint);
    // The notice, signed with the old key for B's https URL, went through both proxies.
    const event = await waitFor('contact.identity_rotated on B', async () =>
      (await eventsOf(b, 'contact.identity_rotated')).find((e) => e.payload.contactId === bToA),
    );
    expect(event.payload).toMatchObject({ portalUrl: proxyA.url, fingerprint: after.fingerprint, previousFingerprint: before.fingerprint });
    expect((await b.client().getContact(bToA)).identity).toMatchObject({
      state: 'pinned',
      keyId: after.keyId,
      fingerprint: after.fingerprint,
    });
    // A's published document, read over TLS as B reads it, names the rotation.
    const wellKnown = await tlsRequest(`${proxyA.url}/.well-known/agent-p2p`, { ca: ca.caCert });
    expect(JSON.parse(wellKnown.body.toString('utf8'))).toMatchObject({
      identity: { keyId: after.keyId, rotations: [{ fromKeyId: before.keyId, toKeyId: after.keyId }] },
    });

    const sent = await a.client().sendMessage(aToB, 'signed with the new key, over TLS');
    await waitFor('A → B delivered', async () => (await a.client().getMessage(sent.id)).status === 'delivered');
    expect((await b.client().listMessages({ contactId: bToA, q: 'signed with the new key' })).messages).toHaveLength(1);
    expect(await eventsOf(b, 'contact.identity_changed')).toEqual([]);
  });

  it('a Portal that does not trust the CA cannot reach B: its request stays undelivered with a certificate error', async () => {
    const { portal: c, proxy: proxyC } = await startBehindTls(ca, { trustCa: false });
    try {
      const asked = await c.client().createContact(proxyB.url, 'can you hear me?');
      const undelivered = await waitFor('C to give up an attempt', async () => {
        const contact = await c.client().getContact(asked.id);
        return contact.request?.state === 'undelivered' && contact.request.attempts >= 2 ? contact : undefined;
      });
      expect(undelivered.status).toBe('pending');
      expect(undelivered.request?.error).toMatch(/^localhost:\d+: TLS certificate not accepted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: /);
      // Nothing of it reached B's Portal.
      const atB = [...(await b.client().listContactRequests('pending')), ...(await b.client().listContactRequests('verifying'))];
      expect(atB.filter((r) => r.portalUrl === proxyC.url)).toEqual([]);
    } finally {
      await c.destroy();
      await proxyC.stop();
    }
  });

  it('refuses http:// peer URLs: neither asked for nor accepted from another Portal', async () => {
    // B's own Portal is there on plain http, but A does not call it.
    const asked = await api(a, 'POST', '/api/contacts', { body: { portalUrl: `http://127.0.0.1:${b.config.port}`, message: 'plain?' } });
    expect((await expectError(asked, 400)).message).toBe('portalUrl must be an https URL without credentials, query or fragment');

    // A Portal announcing itself with an http:// URL is refused by B, even over TLS.
    const announced = await tlsRequest(`${proxyB.url}/api/federation/contact-requests`, {
      ca: ca.caCert,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requestId: crypto.randomUUID(),
        fromPortal: `http://127.0.0.1:${a.config.port}`,
        agentName: 'plain',
        ownerName: '',
        message: 'over http, please',
        key: generateContactKey(),
      }),
    });
    expect(announced.status).toBe(400);
    expect(JSON.parse(announced.body.toString('utf8'))).toMatchObject({
      statusCode: 400,
      message: 'fromPortal must be an https URL without credentials, query or fragment',
    });
  });
});
