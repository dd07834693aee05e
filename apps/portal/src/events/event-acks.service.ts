import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { KeysService } from '../auth/keys.service';

/** Shortest time between the starts of two writes of event acks (how long a confirmation may wait). */
const ACK_LINGER_MS = 25;
/** How long after a failed write of event acks it is tried again. */
const ACK_RETRY_MS = 1000;
/** Owner keys whose last cursor this instance remembers (there are few keys; a bound all the same). */
const KNOWN_MAX = 10_000;

/**
 * The acked cursor of each owner key: the highest event seq the key's consumer confirmed. It is
 * stored with the key (KeysService), and written in groups: acks that arrive while a write runs
 * share the next one.
 */
@Injectable()
export class EventAcksService implements OnModuleDestroy {
  private readonly pendingAcks = new Map<string, number>();
  /** The cursor of each key as this instance last read or wrote it. */
  private readonly known = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | null = null;
  /** The write of acks running now, and the one that waits to start after it. */
  private writing: Promise<void> | null = null;
  private nextWrite: Promise<void> | null = null;
  private lastWriteAt = 0;
  private closing = false;
  private readonly logger = new Logger(EventAcksService.name);

  constructor(private readonly keys: KeysService) {}

  /** The highest event seq acknowledged with this key (0 when none, or when the key is unknown). */
  async ackedSeq(id: string): Promise<number> {
    const pending = this.pendingAcks.get(id);
    const stored = await this.keys.storedAckedSeq(id);
    this.remember(id, stored);
    return Math.max(stored, pending ?? 0);
  }

  private remember(id: string, seq: number): void {
    if (this.known.size >= KNOWN_MAX && !this.known.has(id)) this.known.clear();
    this.known.set(id, Math.max(seq, this.known.get(id) ?? 0));
  }

  /**
   * Raises the key's acked cursor to `seq` unless it is already there or beyond (a cursor never
   * moves back, so late or repeated acks are harmless). Returns the cursor after the ack, once it is
   * written: a consumer told its ack is confirmed may reconnect to any instance and never gets the
   * acked events again. Acks that arrive while a write runs share the next write (group commit), so
   * a Bridge acking every event costs one write per batch, not one per event.
   */
  async ackEvents(id: string, seq: number): Promise<number> {
    return (await this.ackRange(id, seq)).after;
  }

  /**
   * ackEvents, also saying where the cursor was before (for the features told of newly acked
   * events). The cursor this instance last read or wrote stands in for a database read: cursors
   * only move forward, and the write itself never lowers one, so an older value only makes the
   * newly acked range start a little early.
   */
  async ackRange(id: string, seq: number): Promise<{ before: number; after: number }> {
    const pending = this.pendingAcks.get(id);
    const current = pending ?? this.known.get(id) ?? (await this.ackedSeq(id));
    if (seq <= current && pending === undefined) return { before: current, after: current };
    if (seq > current) this.pendingAcks.set(id, Math.max(seq, this.pendingAcks.get(id) ?? 0));
    await this.writeAcks();
    return { before: current, after: Math.max(current, seq) };
  }

  /** Writes the pending acks now (and waits for a write already running). */
  async flushAcks(): Promise<void> {
    if (this.pendingAcks.size > 0 || this.writing) await this.writeAcks();
  }

  /**
   * Resolves once every ack pending at the call is written. One write runs at a time; acks that
   * arrive meanwhile wait for the next one, which starts as soon as the running one ends.
   */
  private writeAcks(): Promise<void> {
    if (this.nextWrite) return this.nextWrite;
    const previous = this.writing ?? Promise.resolve();
    const next: Promise<void> = previous
      .catch(() => undefined)
      // Writes start at most every ACK_LINGER_MS: a consumer acking every event gets a few writes
      // a second, each covering every ack that arrived meanwhile, not one write per ack.
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, this.lastWriteAt + ACK_LINGER_MS - Date.now()))))
      .then(async () => {
        this.nextWrite = null;
        this.writing = next;
        this.lastWriteAt = Date.now();
        try {
          for (const [id, seq] of [...this.pendingAcks]) {
            await this.keys.storeAckedSeq(id, seq);
            this.remember(id, seq);
            if (this.pendingAcks.get(id) === seq) this.pendingAcks.delete(id);
          }
        } catch (error) {
          // The acks stay pending (and readable from memory); the next ack or the retry writes them.
          this.scheduleRetry();
          throw error;
        } finally {
          if (this.writing === next) this.writing = null;
        }
      });
    this.nextWrite = next;
    return next;
  }

  /** After a failed write, tries again later; once shutting down, no timer outlives the database. */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.pendingAcks.size === 0) return;
      void this.writeAcks().catch((error: unknown) => this.logger.warn({ err: error }, 'Could not save event acks; will retry'));
    }, ACK_RETRY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.flushAcks();
  }
}
