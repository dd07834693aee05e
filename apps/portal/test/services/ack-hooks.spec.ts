import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { KeysService } from '../../src/auth/keys.service';
import { ContactsService } from '../../src/contacts/contacts.service';
import { type AckedRange, EventAckHooks } from '../../src/events/event-ack-hooks.service';
import { EventCursorService } from '../../src/events/event-cursor.service';
import { EventsService } from '../../src/events/events.service';
import { BackgroundHealth } from '../../src/health/background-health.service';
import { MessagesService } from '../../src/messages/messages.service';
import { FakePeer, type PeerAnswer, type PeerCall, ServicePortal, waitFor } from '@agent-p2p/testing';

/**
 * What acks lead to (the seen receipts) happens in the background, after the ack is confirmed.
 * Each key keeps how far that has run, so a failing run is retried and a restart picks up what
 * was acked but not yet acted on: a contact always learns that its message was seen.
 */
describe('acked events are acted on exactly as far as they were acked, through failures and restarts (services on a real database)', () => {
  let portal: ServicePortal;
  let peer: FakePeer;
  let contactId: number;
  let agent: { kind: 'agent'; keyId: string };

  /** The contact's Portal: accepts every receipt and records it. */
  const answer = (call: PeerCall): PeerAnswer => ({
    status: 200,
    body: {
      results: ((call.body?.items as Array<{ messageId: string }>) ?? []).map((item) => ({ messageId: item.messageId, result: 'applied' })),
    },
  });
  const seenReceipts = () =>
    peer.calls
      .filter((call) => call.path === '/api/federation/receipts')
      .flatMap((call) => call.body?.items as Array<{ messageId: string; stage: string }>)
      .filter((item) => item.stage === 'seen')
      .map((item) => item.messageId);

  beforeAll(async () => {
    peer = await FakePeer.start(answer);
    portal = await ServicePortal.open({
      PORTAL_ALLOW_INSECURE_PEERS: 'true',
      PORTAL_ALLOW_PRIVATE_PEERS: 'true',
      PORTAL_WAKE_COALESCE_MS: '0',
      PORTAL_OUTBOX_RETRY_BASE_MS: '50',
    });
    contactId = (await portal.insertContact(peer.url)).id;
    const created = await portal.get(KeysService).create('bridge');
    agent = { kind: 'agent', keyId: created.id };
  });

  afterAll(async () => {
    await portal?.destroy();
    await peer?.stop();
  });

  /** A message from the contact, and the seq of the agent.wake that carries it (what a Bridge acks). */
  async function receiveAndWake(content: string): Promise<{ remoteId: string; localId: string; wakeSeq: number }> {
    const contact = (await portal.get(ContactsService).findById(contactId))!;
    const remoteId = randomUUID();
    await portal.get(MessagesService).receive(contact, { id: remoteId, content, type: 'text', sentAt: new Date().toISOString() });
    const localId = (await portal.get(MessagesService).list({ contactId, limit: 1 })).messages[0].id;
    let wakeSeq = 0;
    await waitFor('the agent.wake', async () => {
      const events = await portal.get(EventsService).listAfter(0, 1000);
      const wake = events.find((event) => event.type === 'agent.wake' && JSON.stringify(event.payload).includes(localId));
      wakeSeq = wake?.seq ?? 0;
      return wakeSeq > 0;
    });
    return { remoteId, localId, wakeSeq };
  }

  it('a run that fails is tried again, with /health degraded meanwhile, until the seen receipt goes out', async () => {
    const { remoteId, localId, wakeSeq } = await receiveAndWake('hello');
    const ranges: AckedRange[] = [];
    let failuresLeft = 2;
    // Stands for a database that fails while the hooks run (the receipts hook itself then runs too).
    portal.get(EventAckHooks).onAcked(async (range) => {
      ranges.push(range);
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('SQLITE_IOERR: disk I/O error');
      }
    });

    expect(await portal.get(EventCursorService).ack(agent, wakeSeq)).toBe(wakeSeq);
    await waitFor('the first failure on /health', async () =>
      portal
        .get(BackgroundHealth)
        .problems()
        .some((job) => job.name === 'ack-hooks'),
    );
    await waitFor('the retries', async () => ranges.length === 3, 15_000);
    // The same range each time: nothing acked is skipped, and the cursor moved only after success.
    expect(new Set(ranges.map((range) => `${range.afterSeq}-${range.uptoSeq}`)).size).toBe(1);
    expect(ranges[0]).toEqual({ keyId: agent.keyId, afterSeq: 0, uptoSeq: wakeSeq });
    await waitFor('the seen receipt', async () => seenReceipts().includes(remoteId));
    expect((await portal.get(MessagesService).get(localId)).stage).toBe('seen');
    await waitFor('/health ok again', async () => portal.get(BackgroundHealth).problems().length === 0);
    expect(await portal.get(KeysService).ackCursors(agent.keyId)).toEqual({ ackedSeq: wakeSeq, ackHooksSeq: wakeSeq });
  });

  it('an ack confirmed just before the Portal stopped is acted on after it starts again', async () => {
    const { remoteId, localId, wakeSeq } = await receiveAndWake('are you there?');
    // The ack was written and confirmed to the Bridge; the Portal stopped before its hooks ran.
    await portal.get(KeysService).storeAckedSeq(agent.keyId, wakeSeq);
    await portal.close();
    expect(seenReceipts()).not.toContain(remoteId);

    await portal.reopen();
    await waitFor('the seen receipt after the restart', async () => seenReceipts().includes(remoteId));
    expect((await portal.get(MessagesService).get(localId)).stage).toBe('seen');
    expect(await portal.get(KeysService).ackCursors(agent.keyId)).toEqual({ ackedSeq: wakeSeq, ackHooksSeq: wakeSeq });
    expect(seenReceipts().filter((id) => id === remoteId)).toHaveLength(1);
  });
});
