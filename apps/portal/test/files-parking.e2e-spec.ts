import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bytes,
  connect,
  ensureCliBuilt,
  eventsOf,
  expectOk,
  runIn,
  sendFile,
  sha256,
  startPeer,
  type TestPortal,
  waitFor,
} from '@agent-p2p/testing';

/**
 * A peer without room for a file (507 over its quota) must not hold back the messages behind it:
 * the transfer is parked, the sender's agent is told once, messages flow on, and the file resumes
 * when the peer has room again — here as soon as the peer calls us, long before the park cadence.
 */
const CHUNK = 256 * 1024;
const QUOTA = 3 * 1024 * 1024;
const FILLER = 1536 * 1024;
const BIG = 2 * 1024 * 1024;
const MESSAGES = 20;

describe("a peer's 507 parks that file transfer while messages flow on", () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;
  let home: string;

  beforeAll(async () => {
    ensureCliBuilt();
    home = mkdtempSync(join(tmpdir(), 'ap2p-parking-'));
    [a, b] = await Promise.all([
      // An hour between two tries of a parked file: within this test only the contact's call resumes it.
      startPeer({ env: { PORTAL_FILE_CHUNK_BYTES: String(CHUNK), PORTAL_OUTBOX_PARK_RETRY_SECONDS: '3600' } }),
      startPeer({ env: { PORTAL_CONTACT_FILE_QUOTA_BYTES: String(QUOTA) } }),
    ]);
    ({ aContactId, bContactId } = await connect(a, b));
  });

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function download(portal: TestPortal, fileId: string): Promise<string> {
    const response = await fetch(`${portal.url}/api/files/${fileId}/content`, { headers: { authorization: `Bearer ${portal.ownerKey}` } });
    expect(response.status).toBe(200);
    return createHash('sha256')
      .update(Buffer.from(await response.arrayBuffer()))
      .digest('hex');
  }

  async function contentsAtB(): Promise<string[]> {
    const page = await b.client().listMessages({ contactId: bContactId, limit: 200 });
    return page.messages.filter((m) => m.direction === 'in').map((m) => m.content);
  }

  it('parks the file on 507 (quota), delivers the messages at once, and resumes when B has room', async () => {
    // B's quota for A: 3 MiB. A first file of 1.5 MiB fits; the next one (2 MiB) does not.
    const filler = bytes(FILLER, 3);
    const fillerId = await sendFile(a.client(), aContactId, filler, { name: 'filler.bin' });
    await waitFor('the filler to be delivered', async () => (await a.client().getFile(fillerId)).status === 'delivered');
    const fillerAtB = (await b.client().listFiles({ direction: 'in' })).find((f) => f.sha256 === sha256(filler));
    expect(fillerAtB?.status).toBe('received');

    const big = bytes(BIG, 4);
    const bigId = await sendFile(a.client(), aContactId, big, { name: 'big <report>.bin' });
    const parked = await waitFor('the big file to be parked', async () => {
      const file = await a.client().getFile(bigId);
      return file.delivery?.status === 'parked' ? file : null;
    });
    expect(parked.status).toBe('sending');
    expect(parked.delivery).toMatchObject({ step: 'offer', parkedReason: 'peer_quota' });
    expect(parked.delivery?.lastError).toMatch(/^507 .*quota/);

    // Messages sent after the file go at once, in order, while it waits.
    const sentAt = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i += 1) {
      const id = randomUUID();
      ids.push(id);
      await a.client().sendMessage(aContactId, `after the file ${i}`, id);
    }
    // Behind the file they would wait as long as B has no room; parked, they take seconds, however loaded the machine.
    await waitFor('every message to be delivered', async () => {
      const states = await Promise.all(ids.map((id) => a.client().getMessage(id)));
      return states.every((m) => m.status === 'delivered');
    });
    expect(Date.now() - sentAt).toBeLessThan(15_000);
    expect((await a.client().getFile(bigId)).delivery?.status).toBe('parked');
    expect(await contentsAtB()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `after the file ${i}`));

    // A's agent was told once, with the reason and the next try; B was offered nothing.
    const parkedEvents = await eventsOf(a, 'file.parked');
    expect(parkedEvents).toHaveLength(1);
    expect(parkedEvents[0].payload).toMatchObject({
      fileId: bigId,
      contactId: aContactId,
      name: 'big _report_.bin',
      size: BIG,
      reason: 'peer_quota',
    });
    const retryAt = Date.parse((parkedEvents[0].payload as { retryAt: string }).retryAt);
    expect(retryAt - Date.now()).toBeGreaterThan(20 * 60_000);
    expect((await b.client().listFiles({ direction: 'in' })).map((f) => f.sha256)).toEqual([sha256(filler)]);

    // The agent's command line shows the file waiting, and why.
    const env = { AGENTP2P_HUB_URL: a.url, AGENTP2P_API_KEY: a.ownerKey };
    const listing = await runIn(home, ['files', '--direction', 'out'], { env });
    expectOk(listing);
    expect(listing.stdout).toMatch(new RegExp(`${bigId}\\s+out\\s+sending, parked \\(no room: quota\\)`));
    const show = await runIn(home, ['files', 'show', bigId], { env });
    expectOk(show);
    expect(show.stdout).toMatch(/Waiting:\s+parked since /);
    expect(show.stdout).toContain("the contact's Portal is out of space for us (over its quota); messages go on");

    // B makes room (its owner deletes the filler) and writes to A: A tries the file again soon.
    await b.client().deleteFile(fillerAtB!.id);
    await b.client().sendMessage(bContactId, 'I made room');
    const received = await waitFor(
      'B to receive the big file',
      async () => (await b.client().listFiles({ direction: 'in' })).find((f) => f.sha256 === sha256(big) && f.status === 'received'),
      30_000,
    );
    expect(received.name).toBe('big _report_.bin');
    expect(await download(b, received.id)).toBe(sha256(big));
    await waitFor('A to see the big file delivered', async () => (await a.client().getFile(bigId)).status === 'delivered');

    // One parking, one resumption, one delivery; nothing lost or duplicated.
    const resumed = await eventsOf(a, 'file.resumed');
    expect(resumed.map((e) => e.payload)).toEqual([
      { fileId: bigId, contactId: aContactId, name: 'big _report_.bin', parkedAt: expect.any(String) },
    ]);
    expect(await eventsOf(a, 'file.parked')).toHaveLength(1);
    expect((await eventsOf(a, 'file.delivered')).filter((e) => (e.payload as { fileId: string }).fileId === bigId)).toHaveLength(1);
    expect((await eventsOf(b, 'file.received')).filter((e) => (e.payload as { sha256: string }).sha256 === sha256(big))).toHaveLength(1);
    expect(await eventsOf(a, 'file.failed')).toHaveLength(0);
    expect(await contentsAtB()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `after the file ${i}`));
    const final = await a.client().getFile(bigId);
    expect(final.delivery).toMatchObject({ status: 'delivered', step: 'complete' });
  }, 90_000);
});
