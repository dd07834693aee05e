import { Injectable } from '@nestjs/common';

/** Events an owner key's consumer confirmed: seq in (afterSeq, uptoSeq]. */
export interface AckedRange {
  keyId: string;
  afterSeq: number;
  uptoSeq: number;
}

/** Acts on an acked range; must be idempotent (a range can be handed over again after a failure or a restart). */
export type AckedRangeListener = (range: AckedRange) => Promise<void>;

/**
 * What other features learn from acks: an agent's consumer (the Bridge acks only once the gateway
 * took the wake) confirming events means the agent got what they carried. Features register here
 * (events imports none of them). EventAckDispatcher (the event stream's side) decides when ranges
 * run and keeps, per key, how far they have run, so nothing acked is skipped.
 */
@Injectable()
export class EventAckHooks {
  private readonly listeners: AckedRangeListener[] = [];

  onAcked(listener: AckedRangeListener): void {
    this.listeners.push(listener);
  }

  get listening(): boolean {
    return this.listeners.length > 0;
  }

  /** Runs every listener on the range; all run even when one fails, then the first failure is thrown. */
  async run(range: AckedRange): Promise<void> {
    let failure: unknown = null;
    for (const listener of this.listeners) {
      try {
        await listener(range);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  }
}
