import { Injectable, Logger } from '@nestjs/common';

/** Events an owner key's consumer confirmed: seq in (afterSeq, uptoSeq]. */
export interface AckedRange {
  keyId: string;
  afterSeq: number;
  uptoSeq: number;
}

export type AckedRangeListener = (range: AckedRange) => Promise<void>;

/**
 * What other features learn from acks: an agent's consumer (the Bridge acks only once the gateway
 * took the wake) confirming events means the agent got what they carried. Features register here
 * (events imports none of them); a listener that fails never fails the ack.
 */
@Injectable()
export class EventAckHooks {
  private readonly listeners: AckedRangeListener[] = [];
  private readonly logger = new Logger(EventAckHooks.name);

  onAcked(listener: AckedRangeListener): void {
    this.listeners.push(listener);
  }

  /** Called once the acks are written. */
  async acked(range: AckedRange): Promise<void> {
    if (range.uptoSeq <= range.afterSeq) return;
    for (const listener of this.listeners) {
      try {
        await listener(range);
      } catch (error) {
        this.logger.warn({ err: error }, 'An ack listener failed');
      }
    }
  }
}
