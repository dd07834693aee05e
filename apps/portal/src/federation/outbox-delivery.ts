import type { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { PortalConfig } from '../config/portal-config';
import { RawSql } from '../database/raw-sql';
import type { EventsService } from '../events/events.service';
import { OutboxItem } from './entities/outbox-item.entity';
import type { OutboxKinds } from './outbox-kinds';
import type { OutboxLeases } from './outbox-leases';
import {
  describeAnswer,
  hasGivenUp,
  isRetryableStatus,
  isSuccessStatus,
  type ParkReason,
  parkDelayMs,
  parkReasonOf,
  retryDelayMs,
  signatureRefusalOf,
} from './outbox-retry-policy';
import { type AttemptOutcome, DeliveryRefused, type OutboxFailure, type OutboxHandler, type SignatureAnswerListener } from './outbox-types';
import { type PeerClient, PeerError, type PeerRequest, type PeerResponse } from './peer-client';

/** A peer that does not know a kind's batch route (an older version) is sent items of that kind singly for this long. */
const NO_BATCH_MS = 10 * 60_000;

/** What delivery tells the scheduler about a peer. */
export interface PeerBackoff {
  /** The peer's oldest item now waits for a retry. */
  backingOff: Set<string>;
  /** The peer answered: whatever else waits for it goes now. */
  retryNow(peerUrl: string): Promise<void>;
  /** An item of this peer was parked until retryAt. */
  parked(peerUrl: string, retryAt: Date): void;
  /** The peer took an item of a parkable kind: it may have room for its parked ones too. */
  hasRoom(peerUrl: string): void;
}

/**
 * One attempt at an item, or at a batch of items: builds the call with the kind's handler, sends it,
 * and records the outcome (delivered, retried later with back-off, or failed) in the transaction
 * that runs the handler's callback.
 */
export class OutboxDelivery {
  /** Kind and peer ("kind peerUrl") whose batch was answered 404/405 (no batch route), until when. */
  private readonly noBatchUntil = new Map<string, number>();
  signatureListener: SignatureAnswerListener | null = null;
  private readonly sql: RawSql;

  constructor(
    private readonly config: PortalConfig,
    private readonly dataSource: DataSource,
    private readonly peers: PeerClient,
    private readonly events: EventsService,
    private readonly kinds: OutboxKinds,
    private readonly leases: OutboxLeases,
    private readonly backoff: PeerBackoff,
    private readonly logger: Logger,
  ) {
    this.sql = new RawSql(dataSource);
  }

  /** The due items from `start` on that can go in one batch: same kind (with a batcher) and contact. */
  batchableRun(items: OutboxItem[], start: number): OutboxItem[] {
    const head = items[start];
    const batcher = this.kinds.optionsOf(head.kind)?.batch;
    if (!batcher || (this.noBatchUntil.get(`${head.kind} ${head.peerUrl}`) ?? 0) > Date.now()) return [head];
    const run = [head];
    const now = Date.now();
    for (let next = start + 1; next < items.length && run.length < batcher.maxItems; next += 1) {
      const item = items[next];
      if (item.kind !== head.kind || item.contactId !== head.contactId || item.nextAttemptAt.getTime() > now) break;
      run.push(item);
    }
    return run;
  }

  async attempt(item: OutboxItem): Promise<AttemptOutcome> {
    const handler = this.kinds.handler(item.kind);
    if (!handler) {
      await this.markFailed(item, `no handler for ${item.kind}`);
      return 'next';
    }
    let request: PeerRequest | null;
    try {
      request = await handler.buildRequest(item);
    } catch (error) {
      if (error instanceof DeliveryRefused) {
        await this.fail(item, handler, error.message, 'refused');
        return 'next';
      }
      // A call the handler makes to prepare (the peer's identity document) failing like a call would.
      if (error instanceof PeerError) {
        if (!error.retryable) {
          await this.fail(item, handler, error.message, 'unsent');
          return 'next';
        }
        return this.retryOrRepark(item, handler, error.message);
      }
      this.logger.error({ err: error, item: item.id }, 'Could not prepare an outbox item');
      return this.retryLater([item], handler, 'internal error preparing the request');
    }
    if (!request) {
      await this.fail(item, handler, 'no longer deliverable: the contact or request changed', 'cancelled');
      return 'next';
    }
    const options = this.kinds.optionsOf(item.kind);
    if (request.timeoutMs === undefined && options?.timeoutMs !== undefined) request = { ...request, timeoutMs: options.timeoutMs };
    let response: PeerResponse;
    try {
      response = await this.peers.send(request);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PeerError && !error.retryable) {
        await this.fail(item, handler, reason, 'unsent');
        return 'next';
      }
      return this.retryOrRepark(item, handler, reason);
    }
    const refusal = signatureRefusalOf(response);
    if (refusal) {
      this.signatureRefused(item.peerUrl, refusal);
      return this.retryOrRepark(item, handler, describeAnswer(response), response.retryAfterSeconds);
    }
    if (isSuccessStatus(response.status)) {
      await this.dataSource.transaction(async (manager) => {
        await this.markDelivered(manager, [item]);
        await handler.onDelivered(manager, item, response);
      });
      this.events.wake();
      this.peerAnswered(item.peerUrl);
      if (handler.onParked) this.backoff.hasRoom(item.peerUrl);
      return 'next';
    }
    const parkReason = handler.onParked ? parkReasonOf(response) : null;
    if (parkReason) {
      await this.park(item, handler, parkReason, describeAnswer(response), response.retryAfterSeconds);
      return 'next';
    }
    if (isRetryableStatus(response.status)) return this.retryOrRepark(item, handler, describeAnswer(response), response.retryAfterSeconds);
    await this.fail(item, handler, describeAnswer(response), 'refused');
    return 'next';
  }

  /**
   * Sends a run of items as one call. Delivered items are marked in one transaction; a retryable
   * failure of the call retries them as a unit; anything the batch route cannot take (an older peer,
   * a body too large) falls back to single calls, which give each item its exact outcome.
   */
  async attemptBatch(run: OutboxItem[]): Promise<{ outcome: AttemptOutcome; sent: number }> {
    const handler = this.kinds.handler(run[0].kind)!;
    const batcher = this.kinds.optionsOf(run[0].kind)!.batch!;
    let built: { request: PeerRequest; count: number } | null;
    try {
      built = await batcher.build(run);
    } catch (error) {
      this.logger.error({ err: error, item: run[0].id }, 'Could not prepare an outbox batch');
      built = null;
    }
    if (!built) {
      await this.leases.unclaim(run.slice(1));
      return { outcome: await this.attempt(run[0]), sent: 1 };
    }
    const carried = run.slice(0, Math.max(1, Math.min(built.count, run.length)));
    await this.leases.unclaim(run.slice(carried.length));
    let response: PeerResponse;
    try {
      response = await this.peers.send(built.request);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PeerError && !error.retryable) return this.sendSingly(carried);
      return { outcome: await this.retryLater(carried, handler, reason), sent: carried.length };
    }
    const refusal = signatureRefusalOf(response);
    if (refusal) this.signatureRefused(run[0].peerUrl, refusal);
    if (refusal || isRetryableStatus(response.status)) {
      return {
        outcome: await this.retryLater(carried, handler, describeAnswer(response), response.retryAfterSeconds),
        sent: carried.length,
      };
    }
    if (response.status === 404 || response.status === 405)
      this.noBatchUntil.set(`${run[0].kind} ${run[0].peerUrl}`, Date.now() + NO_BATCH_MS);
    const answers = isSuccessStatus(response.status) ? batcher.split(response, carried) : null;
    if (!answers || answers.length !== carried.length) return this.sendSingly(carried);

    const delivered = carried.filter((_, i) => isSuccessStatus(answers[i].status));
    if (delivered.length > 0) {
      await this.dataSource.transaction(async (manager) => {
        await this.markDelivered(manager, delivered);
        if (handler.onDeliveredMany) {
          await handler.onDeliveredMany(manager, delivered);
          return;
        }
        for (const [i, item] of carried.entries()) {
          if (isSuccessStatus(answers[i].status)) await handler.onDelivered(manager, item, answers[i]);
        }
      });
      this.events.wake();
      this.peerAnswered(run[0].peerUrl);
    }
    for (const [i, item] of carried.entries()) {
      const answer = answers[i];
      if (isSuccessStatus(answer.status)) continue;
      if (isRetryableStatus(answer.status)) await this.retryLater([item], handler, describeAnswer(answer), answer.retryAfterSeconds);
      else await this.fail(item, handler, describeAnswer(answer), 'refused');
    }
    return { outcome: 'next', sent: carried.length };
  }

  /** Marks these items delivered (one statement: a batch's items are many). */
  private async markDelivered(manager: EntityManager, items: OutboxItem[]): Promise<void> {
    for (let i = 0; i < items.length; i += 500) {
      const chunk = items.slice(i, i + 500);
      await manager.query(
        this.sql.text(
          `UPDATE outbox_items SET status = 'delivered', attempts = attempts + 1, lease_until = NULL, lease_owner = NULL, last_error = NULL,
           updated_at = ? WHERE seq IN (${chunk.map(() => '?').join(', ')})`,
        ),
        [this.sql.date(new Date()), ...chunk.map((item) => item.seq)],
      );
    }
  }

  private signatureRefused(peerUrl: string, refusal: { code: string; reason: string }): void {
    void this.signatureListener
      ?.refused(peerUrl, refusal.code, refusal.reason)
      .catch((error) => this.logger.warn({ err: error }, 'Could not record a refused signature'));
  }

  /** The peer is evidently up: whatever else waits for it (another lane, a back-off) goes now. */
  private peerAnswered(peerUrl: string): void {
    void this.signatureListener?.accepted(peerUrl).catch(() => undefined);
    if (this.backoff.backingOff.has(peerUrl)) void this.backoff.retryNow(peerUrl).catch(() => undefined);
  }

  /** Sends these items one call each, in order (the single path decides each outcome). */
  private async sendSingly(items: OutboxItem[]): Promise<{ outcome: AttemptOutcome; sent: number }> {
    for (const [i, item] of items.entries()) {
      if ((await this.attempt(item)) === 'wait') {
        await this.leases.unclaim(items.slice(i + 1));
        return { outcome: 'wait', sent: items.length };
      }
    }
    return { outcome: 'next', sent: items.length };
  }

  /**
   * A failed attempt of these items (one item, or a batch retried as a unit): each that is past its
   * give-up point fails; the others wait the same back-off, drawn from the first one's attempts.
   */
  private async retryLater(items: OutboxItem[], handler: OutboxHandler, reason: string, retryAfterSeconds?: number): Promise<'wait'> {
    const options = this.kinds.optionsOf(items[0].kind);
    const waiting: OutboxItem[] = [];
    for (const item of items) {
      const attempts = item.attempts + 1;
      if (hasGivenUp(this.config.outbox, options, item, attempts)) {
        await this.fail(item, handler, `gave up after ${attempts} attempts: ${reason}`, 'gave-up', attempts);
      } else {
        waiting.push(item);
      }
    }
    if (waiting.length === 0) return 'wait';
    const delay = retryDelayMs(this.config.outbox, waiting[0].attempts, retryAfterSeconds);
    this.backoff.backingOff.add(waiting[0].peerUrl);
    await this.dataSource.transaction(async (manager) => {
      const nextAttemptAt = new Date(Date.now() + delay);
      for (const item of waiting) {
        const attempts = item.attempts + 1;
        await manager.update(
          OutboxItem,
          { seq: item.seq },
          {
            attempts,
            lastError: reason.slice(0, 500),
            nextAttemptAt,
            leaseUntil: null,
            leaseOwner: null,
            updatedAt: new Date(),
          },
        );
        await handler.onAttemptFailed?.(manager, { ...item, attempts, lastError: reason }, reason);
      }
    });
    this.events.wake();
    return 'wait';
  }

  /**
   * A retryable failure of one item. An item that was parked and is tried again (its peer had no
   * room) goes back to the park rather than wait at the head of the peer's queue, so a network
   * blip during that try never holds the peer's later items back for its long back-off.
   */
  private async retryOrRepark(
    item: OutboxItem,
    handler: OutboxHandler,
    reason: string,
    retryAfterSeconds?: number,
  ): Promise<AttemptOutcome> {
    if (!item.parkedAt || !handler.onParked) return this.retryLater([item], handler, reason, retryAfterSeconds);
    const parkedReason: ParkReason = item.parkedReason === 'peer_quota' ? 'peer_quota' : 'peer_storage';
    await this.park(item, handler, parkedReason, reason, retryAfterSeconds);
    return 'next';
  }

  /**
   * The peer has no room for this item now: it is parked (the peer's later items go on) until its
   * next try at the park cadence; the handler hears of it once per parking. Past its kind's give-up
   * point it fails instead, saying so.
   */
  private async park(
    item: OutboxItem,
    handler: OutboxHandler,
    reason: ParkReason,
    answer: string,
    retryAfterSeconds?: number,
  ): Promise<void> {
    const attempts = item.attempts + 1;
    const now = new Date();
    const parkedAt = item.parkedAt ?? now;
    if (hasGivenUp(this.config.outbox, this.kinds.optionsOf(item.kind), item, attempts)) {
      const why = reason === 'peer_quota' ? 'over the quota it gives us' : 'out of disk space';
      await this.fail(
        item,
        handler,
        `gave up after ${attempts} attempts: the contact's Portal has had no room for it since ${parkedAt.toISOString()} (${why}): ${answer}`,
        'gave-up',
        attempts,
      );
      return;
    }
    const retryAt = new Date(now.getTime() + parkDelayMs(this.config.outbox, attempts, retryAfterSeconds));
    const first = item.parkedAt === null;
    await this.dataSource.transaction(async (manager) => {
      await manager.update(
        OutboxItem,
        { seq: item.seq },
        {
          status: 'parked',
          attempts,
          lastError: answer.slice(0, 500),
          nextAttemptAt: retryAt,
          parkedAt,
          parkedReason: reason,
          leaseUntil: null,
          leaseOwner: null,
          updatedAt: now,
        },
      );
      if (first)
        await handler.onParked!(manager, { ...item, attempts, lastError: answer, parkedAt, parkedReason: reason }, { reason, retryAt });
    });
    if (first)
      this.logger.warn({ item: item.id, kind: item.kind, peer: item.peerUrl, reason, answer }, 'Outbox item parked: the peer has no room');
    this.backoff.parked(item.peerUrl, retryAt);
    this.events.wake();
  }

  private async fail(
    item: OutboxItem,
    handler: OutboxHandler,
    reason: string,
    cause: OutboxFailure,
    attempts = item.attempts + 1,
  ): Promise<void> {
    this.logger.warn({ item: item.id, kind: item.kind, peer: item.peerUrl, reason }, 'Outbox item failed');
    await this.dataSource.transaction(async (manager) => {
      await manager.update(
        OutboxItem,
        { seq: item.seq },
        {
          status: 'failed',
          attempts,
          lastError: reason.slice(0, 500),
          leaseUntil: null,
          leaseOwner: null,
          updatedAt: new Date(),
        },
      );
      await handler.onFailed(manager, { ...item, attempts, lastError: reason }, reason, cause);
    });
    this.events.wake();
  }

  /** Fails an item no feature can handle (a kind from a newer version, say). */
  private async markFailed(item: OutboxItem, reason: string): Promise<void> {
    await this.dataSource
      .getRepository(OutboxItem)
      .update({ seq: item.seq }, { status: 'failed', lastError: reason, leaseUntil: null, updatedAt: new Date() });
  }
}
