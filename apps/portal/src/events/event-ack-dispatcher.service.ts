import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { KeysService } from '../auth/keys.service';
import { backgroundBackoffMs, BackgroundHealth } from '../health/background-health.service';
import { EventAckHooks } from './event-ack-hooks.service';

/** Acks arriving within this long are handed to the hooks as one range per key. */
const GATHER_MS = 200;
/** The /health name of this job. */
const JOB = 'ack-hooks';

/**
 * Hands acked events to the features that act on them (EventAckHooks: the seen receipts), durably.
 *
 * An ack is confirmed to its consumer without waiting for them: a consumer acking every event one
 * by one would otherwise make each ack wait for their queries. The keys acked within GATHER_MS are
 * handled together, in the background. Each key stores how far the hooks have run
 * (`owner_keys.ack_hooks_seq`, next to `acked_seq`), and that cursor moves only after every hook
 * succeeded on the range. So a failing database is retried with backoff (and shown on /health as
 * `ack-hooks`), and acks whose hooks had not run when the Portal stopped run after its next start:
 * a seen receipt is never lost. A range may run twice (a retry, two instances); the hooks are
 * idempotent.
 */
@Injectable()
export class EventAckDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventAckDispatcher.name);
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private failures = 0;
  private closing = false;
  /** Whether every key's cursors must be read (at start, until that read succeeds). */
  private scanNeeded = false;

  constructor(
    private readonly hooks: EventAckHooks,
    private readonly keys: KeysService,
    private readonly health: BackgroundHealth,
  ) {}

  /** Acks that no hook ran for before the last stop (or on another instance that stopped): run them now. */
  onApplicationBootstrap(): void {
    if (!this.hooks.listening) return;
    this.scanNeeded = true;
    this.schedule(0);
  }

  /** Called once a key's acks are written; its hooks run shortly after, in the background. */
  acked(keyId: string): void {
    if (!this.hooks.listening || this.closing) return;
    this.pending.add(keyId);
    this.schedule(GATHER_MS);
  }

  /** Runs the hooks for every key with acked events they have not seen (one run at a time, in order). */
  flush(): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        if (this.scanNeeded) {
          for (const key of await this.keys.behindAckHooks()) this.pending.add(key.id);
          this.scanNeeded = false;
        }
      } catch (error) {
        this.failed(error);
        return;
      }
      const keys = [...this.pending];
      this.pending.clear();
      try {
        for (let i = 0; i < keys.length; i += 1) {
          try {
            await this.runFor(keys[i]);
          } catch (error) {
            for (const key of keys.slice(i)) this.pending.add(key);
            throw error;
          }
        }
        if (this.failures > 0) this.logger.log('Ack hooks run again');
        this.failures = 0;
        this.health.recovered(JOB);
      } catch (error) {
        this.failed(error);
      }
    });
    return this.running;
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // What is still pending runs after the next start (the cursor says where).
    await this.running.catch(() => undefined);
  }

  private async runFor(keyId: string): Promise<void> {
    const cursors = await this.keys.ackCursors(keyId);
    if (!cursors || cursors.ackHooksSeq >= cursors.ackedSeq) return;
    await this.hooks.run({ keyId, afterSeq: cursors.ackHooksSeq, uptoSeq: cursors.ackedSeq });
    await this.keys.storeAckHooksSeq(keyId, cursors.ackedSeq);
  }

  private failed(error: unknown): void {
    // Shutting down: the database may be closing under the run; the next start picks it up.
    if (this.closing) return;
    this.failures = this.health.failed(JOB, error);
    if (this.failures === 1) this.logger.warn({ err: error }, 'Ack hooks failed (seen receipts wait); will retry');
    if (this.pending.size > 0 || this.scanNeeded) this.schedule(backgroundBackoffMs(this.failures));
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.closing) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }
}
