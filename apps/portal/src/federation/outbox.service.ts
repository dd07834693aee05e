import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, MoreThan, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { RawSql } from '../database/raw-sql';
import { EventsService } from '../events/events.service';
import { BackgroundHealth, backgroundBackoffMs } from '../health/background-health.service';
import { OutboxItem } from './entities/outbox-item.entity';
import { OutboxDelivery, type PeerBackoff } from './outbox-delivery';
import { OutboxKinds } from './outbox-kinds';
import { OutboxLeases } from './outbox-leases';
import { OutboxParking } from './outbox-parking';
import { OutboxProbes } from './outbox-probes';
import { OutboxStore } from './outbox-store';
import type { DeliveryState, OutboxEntry, OutboxHandler, OutboxKindOptions, OutboxLane, SignatureAnswerListener } from './outbox-types';
import { PeerClient } from './peer-client';

// What the features that use the outbox work with: the types they implement and the items they get.
export type {
  DeliveryState,
  OutboxBatcher,
  OutboxEntry,
  OutboxFailure,
  OutboxHandler,
  OutboxKindOptions,
  OutboxLane,
  Parking,
} from './outbox-types';
export type { ParkReason } from './outbox-retry-policy';
export { describeAnswer, isRetryableStatus } from './outbox-retry-policy';
export { DeliveryRefused } from './outbox-types';
export { PeerClient, PeerError } from './peer-client';
export type { OutboxItem } from './entities/outbox-item.entity';
export type { PeerRequest, PeerResponse } from './peer-client';

const MAX_IDLE_MS = 30_000;
/** The worker's name in /health. */
const OUTBOX_JOB = 'outbox';
/** Items read at once when draining a peer. */
const DRAIN_BATCH = 128;
/** Stranger-lane loops allowed at once per origin (scheme, host and port) of the peer URL. */
const STRANGER_LOOPS_PER_ORIGIN = 1;

/** A peer's drain loop in one lane; `more`: items were enqueued for it since its last read. */
interface DrainLoop {
  lane: OutboxLane;
  origin: string;
  done: Promise<void>;
  more: boolean;
}

/**
 * The durable outbox and its worker. Items go to each peer oldest first (so per-contact order holds);
 * each peer is drained by its own loop per lane, at most `concurrency` peers at once in the contacts
 * lane and `strangers.concurrency` (one per origin) in the strangers lane, so one dead or slow peer
 * never delays the others and strangers never delay contacts. Failed attempts back off
 * exponentially with jitter (outbox-retry-policy.ts); one attempt is OutboxDelivery's job, the
 * leases several instances share a database by are OutboxLeases'.
 */
