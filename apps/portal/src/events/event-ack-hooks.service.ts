import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/** Events an owner key's consumer confirmed: seq in (afterSeq, uptoSeq]. */
export interface AckedRange {
  keyId: string;
  afterSeq: number;
  uptoSeq: number;
}

export type AckedRangeListener = (range: AckedRange) => Promise<void>;

/** Acks arriving within this long are handed to listeners as one range per key. */
const GATHER_MS = 200;

/**
 * What other features learn from acks: an agent's consumer (the Bridge acks only once the gateway
 * took the wake) confirming events means the agent got what they carried. Features register here
 * (events imports none of them); a listener that fails never fails the ack.
 *
 * An ack is confirmed to its consumer without waiting for the listeners: a consumer acking every
 * event one by one would otherwise make each ack wait for their queries. The acked ranges of each
 * key are gathered for GATHER_MS and handed over merged, in the background.
 */
@Injectable()
export class EventAckHooks implements OnModuleDestroy {
  private readonly listeners: AckedRangeListener[] = [];
  private readonly logger = new Logger(EventAckHooks.name);
  private readonly pending = new Map<string, AckedRange>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  onAcked(listener: AckedRangeListener): void {
    this.listeners.push(listener);
  }

  /** Called once the acks are written; the listeners run shortly after, in the background. */
  acked(range: AckedRange): void {
    if (range.uptoSeq <= range.afterSeq || this.listeners.length === 0) return;
    const known = this.pending.get(range.keyId);
    this.pending.set(
      range.keyId,
      known
        ? { keyId: range.keyId, afterSeq: Math.min(known.afterSeq, range.afterSeq), uptoSeq: Math.max(known.uptoSeq, range.uptoSeq) }
        : range,
    );
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, GATHER_MS);
      this.timer.unref();
    }
  }

  /** Hands every gathered range to the listeners (one flush at a time, in order). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const ranges = [...this.pending.values()];
      this.pending.clear();
      for (const range of ranges) {
        for (const listener of this.listeners) {
          try {
            await listener(range);
          } catch (error) {
            this.logger.warn({ err: error }, 'An ack listener failed');
          }
        }
      }
    });
    return this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush().catch(() => undefined);
  }
}
