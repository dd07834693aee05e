import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { In, IsNull, LessThan, Not, Or, type Repository } from 'typeorm';
import type { PortalConfig } from '../config/portal-config';
import type { OutboxItem } from './entities/outbox-item.entity';

/**
 * Who delivers which item when several instances share one PostgreSQL database: an instance takes a
 * short lease on an item before it calls the peer and renews it while the call runs, so a crashed
 * instance's items are free again within leaseSeconds. On embedded SQLite there is one process, and
 * the worker's one loop per peer is all the exclusion needed: no leases are taken.
 */
export class OutboxLeases {
  /** This instance's name on the leases it takes. */
  readonly instanceId: string;
  readonly singleProcess: boolean;
  /** Items this instance is delivering now (their leases are renewed). */
  private readonly inFlight = new Set<number>();
  /** Set after a database failure: the next good scan frees the leases this instance left behind. */
  private releaseOwn = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: PortalConfig,
    private readonly items: Repository<OutboxItem>,
    singleProcess: boolean,
    private readonly logger: Logger,
  ) {
    this.singleProcess = singleProcess;
    this.instanceId = config.instanceId ?? `${hostname().slice(0, 40)}-${randomUUID().slice(0, 8)}`;
  }

  private get leaseMs(): number {
    return this.config.outbox.leaseSeconds * 1000;
  }

  /**
   * At start: on embedded SQLite this process is the only worker, so leases left by a crash are
   * stale. With several instances, leases carrying this instance's name are from its previous life.
   */
  async releaseStale(): Promise<void> {
    if (this.singleProcess) {
      await this.items.update({ status: 'pending', leaseUntil: Not(IsNull()) }, { leaseUntil: null, leaseOwner: null });
    } else {
      await this.items.update({ status: 'pending', leaseOwner: this.instanceId }, { leaseUntil: null, leaseOwner: null });
    }
  }

  /** Starts renewing the leases of the calls in flight (several instances only). */
  startRenewing(isStopped: () => boolean): void {
    if (this.singleProcess) return;
    this.timer = setInterval(() => void this.renew(isStopped), Math.max(500, this.leaseMs / 3));
    this.timer.unref();
  }

  stopRenewing(): void {
    clearInterval(this.timer);
  }

  async claim(item: OutboxItem): Promise<boolean> {
    // Embedded SQLite has one process: the draining map already keeps each peer to one loop.
    if (this.singleProcess) return true;
    const now = new Date();
    const result = await this.items.update(
      { seq: item.seq, status: 'pending', leaseUntil: Or(IsNull(), LessThan(now)) },
      { leaseUntil: new Date(now.getTime() + this.leaseMs), leaseOwner: this.instanceId },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Claims a run in order; stops at the first item another instance holds. */
  async claimRun(run: OutboxItem[]): Promise<OutboxItem[]> {
    const taken: OutboxItem[] = [];
    for (const item of run) {
      if (!(await this.claim(item))) break;
      taken.push(item);
    }
    return taken;
  }

  /** Gives back leases on items claimed for a batch that did not carry them. */
  async unclaim(items: OutboxItem[]): Promise<void> {
    if (this.singleProcess || items.length === 0) return;
    await this.items.update(
      { seq: In(items.map((item) => item.seq)), status: 'pending', leaseOwner: this.instanceId },
      { leaseUntil: null, leaseOwner: null },
    );
  }

  /** Runs `work` with these items marked in flight (their leases are renewed meanwhile). */
  async inFlightDuring<T>(items: OutboxItem[], work: () => Promise<T>): Promise<T> {
    for (const item of items) this.inFlight.add(item.seq);
    try {
      return await work();
    } finally {
      for (const item of items) this.inFlight.delete(item.seq);
    }
  }

  /** A write failed: leases this instance took may be left on items it no longer delivers. */
  databaseFailed(): void {
    this.releaseOwn = !this.singleProcess;
  }

  /** After a database failure: frees leases this instance holds on items it is not delivering. */
  async freeOwnIdle(): Promise<void> {
    if (!this.releaseOwn) return;
    const busy = [...this.inFlight];
    await this.items.update(
      { status: 'pending', leaseOwner: this.instanceId, ...(busy.length ? { seq: Not(In(busy)) } : {}) },
      { leaseUntil: null, leaseOwner: null },
    );
    this.releaseOwn = false;
  }

  /** Keeps the leases of the calls running now; a lease not renewed (the instance died) lapses within leaseSeconds. */
  private async renew(isStopped: () => boolean): Promise<void> {
    if (isStopped() || this.inFlight.size === 0) return;
    try {
      await this.items.update(
        { seq: In([...this.inFlight]), status: 'pending', leaseOwner: this.instanceId },
        { leaseUntil: new Date(Date.now() + this.leaseMs) },
      );
    } catch (error) {
      // The lease lapses and another instance may deliver the item too: the peer de-duplicates.
      if (!isStopped()) this.logger.warn({ err: error }, 'Could not renew outbox leases');
    }
  }
}