@Injectable()
export class OutboxService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxService.name);
  private readonly kinds: OutboxKinds;
  private readonly leases: OutboxLeases;
  private readonly delivery: OutboxDelivery;
  private readonly probes: OutboxProbes;
  private readonly parking: OutboxParking;
  /** Drain loops by lane and peer URL. */
  private readonly draining = new Map<string, DrainLoop>();
  /** Lane-and-peer keys of items enqueued since the last wake(). */
  private readonly enqueuedFor = new Set<string>();
  /** A scan is already queued for the next turn of the event loop. */
  private scanQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private tickAgain = false;
  private stopped = true;
  /** Peers whose oldest item waits for a retry: only those need pulling forward in retryNow(). */
  private readonly backingOff = new Set<string>();
  /** After a database failure the worker waits until then (backing off), instead of spinning or exiting. */
  private pausedUntil = 0;
  /** A scan found a due peer with no room in its lane: the next loop to end scans again. */
  private roomWanted = false;
  private readonly store: OutboxStore;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(OutboxItem) private readonly items: Repository<OutboxItem>,
    dataSource: DataSource,
    private readonly peers: PeerClient,
    events: EventsService,
    private readonly health: BackgroundHealth,
  ) {
    const backoff: PeerBackoff = {
      backingOff: this.backingOff,
      retryNow: (peerUrl) => this.retryNow(peerUrl),
      parked: (peerUrl, retryAt) => this.parking.parked(peerUrl, retryAt),
      hasRoom: (peerUrl) => void this.parking.nudge(peerUrl).catch(() => undefined),
    };
    this.kinds = new OutboxKinds(config.outbox);
    this.store = new OutboxStore(items, new RawSql(dataSource), this.kinds);
    this.leases = new OutboxLeases(config, items, dataSource.options.type === 'better-sqlite3', this.logger);
    this.delivery = new OutboxDelivery(config, dataSource, peers, events, this.kinds, this.leases, backoff, this.logger);
    this.probes = new OutboxProbes(config.outbox.probeSeconds, peers, backoff);
    this.parking = new OutboxParking(items, MAX_IDLE_MS, {
      due: (item) => {
        const loop = this.draining.get(`${this.kinds.laneOf(item.kind)} ${item.peerUrl}`);
        if (loop) loop.more = true;
      },
      nudged: () => this.schedule(0),
    });
  }

  registerHandler(kind: string, handler: OutboxHandler, options: OutboxKindOptions = {}): void {
    this.kinds.register(kind, handler, options);
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.leases.releaseStale();
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
    this.leases.startRenewing(() => this.stopped);
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.leases.stopRenewing();
    // Calls in flight are cut off (they will be retried after the restart), not waited for.
    this.peers.abortAll();
    await Promise.allSettled([...this.draining.values()].map((loop) => loop.done));
  }

  /**
   * Adds an item inside the caller's transaction. Call wake() after the commit. Plain SQL (see
   * RawSql): every message and receipt passes here.
   */
  async enqueue(manager: EntityManager, entry: OutboxEntry): Promise<{ id: string; seq: number }> {
    return (await this.enqueueMany(manager, [entry]))[0];
  }

  /** Adds several items, in order, with one statement per hundred (enqueue() for one). */
  async enqueueMany(manager: EntityManager, entries: OutboxEntry[]): Promise<Array<{ id: string; seq: number }>> {
    const added = await this.store.insert(manager, entries);
    for (const entry of entries) this.enqueuedFor.add(`${this.kinds.laneOf(entry.kind)} ${entry.peerUrl}`);
    return added;
  }

  /** Looks for due items now: a scan of every peer when nothing was enqueued (a retry pulled forward, say). */
  wake(): void {
    if (!this.startEnqueued()) this.schedule(0);
  }

  /**
   * Hands enqueued items to their peer's running loop (it reads again before it ends), or starts one
   * at once: no scan per enqueued item. False when nothing was enqueued or a peer must wait for a scan.
   */
  private startEnqueued(): boolean {
    const fresh = [...this.enqueuedFor];
    this.enqueuedFor.clear();
    let started = fresh.length > 0;
    for (const key of fresh) {
      const loop = this.draining.get(key);
      if (loop) {
        loop.more = true;
        continue;
      }
      const space = key.indexOf(' ');
      if (!this.startDrainNow(key.slice(space + 1), key.slice(0, space) as OutboxLane)) started = false;
    }
    return started;
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

  /** Registers who is told when a peer refuses (or again accepts) our signed calls. */
  onSignatureAnswer(listener: SignatureAnswerListener): void {
    this.delivery.signatureListener = listener;
  }

  /** The peer called us: it is up (its backlog goes now), and it may have room for what is parked (tried again soon). */
  async peerCalled(peerUrl: string): Promise<void> {
    await Promise.all([this.retryNow(peerUrl), this.parking.nudge(peerUrl)]);
  }

  deliveryState(kind: string, refId: string): Promise<DeliveryState | null> {
    return this.store.deliveryState(kind, refId);
  }

  /**
   * The delivery state of the newest item of any of these kinds for refId (a transfer made of
   * several steps). Given the caller's transaction, it reads inside it.
   */
  latestDeliveryState(
    kinds: string[],
    refId: string,
    manager?: EntityManager,
  ): Promise<(DeliveryState & { kind: string; peerUrl: string }) | null> {
    return this.store.latestDeliveryState(kinds, refId, manager);
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
      nextDelay = Math.min(nextDelay, await this.parking.unparkDue());
      const heads = await this.store.headItems();
      this.health.recovered(OUTBOX_JOB);
      await this.leases.freeOwnIdle();
      const now = Date.now();
      for (const head of heads) {
        const lane = this.kinds.laneOf(head.kind);
        const key = `${lane} ${head.peerUrl}`;
        const running = this.draining.get(key);
        if (running) {
          // Its loop may have read before this item committed: it reads again before it ends.
          running.more = true;
          continue;
        }
        const dueIn = Math.max(head.nextAttemptAt.getTime(), head.leaseUntil?.getTime() ?? 0) - now;
        if (dueIn > 0) {
          nextDelay = Math.min(nextDelay, dueIn, this.probes.maybeProbe(head, lane, dueIn, MAX_IDLE_MS));
          continue;
        }
        // A full lane or origin is looked at again when one of its loops ends (it schedules a tick).
        const origin = originOf(head.peerUrl);
        if (!this.hasRoom(lane, origin)) {
          this.roomWanted = true;
          continue;
        }
        this.startDrain(head.peerUrl, lane, origin);
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
    this.leases.databaseFailed();
    this.logger.error({ err: error, failures, retryInMs: pause }, 'Outbox worker: database failed; retrying');
    return pause;
  }

  /** Starts a drain loop for this peer when nothing stands in the way (see wake()); false when a scan should decide. */
  private startDrainNow(peerUrl: string, lane: OutboxLane): boolean {
    if (this.stopped || this.pausedUntil > Date.now() || this.backingOff.has(peerUrl)) return false;
    const origin = originOf(peerUrl);
    if (!this.hasRoom(lane, origin)) return false;
    this.startDrain(peerUrl, lane, origin);
    return true;
  }

  private startDrain(peerUrl: string, lane: OutboxLane, origin: string): void {
    const key = `${lane} ${peerUrl}`;
    const loop: DrainLoop = { lane, origin, done: Promise.resolve(), more: false };
    loop.done = this.drain(peerUrl, lane)
      .catch((error: unknown): 'wait' => {
        this.databaseFailed(error);
        return 'wait';
      })
      .then((ended) => {
        this.draining.delete(key);
        // An emptied queue needs no scan, unless items came after its last read, or another peer
        // waits for room in a lane. A loop that stopped for a retry later (or another instance's
        // lease) leaves it to the scan to time.
        if (ended !== 'empty' || loop.more || this.roomWanted) {
          this.roomWanted = false;
          this.schedule(0);
        }
      });
    this.draining.set(key, loop);
  }

  /** An outcome's transaction may have enqueued items (a file's next step): committed now, they go. */
  private afterAttempt(): void {
    if (this.enqueuedFor.size > 0 && !this.startEnqueued()) this.schedule(0);
  }

  private hasRoom(lane: OutboxLane, origin: string): boolean {
    const loops = [...this.draining.values()].filter((loop) => loop.lane === lane);
    if (lane === 'contacts') return loops.length < this.config.outbox.concurrency;
    if (loops.length >= this.config.outbox.strangers.concurrency) return false;
    return loops.filter((loop) => loop.origin === origin).length < STRANGER_LOOPS_PER_ORIGIN;
  }

  /**
   * Delivers one peer's items of one lane in order until there are none left ('empty') or it must
   * wait ('wait': a retry later, another instance's lease, or the worker stopping).
   */
  private async drain(peerUrl: string, lane: OutboxLane): Promise<'empty' | 'wait'> {
    while (!this.stopped) {
      const items = await this.store.pendingOf(peerUrl, lane, DRAIN_BATCH);
      for (let index = 0; index < items.length;) {
        const item = items[index];
        if (this.stopped || item.nextAttemptAt.getTime() > Date.now()) return 'wait';
        const group = this.delivery.batchableRun(items, index);
        if (group.length > 1) {
          const taken = await this.leases.claimRun(group);
          if (taken.length === 0) return 'wait';
          const { outcome, sent } = await this.leases.inFlightDuring(taken, () => this.delivery.attemptBatch(taken));
          this.afterAttempt();
          index += sent;
          if (outcome === 'wait') return 'wait';
          continue;
        }
        if (!(await this.leases.claim(item))) return 'wait';
        const outcome = await this.leases.inFlightDuring([item], () => this.delivery.attempt(item));
        this.afterAttempt();
        index += 1;
        if (outcome === 'wait') return 'wait';
      }
      // A short page means the queue is empty, unless items were enqueued meanwhile (wake() said so).
      const loop = this.draining.get(`${lane} ${peerUrl}`);
      if (items.length < DRAIN_BATCH && !loop?.more) return 'empty';
      if (loop) loop.more = false;
    }
    return 'wait';
  }
}

function originOf(peerUrl: string): string {
  try {
    return new URL(peerUrl).origin;
  } catch {
    return peerUrl;
  }
}
