import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/auth.decorator';
import { type EventListQueryDto, type EventListResponseDto, MAX_EVENT_PAGE } from './dto/event.dto';
import { AgentPresenceService } from './agent-presence.service';
import { EventAckDispatcher } from './event-ack-dispatcher.service';
import { EventAcksService } from './event-acks.service';
import { type EventRecord, EventsService } from './events.service';

const DEFAULT_PAGE = 100;

/**
 * Where a reader starts and what an ack means, for both WS /ws and the long-poll. Only owner keys
 * consume: each keeps an acked cursor. A console session reads the same log but never moves it.
 */
@Injectable()
export class EventCursorService {
  constructor(
    private readonly events: EventsService,
    private readonly acks: EventAcksService,
    private readonly presence: AgentPresenceService,
    private readonly hooks: EventAckDispatcher,
  ) {}

  /** The seq to read after: the one asked for, else the key's acked cursor, else (console) the newest seq. */
  async startAfter(principal: Principal, after: number | undefined): Promise<number> {
    if (after !== undefined) return after;
    if (principal.kind === 'agent') return this.acks.ackedSeq(principal.keyId);
    return this.events.latestSeq();
  }

  /**
   * Owner keys: raises the acked cursor (never past the newest event) and returns it; the features
   * that act on acks (receipts) are handed the newly acked range in the background. Others: null.
   */
  async ack(principal: Principal, seq: number): Promise<number | null> {
    if (principal.kind !== 'agent') return null;
    const { before, after } = await this.acks.ackRange(principal.keyId, await this.events.clampToCommitted(seq));
    this.presence.acked();
    if (after > before) this.hooks.acked(principal.keyId);
    return after;
  }

  /** The long-poll: events after the cursor at once, else the first ones to arrive within `wait` seconds. */
  async poll(principal: Principal, query: EventListQueryDto, aborted: () => boolean = () => false): Promise<EventListResponseDto> {
    const after = await this.startAfter(principal, query.after);
    const limit = Math.min(query.limit ?? DEFAULT_PAGE, MAX_EVENT_PAGE);
    const deadline = Date.now() + (query.wait ?? 0) * 1000;
    let events: EventRecord[] = await this.events.listAfter(after, limit);
    const ended = principal.kind === 'agent' && events.length === 0 && (query.wait ?? 0) > 0 ? this.presence.pollStarted() : null;
    try {
      while (events.length === 0 && Date.now() < deadline && !aborted() && this.events.live) {
        await this.events.waitForAppend(deadline - Date.now());
        events = await this.events.listAfter(after, limit);
      }
    } finally {
      ended?.();
    }
    return { events, lastSeq: events.length ? events[events.length - 1].seq : after };
  }
}
