import { In, LessThanOrEqual, type Repository } from 'typeorm';
import type { OutboxItem } from './entities/outbox-item.entity';

/**
 * A parked item is tried again early (the peer called us, or took another item of a parkable kind)
 * no sooner than this after its last try, so a chatty peer without room is not sent the same step
 * on every call.
 */
const PARK_NUDGE_GAP_MS = 10_000;

/** What the parking tells the scheduler. */
export interface ParkingHooks {
  /** This parked item is pending again (its peer's running loop must read again). */
  due(item: Pick<OutboxItem, 'kind' | 'peerUrl'>): void;
  /** Parked items were brought forward: look again now. */
  nudged(): void;
}

/**
 * Items the peer had no room for (status parked; see OutboxHandler.onParked) wait outside the
 * peer's queue, so its later items go on. When an item's next try is due it becomes pending again
 * in its old place: one attempt, which parks it again if the peer still has no room. A peer that
 * shows it may have room has its parked items' next try brought forward.
 */
export class OutboxParking {
  /** Peers with parked items (as this instance last read them), and when the next one is due. */
  private readonly peers = new Set<string>();
  private checkAt = 0;

  constructor(
    private readonly items: Repository<OutboxItem>,
    private readonly idleMs: number,
    private readonly hooks: ParkingHooks,
  ) {}

  /** An item of this peer was parked until retryAt. */
  parked(peerUrl: string, retryAt: Date): void {
    this.peers.add(peerUrl);
    this.checkAt = Math.min(this.checkAt, retryAt.getTime());
  }

  /** Brings the next try of this peer's parked items forward to now, or to PARK_NUDGE_GAP_MS after their last try. */
  async nudge(peerUrl: string): Promise<void> {
    if (!this.peers.has(peerUrl)) return;
    const parked = await this.items.find({
      select: { seq: true, nextAttemptAt: true, updatedAt: true },
      where: { peerUrl, status: 'parked' },
    });
    if (parked.length === 0) {
      this.peers.delete(peerUrl);
      return;
    }
    const now = Date.now();
    let soonest = Infinity;
    for (const item of parked) {
      const at = Math.max(now, item.updatedAt.getTime() + PARK_NUDGE_GAP_MS);
      if (at >= item.nextAttemptAt.getTime()) continue;
      await this.items.update({ seq: item.seq, status: 'parked' }, { nextAttemptAt: new Date(at) });
      soonest = Math.min(soonest, at);
    }
    if (soonest === Infinity) return;
    this.checkAt = Math.min(this.checkAt, soonest);
    this.hooks.nudged();
  }

  /**
   * When it is time, turns the parked items that are due pending again, and learns which peers
   * have parked items and when the next is due (another instance may have parked some). Returns
   * the ms until it should run again (at most idleMs).
   */
  async unparkDue(): Promise<number> {
    if (Date.now() < this.checkAt) return this.checkAt - Date.now();
    const now = new Date();
    const parked = await this.items.find({
      select: { seq: true, kind: true, peerUrl: true, nextAttemptAt: true },
      where: { status: 'parked' },
    });
    const due = parked.filter((item) => item.nextAttemptAt.getTime() <= now.getTime());
    if (due.length > 0) {
      await this.items.update(
        { seq: In(due.map((item) => item.seq)), status: 'parked', nextAttemptAt: LessThanOrEqual(now) },
        { status: 'pending', nextAttemptAt: now },
      );
      for (const item of due) this.hooks.due(item);
    }
    this.peers.clear();
    let next = now.getTime() + this.idleMs;
    for (const item of parked) {
      if (due.includes(item)) continue;
      this.peers.add(item.peerUrl);
      next = Math.min(next, item.nextAttemptAt.getTime());
    }
    this.checkAt = next;
    return Math.max(0, next - Date.now());
  }
}
