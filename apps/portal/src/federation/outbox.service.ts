import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource, type EntityManager, type FindOptionsWhere, In, IsNull, LessThan, MoreThan, Not, Or, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { OutboxItem } from './entities/outbox-item.entity';
import { EventsService } from '../events/events.service';
import { BackgroundHealth, backgroundBackoffMs } from '../health/background-health';
import { PeerClient, PeerError, type PeerRequest, type PeerResponse } from './peer-client';

/** What a feature tells the outbox about one kind of item. */
export interface OutboxHandler {
  /** The call to make for this item; null cancels the item (e.g. the contact is gone). */
  buildRequest(item: OutboxItem): Promise<PeerRequest | null>;
  /** The peer accepted (2xx). Runs in the transaction that marks the item delivered. */
  onDelivered(manager: EntityManager, item: OutboxItem, response: PeerResponse): Promise<void>;
  /** The item will never be delivered. Runs in the transaction that marks it failed. */
  onFailed(manager: EntityManager, item: OutboxItem, reason: string): Promise<void>;
  /** A retryable attempt failed (for progress shown to users). Optional. */
  onAttemptFailed?(manager: EntityManager, item: OutboxItem, reason: string): Promise<void>;
}

/**
 * Which worker lane delivers a kind. `contacts`: calls to Portals this one chose to talk to (our
 * contacts, and the requests our owner sends). `strangers`: calls that a request from a Portal no one
 * approved makes us do (verifying a contact request, telling it no). The lanes have their own slots,
 * so no number of strangers can delay a delivery to a contact.
 */
export type OutboxLane = 'contacts' | 'strangers';

/** How the outbox treats one kind; the `strangers` lane's defaults come from PORTAL_OUTBOX_STRANGER_*. */
export interface OutboxKindOptions {
  lane?: OutboxLane;
  /** Total timeout of one attempt (the request's own timeoutMs wins). */
  timeoutMs?: number;
  /** Attempts after which the item fails. */
  maxAttempts?: number;
  /** Age after which a still-failing item fails. */
  giveUpMs?: number;
  /** Consecutive items of this kind to one contact go to the peer together (see OutboxBatcher). */
  batch?: OutboxBatcher;
}

/**
 * How a kind is sent many items per call, as Matrix federation sends transactions: the oldest items
 * of one contact, in order, in one request, retried as a unit; the peer de-duplicates and answers
 * each item on its own. Items of other kinds (file steps) end a batch, so order per peer holds.
 */
export interface OutboxBatcher {
  /** Most items in one call. */
  maxItems: number;
  /**
   * The call for a leading run of `items` (all of this kind and contact, oldest first): `count` says
   * how many it carries (at least one). Null: send these one by one.
   */
  build(items: OutboxItem[]): Promise<{ request: PeerRequest; count: number } | null>;
  /** The peer's answer for each carried item, in order (as if each had been sent alone). */
  split(response: PeerResponse, items: OutboxItem[]): PeerResponse[] | null;
}

export interface OutboxEntry {
  kind: string;
  peerUrl: string;
  contactId?: number | null;
  refId?: string | null;
  payload?: unknown;
}

export interface DeliveryState {
  status: OutboxItem['status'];
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}

const MAX_IDLE_MS = 30_000;
/** The worker's name in /health. */
const OUTBOX_JOB = 'outbox';
/** Probes of failing contacts running at once, and how long one may take. */
const MAX_PROBES = 4;
const PROBE_TIMEOUT_MS = 3000;
/** Items read at once when draining a peer. */
const DRAIN_BATCH = 128;
/** A peer that does not know the batch route (an older version) is sent items singly for this long. */
const NO_BATCH_MS = 10 * 60_000;
/** Stranger-lane loops allowed at once per origin (scheme, host and port) of the peer URL. */
const STRANGER_LOOPS_PER_ORIGIN = 1;

