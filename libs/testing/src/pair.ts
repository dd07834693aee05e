import { PortalApiError } from '@agent-p2p/sdk';
import { DataSource } from 'typeorm';
import { SECRET_BOX } from '@agent-p2p/portal/src/common/secret-box';
import { generateContactKey, sha256Hex } from '@agent-p2p/portal/src/common/secrets';
import { Contact } from '@agent-p2p/portal/src/contacts/entities/contact.entity';
import type { EventRecord } from '@agent-p2p/portal/src/events/events.service';
import { EventsService } from '@agent-p2p/portal/src/events/events.service';
import { TestPortal, type TestPortalOptions } from './test-portal';

/** Settings two test Portals need to talk over loopback http, with quick retries. */
export const PEER_ENV: Record<string, string> = {
  PORTAL_ALLOW_INSECURE_PEERS: 'true',
  PORTAL_ALLOW_PRIVATE_PEERS: 'true',
  PORTAL_OUTBOX_RETRY_BASE_MS: '50',
  PORTAL_OUTBOX_RETRY_MAX_SECONDS: '1',
};

export async function startPeer(options: TestPortalOptions = {}): Promise<TestPortal> {
  return TestPortal.start({ ...options, env: { ...PEER_ENV, ...options.env } });
}

/** Polls until check() returns a value (not undefined/false), or fails after timeoutMs. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false | null>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Events of a type in a Portal's log, read through its EventsService. */
export async function eventsOf(portal: TestPortal, type: string): Promise<EventRecord[]> {
  const all = await portal.app.get(EventsService).listAfter(0, 100_000);
  return all.filter((event) => event.type === type);
}

/** A asks B, B's owner approves: returns both contact ids once both sides are active. */
export async function connect(a: TestPortal, b: TestPortal): Promise<{ aContactId: number; bContactId: number }> {
  const contact = await a.client().createContact(b.url, 'hello');
  const request = await waitFor('B to verify the request', async () =>
    (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === a.url),
  );
  const approved = await b.client().approveContactRequest(request.id);
  await waitFor('A to see the contact active', async () => (await a.client().getContact(contact.id)).status === 'active');
  return { aContactId: contact.id, bContactId: approved.id };
}

/** The HTTP status an SDK call ended with (200 for any success). */
export async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof PortalApiError) return error.status;
    throw error;
  }
}

/** An active contact at portalUrl, written straight into the database (the peer is a fake server). */
export async function addActiveContact(portal: TestPortal, portalUrl: string): Promise<number> {
  const key = generateContactKey();
  const now = new Date();
  const saved = await portal.app
    .get(DataSource)
    .getRepository(Contact)
    .save({
      portalUrl,
      status: 'active',
      direction: 'outgoing',
      requestId: crypto.randomUUID(),
      agentName: 'fake',
      ownerName: '',
      message: '',
      keyHash: sha256Hex(key),
      keySealed: portal.app.get(SECRET_BOX).seal(key),
      createdAt: now,
      updatedAt: now,
    });
  return saved.id;
}