/**
 * The durable outbox and its worker. Items go to each peer oldest first (so per-contact order holds);
 * each peer is drained by its own loop per lane, at most `concurrency` peers at once in the contacts
 * lane and `strangers.concurrency` (one per origin) in the strangers lane, so one dead or slow peer
 * never delays the others and strangers never delay contacts. Failed attempts back off
 * exponentially with jitter.
 */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxService.name);
  private readonly handlers = new Map<string, OutboxHandler>();
  private readonly kindOptions = new Map<string, Required<Pick<OutboxKindOptions, 'lane'>> & OutboxKindOptions>();
  /** Drain loops by lane and peer URL. */
  private readonly draining = new Map<string, { lane: OutboxLane; origin: string; done: Promise<void>; more: boolean }>();
  /** Lane-and-peer keys of items enqueued since the last wake(). */
  private readonly enqueuedFor = new Set<string>();
  /** A scan is already queued for the next turn of the event loop. */
  private scanQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private tickAgain = false;
  private stopped = true;
  private readonly singleProcess: boolean;
  /** Peers whose oldest item waits for a retry: only those need pulling forward in retryNow(). */
  private readonly backingOff = new Set<string>();
  /** After a database failure the worker waits until then (backing off), instead of spinning or exiting. */
  private pausedUntil = 0;
  /** Set after a database failure: the next good scan frees the leases this instance left behind. */
  private releaseOwnLeases = false;
  /** This instance's name on the leases it takes. */
  private readonly instanceId: string;
  /** Items this instance is delivering now (their leases are renewed). */
  private readonly inFlight = new Set<number>();
  private leaseTimer: NodeJS.Timeout | undefined;
  /** When each failing contact was last probed, and the probes running. */
  private readonly probedAt = new Map<string, number>();
  private probing = 0;
  /** Peers that answered a batch with 404/405 (no batch route), until when. */
  private readonly noBatchUntil = new Map<string, number>();

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(OutboxItem) private readonly items: Repository<OutboxItem>,
    private readonly dataSource: DataSource,
    private readonly peers: PeerClient,
    private readonly events: EventsService,
    private readonly health: BackgroundHealth,
  ) {
    this.singleProcess = dataSource.options.type === 'better-sqlite3';
    this.instanceId = config.instanceId ?? `${hostname().slice(0, 40)}-${randomUUID().slice(0, 8)}`;
  }

  registerHandler(kind: string, handler: OutboxHandler, options: OutboxKindOptions = {}): void {
    this.handlers.set(kind, handler);
    const lane = options.lane ?? 'contacts';
    const strangers = this.config.outbox.strangers;
    this.kindOptions.set(
      kind,
      lane === 'strangers'
        ? {
            lane,
            timeoutMs: options.timeoutMs ?? strangers.timeoutMs,
            maxAttempts: options.maxAttempts ?? strangers.maxAttempts,
            giveUpMs: options.giveUpMs ?? strangers.giveUpMinutes * 60_000,
          }
        : { ...options, lane },
    );
  }

  /** Unknown kinds (no handler: they fail at once) belong to the contacts lane. */
  private laneOf(kind: string): OutboxLane {
    return this.kindOptions.get(kind)?.lane ?? 'contacts';
  }

  private strangerKinds(): string[] {
    return [...this.kindOptions].filter(([, options]) => options.lane === 'strangers').map(([kind]) => kind);
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      // On embedded SQLite this process is the only worker: leases left by a crash are stale. With
      // several instances, leases carrying this instance's name are from its previous life.
      if (this.singleProcess) {
        await this.items.update({ status: 'pending', leaseUntil: Not(IsNull()) }, { leaseUntil: null, leaseOwner: null });
      } else {
        await this.items.update({ status: 'pending', leaseOwner: this.instanceId }, { leaseUntil: null, leaseOwner: null });
      }
      const waiting = await this.items
        .createQueryBuilder('o')
        .select('DISTINCT o.peer_url', 'peerUrl')
        .where("o.status = 'pending' AND o.attempts > 0")
        .getRawMany<{ peerUrl: string }>();
      for (const row of waiting) this.backingOff.add(row.peerUrl);
    } catch (error) {
      // A full disk or a lost connection must not stop the Portal from starting: the worker retries.
      this.databaseFailed(error);
    }
    this.stopped = false;
    if (!this.singleProcess) {
      this.leaseTimer = setInterval(() => void this.renewLeases(), Math.max(500, (this.config.outbox.leaseSeconds * 1000) / 3));
      this.leaseTimer.unref();
    }
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.leaseTimer);
    // Calls in flight are cut off (they will be retried after the restart), not waited for.
    this.peers.abortAll();
    await Promise.allSettled([...this.draining.values()].map((loop) => loop.done));
  }

  /** Adds an item inside the caller's transaction. Call wake() after the commit. */
  async enqueue(manager: EntityManager, entry: OutboxEntry): Promise<OutboxItem> {
    const now = new Date();
    const item: OutboxItem = manager.create(OutboxItem, {
      id: randomUUID(),
      kind: entry.kind,
      peerUrl: entry.peerUrl,
      contactId: entry.contactId ?? null,
      refId: entry.refId ?? null,
      payload: JSON.stringify(entry.payload ?? {}),
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      leaseUntil: null,
      leaseOwner: null,
      createdAt: now,
      updatedAt: now,
    });
    const inserted = await manager.insert(OutboxItem, item);
    item.seq = Number(inserted.identifiers[0].seq);
    this.enqueuedFor.add(`${this.laneOf(entry.kind)} ${entry.peerUrl}`);
    return item;
  }

  /** Looks for due items now. */
  wake(): void {
    // Items for peers whose loop runs now are picked up by that loop (it reads again before it
    // ends, and its end schedules a scan): no scan of every peer per enqueued item.
    const fresh = [...this.enqueuedFor];
    this.enqueuedFor.clear();
    if (fresh.length > 0 && fresh.every((key) => this.draining.has(key))) {
      for (const key of fresh) this.draining.get(key)!.more = true;
      return;
    }
    this.schedule(0);
  }

  /** A peer showed it is alive: retry its backlog at once. */
  async retryNow(peerUrl: string): Promise<void> {
    if (!this.backingOff.delete(peerUrl)) return;
    const result = await this.items.update(
      { peerUrl, status: 'pending', nextAttemptAt: MoreThan(new Date()) },
      { nextAttemptAt: new Date() },
    );
    if (result.affected) this.wake();
  }

  async deliveryState(kind: string, refId: string): Promise<DeliveryState | null> {
    const item = await this.items.findOne({ where: { kind, refId }, order: { seq: 'DESC' } });
    if (!item) return null;
    return {
      status: item.status,
      attempts: item.attempts,
      lastError: item.lastError,
      nextAttemptAt: item.status === 'pending' ? item.nextAttemptAt.toISOString() : null,
    };
  }

  /**
   * The delivery state of the newest item of any of these kinds for refId (a transfer made of
   * several steps). Given the caller's transaction, it reads inside it.
   */
  async latestDeliveryState(kinds: string[], refId: string, manager?: EntityManager): Promise<(DeliveryState & { kind: string; peerUrl: string }) | null> {
    const where = { kind: In(kinds), refId };
    const order = { seq: 'DESC' } as const;
    const item = manager ? await manager.findOne(OutboxItem, { where, order }) : await this.items.findOne({ where, order });
    if (!item) return null;
    return {
      kind: item.kind,
      peerUrl: item.peerUrl,
      status: item.status,
      attempts: item.attempts,
      lastError: item.lastError,
      nextAttemptAt: item.status === 'pending' ? item.nextAttemptAt.toISOString() : null,
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (delayMs <= 0) {
      this.timer = undefined;
      if (this.scanQueued) return;
      this.scanQueued = true;
      setImmediate(() => {
        this.scanQueued = false;
        void this.tick();
      });
      return;
    }
    this.timer = setTimeout(() => void this.tick(), Math.min(delayMs, MAX_IDLE_MS));
    this.timer.unref?.();
  }

  /** Starts a drain loop for every peer whose oldest pending item is due. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    const pausedFor = this.pausedUntil - Date.now();
    if (pausedFor > 0) {
      this.schedule(pausedFor);
      return;
    }
    this.ticking = true;
    let nextDelay = MAX_IDLE_MS;
    try {
      const heads = await this.headItems();
      this.health.recovered(OUTBOX_JOB);
      if (this.releaseOwnLeases) await this.freeOwnIdleLeases();
      const now = Date.now();
      for (const head of heads) {
        const lane = this.laneOf(head.kind);
        const key = `${lane} ${head.peerUrl}`;
        if (this.draining.has(key)) continue;
        const dueIn = Math.max(head.nextAttemptAt.getTime(), head.leaseUntil?.getTime() ?? 0) - now;
        if (dueIn > 0) {
          nextDelay = Math.min(nextDelay, dueIn, this.maybeProbe(head, lane, dueIn));
          continue;
        }
        // A full lane or origin is looked at again when one of its loops ends (it schedules a tick).
        const origin = originOf(head.peerUrl);
        if (!this.hasRoom(lane, origin)) continue;
        const done = this.drain(head.peerUrl, lane)
          .catch((error: unknown) => {
            this.databaseFailed(error);
          })
          .finally(() => {
            this.draining.delete(key);
            this.schedule(0);
          });
        this.draining.set(key, { lane, origin, done, more: false });
      }
    } catch (error) {
      nextDelay = this.databaseFailed(error);
    } finally {
      this.ticking = false;
    }
    if (this.tickAgain) {
      this.tickAgain = false;
      this.schedule(0);
    } else {
      this.schedule(nextDelay);
    }
  }

  /**
   * The database failed under the worker (a lost PostgreSQL connection, SQLITE_FULL at a commit):
   * logs it, reports /health degraded and pauses the worker with a growing back-off. Nothing is lost:
   * an item whose outcome could not be written is still pending and is tried again (the peer
   * de-duplicates). Returns the pause in ms.
   */
  private databaseFailed(error: unknown): number {
    if (this.stopped) return 0;
    const failures = this.health.failed(OUTBOX_JOB, error);
    const pause = backgroundBackoffMs(failures);
    this.pausedUntil = Date.now() + pause;
    this.releaseOwnLeases = !this.singleProcess;
    this.logger.error({ err: error, failures, retryInMs: pause }, 'Outbox worker: database failed; retrying');
    return pause;
  }

  /** Frees leases this instance holds on items it is not delivering (left by a failed write). */
  private async freeOwnIdleLeases(): Promise<void> {
    const busy = [...this.inFlight];
    await this.items.update(
      { status: 'pending', leaseOwner: this.instanceId, ...(busy.length ? { seq: Not(In(busy)) } : {}) },
      { leaseUntil: null, leaseOwner: null },
    );
    this.releaseOwnLeases = false;
  }

  /** Keeps the leases of the calls running now; a lease not renewed (the instance died) lapses within leaseSeconds. */
  private async renewLeases(): Promise<void> {
    if (this.stopped || this.inFlight.size === 0) return;
    try {
      await this.items.update(
        { seq: In([...this.inFlight]), status: 'pending', leaseOwner: this.instanceId },
        { leaseUntil: new Date(Date.now() + this.config.outbox.leaseSeconds * 1000) },
      );
    } catch (error) {
      // The lease lapses and another instance may deliver the item too: the peer de-duplicates.
      if (!this.stopped) this.logger.warn({ err: error }, 'Could not renew outbox leases');
    }
  }

  /**
   * A contact whose head item waits longer than probeSeconds has been failing for a while: rather
   * than wait out the back-off, ask it something cheap every probeSeconds, and when it answers, retry
   * its queue at once. Strangers are never probed (they must not make this Portal call them more).
   * Returns when the scan should look again.
   */
  private maybeProbe(head: OutboxItem, lane: OutboxLane, dueIn: number): number {
    const period = this.config.outbox.probeSeconds * 1000;
    if (lane !== 'contacts' || dueIn <= period || !this.backingOff.has(head.peerUrl)) return MAX_IDLE_MS;
    const last = this.probedAt.get(head.peerUrl) ?? head.updatedAt.getTime();
    const dueProbe = last + period - Date.now();
    if (dueProbe > 0) return dueProbe;
    if (this.probing >= MAX_PROBES) return 1000;
    this.probedAt.set(head.peerUrl, Date.now());
    this.probing += 1;
    void this.peers
      .send({ portalUrl: head.peerUrl, method: 'GET', path: '/.well-known/agent-p2p', timeoutMs: PROBE_TIMEOUT_MS })
      .then((response) => (response.status >= 200 && response.status < 300 ? this.retryNow(head.peerUrl) : undefined))
      .catch(() => undefined)
      .finally(() => {
        this.probing -= 1;
      });
    return period;
  }

  private hasRoom(lane: OutboxLane, origin: string): boolean {
    const loops = [...this.draining.values()].filter((loop) => loop.lane === lane);
    if (lane === 'contacts') return loops.length < this.config.outbox.concurrency;
    if (loops.length >= this.config.outbox.strangers.concurrency) return false;
    return loops.filter((loop) => loop.origin === origin).length < STRANGER_LOOPS_PER_ORIGIN;
  }

  /** The oldest pending item of every peer in every lane, oldest first. */
  private async headItems(): Promise<OutboxItem[]> {
    const heads = this.items
      .createQueryBuilder('h')
      .select('MIN(h.seq)')
      .where('h.status = :pending')
      .groupBy('h.peer_url')
      .addGroupBy('h.kind');
    const perKind = await this.items
      .createQueryBuilder('o')
      .where(`o.seq IN (${heads.getQuery()})`)
      .setParameter('pending', 'pending')
      .orderBy('o.seq', 'ASC')
      .getMany();
    const seen = new Set<string>();
    return perKind.filter((item) => {
      const key = `${this.laneOf(item.kind)} ${item.peerUrl}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** Delivers one peer's items of one lane in order until there are none left or it must wait. */
  private async drain(peerUrl: string, lane: OutboxLane): Promise<void> {
    const strangerKinds = this.strangerKinds();
    const where: FindOptionsWhere<OutboxItem> = { peerUrl, status: 'pending' };
    if (lane === 'strangers') where.kind = In(strangerKinds);
    else if (strangerKinds.length > 0) where.kind = Not(In(strangerKinds));
    while (!this.stopped) {
      const items = await this.items.find({ where, order: { seq: 'ASC' }, take: DRAIN_BATCH });
      for (let index = 0; index < items.length; ) {
        const item = items[index];
        if (this.stopped || item.nextAttemptAt.getTime() > Date.now()) return;
        const group = this.batchableRun(items, index);
        if (group.length > 1) {
          const taken = await this.claimRun(group);
          if (taken.length === 0) return;
          const { outcome, sent } = await this.inFlightDuring(taken, () => this.attemptBatch(taken));
          index += sent;
          if (outcome === 'wait') return;
          continue;
        }
        if (!(await this.claim(item))) return;
        const outcome = await this.inFlightDuring([item], () => this.attempt(item));
        index += 1;
        if (outcome === 'wait') return;
      }
      // A short page means the queue is empty, unless items were enqueued meanwhile (wake() said so).
      const loop = this.draining.get(`${lane} ${peerUrl}`);
      if (items.length < DRAIN_BATCH && !loop?.more) return;
      if (loop) loop.more = false;
    }
  }

  /** Runs `work` with these items marked in flight (their leases are renewed meanwhile). */
  private async inFlightDuring<T>(items: OutboxItem[], work: () => Promise<T>): Promise<T> {
    for (const item of items) this.inFlight.add(item.seq);
    try {
      return await work();
    } finally {
      for (const item of items) this.inFlight.delete(item.seq);
    }
  }

  /** The due items from `start` on that can go in one batch: same kind (with a batcher) and contact. */
  private batchableRun(items: OutboxItem[], start: number): OutboxItem[] {
    const head = items[start];
    const batcher = this.kindOptions.get(head.kind)?.batch;
    if (!batcher || (this.noBatchUntil.get(head.peerUrl) ?? 0) > Date.now()) return [head];
    const run = [head];
    const now = Date.now();
    for (let next = start + 1; next < items.length && run.length < batcher.maxItems; next += 1) {
      const item = items[next];
      if (item.kind !== head.kind || item.contactId !== head.contactId || item.nextAttemptAt.getTime() > now) break;
      run.push(item);
    }
    return run;
  }

  /** Claims a run in order; stops at the first item another instance holds. */
  private async claimRun(run: OutboxItem[]): Promise<OutboxItem[]> {
    const taken: OutboxItem[] = [];
    for (const item of run) {
      if (!(await this.claim(item))) break;
      taken.push(item);
    }
    return taken;
  }

  /** Gives back leases on items claimed for a batch that did not carry them. */
  private async unclaim(items: OutboxItem[]): Promise<void> {
    if (this.singleProcess || items.length === 0) return;
    await this.items.update({ seq: In(items.map((item) => item.seq)), status: 'pending', leaseOwner: this.instanceId }, { leaseUntil: null, leaseOwner: null });
  }

  /**
   * Sends a run of items as one call. Delivered items are marked in one transaction; a retryable
   * failure of the call retries them as a unit; anything the batch route cannot take (an older peer,
   * a body too large) falls back to single calls, which give each item its exact outcome.
   */
  private async attemptBatch(run: OutboxItem[]): Promise<{ outcome: 'next' | 'wait'; sent: number }> {
    const handler = this.handlers.get(run[0].kind)!;
    const batcher = this.kindOptions.get(run[0].kind)!.batch!;
    let built: { request: PeerRequest; count: number } | null;
    try {
      built = await batcher.build(run);
    } catch (error) {
      this.logger.error({ err: error, item: run[0].id }, 'Could not prepare an outbox batch');
      built = null;
    }
    if (!built) {
      await this.unclaim(run.slice(1));
      return { outcome: await this.attempt(run[0]), sent: 1 };
    }
    const carried = run.slice(0, Math.max(1, Math.min(built.count, run.length)));
    await this.unclaim(run.slice(carried.length));
    let response: PeerResponse;
    try {
      response = await this.peers.send(built.request);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PeerError && !error.retryable) return this.sendSingly(carried);
      return { outcome: await this.retryRunLater(carried, handler, reason), sent: carried.length };
    }
    if ([408, 425, 429].includes(response.status) || response.status >= 500) {
      const reason = `${response.status} ${describeBody(response.body)}`;
      return { outcome: await this.retryRunLater(carried, handler, reason, response.retryAfterSeconds), sent: carried.length };
    }
    if (response.status === 404 || response.status === 405) this.noBatchUntil.set(run[0].peerUrl, Date.now() + NO_BATCH_MS);
    const answers = response.status >= 200 && response.status < 300 ? batcher.split(response, carried) : null;
    if (!answers || answers.length !== carried.length) return this.sendSingly(carried);

    const delivered = carried.filter((_, i) => answers[i].status >= 200 && answers[i].status < 300);
    if (delivered.length > 0) {
      await this.dataSource.transaction(async (manager) => {
        const now = new Date();
        for (const [i, item] of carried.entries()) {
          if (!delivered.includes(item)) continue;
          await manager.update(OutboxItem, { seq: item.seq }, { status: 'delivered', attempts: item.attempts + 1, leaseUntil: null, leaseOwner: null, lastError: null, updatedAt: now });
          await handler.onDelivered(manager, item, answers[i]);
        }
      });
      this.events.wake();
      if (this.backingOff.has(run[0].peerUrl)) void this.retryNow(run[0].peerUrl).catch(() => undefined);
    }
    for (const [i, item] of carried.entries()) {
      const answer = answers[i];
      if (answer.status >= 200 && answer.status < 300) continue;
      const reason = `${answer.status} ${describeBody(answer.body)}`;
      if ([408, 425, 429].includes(answer.status) || answer.status >= 500) await this.retryLater(item, handler, reason, answer.retryAfterSeconds);
      else await this.fail(item, handler, reason);
    }
    return { outcome: 'next', sent: carried.length };
  }

  /** Sends these items one call each, in order (the single path decides each outcome). */
  private async sendSingly(items: OutboxItem[]): Promise<{ outcome: 'next' | 'wait'; sent: number }> {
    for (const [i, item] of items.entries()) {
      if ((await this.attempt(item)) === 'wait') {
        await this.unclaim(items.slice(i + 1));
        return { outcome: 'wait', sent: items.length };
      }
    }
    return { outcome: 'next', sent: items.length };
  }

  private async claim(item: OutboxItem): Promise<boolean> {
    // Embedded SQLite has one process: the draining map already keeps each peer to one loop.
    if (this.singleProcess) return true;
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.config.outbox.leaseSeconds * 1000);
    const result = await this.items.update(
      { seq: item.seq, status: 'pending', leaseUntil: Or(IsNull(), LessThan(now)) },
      { leaseUntil, leaseOwner: this.instanceId },
    );
    return (result.affected ?? 0) > 0;
  }

  private async attempt(item: OutboxItem): Promise<'next' | 'wait'> {
    const handler = this.handlers.get(item.kind);
    if (!handler) {
      await this.markFailed(item, `no handler for ${item.kind}`);
      return 'next';
    }
    let request: PeerRequest | null;
    try {
      request = await handler.buildRequest(item);
    } catch (error) {
      this.logger.error({ err: error, item: item.id }, 'Could not prepare an outbox item');
      return this.retryLater(item, handler, 'internal error preparing the request');
    }
    if (!request) {
      await this.fail(item, handler, 'no longer deliverable: the contact or request changed');
      return 'next';
    }
    const options = this.kindOptions.get(item.kind);
    if (request.timeoutMs === undefined && options?.timeoutMs !== undefined) request = { ...request, timeoutMs: options.timeoutMs };
    let response: PeerResponse;
    try {
      response = await this.peers.send(request);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PeerError && !error.retryable) {
        await this.fail(item, handler, reason);
        return 'next';
      }
      return this.retryLater(item, handler, reason);
    }
    if (response.status >= 200 && response.status < 300) {
      await this.dataSource.transaction(async (manager) => {
        await manager.update(OutboxItem, { seq: item.seq }, {
          status: 'delivered',
          attempts: item.attempts + 1,
          leaseUntil: null,
          leaseOwner: null,
          lastError: null,
          updatedAt: new Date(),
        });
        await handler.onDelivered(manager, item, response);
      });
      this.events.wake();
      // The peer is evidently up: whatever else waits for it (another lane, a back-off) goes now.
      if (this.backingOff.has(item.peerUrl)) void this.retryNow(item.peerUrl).catch(() => undefined);
      return 'next';
    }
    const reason = `${response.status} ${describeBody(response.body)}`;
    if ([408, 425, 429].includes(response.status) || response.status >= 500) {
      return this.retryLater(item, handler, reason, response.retryAfterSeconds);
    }
    await this.fail(item, handler, reason);
    return 'next';
  }

  private async retryLater(item: OutboxItem, handler: OutboxHandler, reason: string, retryAfterSeconds?: number): Promise<'wait'> {
    return this.retryRunLater([item], handler, reason, retryAfterSeconds);
  }

  /**
   * A failed attempt of these items (one item, or a batch retried as a unit): each that is past its
   * give-up point fails; the others wait the same back-off, drawn from the first one's attempts.
   */
  private async retryRunLater(items: OutboxItem[], handler: OutboxHandler, reason: string, retryAfterSeconds?: number): Promise<'wait'> {
    const options = this.kindOptions.get(items[0].kind);
    const giveUpMs = options?.giveUpMs ?? this.config.outbox.giveUpDays * 86_400_000;
    const waiting: OutboxItem[] = [];
    for (const item of items) {
      const attempts = item.attempts + 1;
      if (Date.now() >= item.createdAt.getTime() + giveUpMs || attempts >= (options?.maxAttempts ?? Infinity)) {
        await this.fail(item, handler, `gave up after ${attempts} attempts: ${reason}`, attempts);
      } else {
        waiting.push(item);
      }
    }
    if (waiting.length === 0) return 'wait';
    const { retryBaseMs, retryMaxSeconds } = this.config.outbox;
    const exponential = Math.min(retryMaxSeconds * 1000, retryBaseMs * 2 ** Math.min(waiting[0].attempts, 30));
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    const delay = Math.min(retryMaxSeconds * 1000, Math.max(jittered, (retryAfterSeconds ?? 0) * 1000));
    this.backingOff.add(waiting[0].peerUrl);
    await this.dataSource.transaction(async (manager) => {
      const nextAttemptAt = new Date(Date.now() + delay);
      for (const item of waiting) {
        const attempts = item.attempts + 1;
        await manager.update(OutboxItem, { seq: item.seq }, {
          attempts,
          lastError: reason.slice(0, 500),
          nextAttemptAt,
          leaseUntil: null,
          leaseOwner: null,
          updatedAt: new Date(),
        });
        await handler.onAttemptFailed?.(manager, { ...item, attempts, lastError: reason }, reason);
      }
    });
    this.events.wake();
    return 'wait';
  }

  private async fail(item: OutboxItem, handler: OutboxHandler, reason: string, attempts = item.attempts + 1): Promise<void> {
    this.logger.warn({ item: item.id, kind: item.kind, peer: item.peerUrl, reason }, 'Outbox item failed');
    await this.dataSource.transaction(async (manager) => {
      await manager.update(OutboxItem, { seq: item.seq }, {
        status: 'failed',
        attempts,
        lastError: reason.slice(0, 500),
        leaseUntil: null,
        leaseOwner: null,
        updatedAt: new Date(),
      });
      await handler.onFailed(manager, { ...item, attempts, lastError: reason }, reason);
    });
    this.events.wake();
  }

  /** Fails an item no feature can handle (a kind from a newer version, say). */
  private async markFailed(item: OutboxItem, reason: string): Promise<void> {
    await this.items.update({ seq: item.seq }, { status: 'failed', lastError: reason, leaseUntil: null, updatedAt: new Date() });
  }
}

function originOf(peerUrl: string): string {
  try {
    return new URL(peerUrl).origin;
  } catch {
    return peerUrl;
  }
}

function describeBody(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return String((body as { message: string }).message).slice(0, 300);
  }
  return typeof body === 'string' ? body.slice(0, 300) : '';
}
