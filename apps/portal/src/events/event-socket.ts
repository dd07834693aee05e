import { type ClientFrame, type ServerFrame, WS_CLOSE } from '@agent-p2p/protocol';
import type { Logger } from '@nestjs/common';
import type { RawData, WebSocket } from 'ws';
import type { Principal } from '../auth/auth.decorator';
import { MAX_SEQ } from './dto/event.dto';
import type { EventCursorService } from './event-cursor.service';
import type { EventRecord, EventsService } from './events.service';

/** Events read from the database per query while catching up. */
const REPLAY_PAGE = 200;
/** How long a slow client may keep its send buffer full before it is closed with 1013. */
const SLOW_CLIENT_GRACE_MS = 10_000;
const DRAIN_CHECK_MS = 20;

export interface EventSocketDeps {
  events: EventsService;
  cursors: EventCursorService;
  logger: Logger;
  maxBufferedBytes: number;
}

/** A frame as received: JSON with a string "type", its other fields not checked yet (see ClientFrame). */
type ReceivedFrame = { type: string; [key: string]: unknown };

/**
 * One /ws connection. The protocol (docs/events.md): the client sends `resume`, the server replays
 * every event after the cursor from the database page by page, then follows the log live. A
 * single pump reads by seq from the last seq sent, so replay and live delivery can never overlap,
 * reorder or skip, whatever is appended meanwhile.
 */
export class EventSocket {
  /** Cleared by each heartbeat ping, set again by the pong. */
  alive = true;
  private cursor: number | null = null;
  private resuming = false;
  private pumping = false;
  private dirty = false;
  private closed = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly principal: Principal,
    private readonly deps: EventSocketDeps,
  ) {
    ws.on('message', (data, isBinary) => void this.onFrame(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.once('close', () => this.dispose());
  }

  /** Heartbeat tick: drops a socket that did not answer the previous ping, pings the others. */
  heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.ws.terminate();
      this.dispose();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
    this.dispose();
  }

  private dispose(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private async onFrame(data: RawData, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    let frame: unknown;
    try {
      if (isBinary) throw new Error('binary');
      frame = JSON.parse(rawToString(data));
    } catch {
      return this.sendError('Frames must be JSON text, e.g. {"type":"resume","after":0}');
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || typeof (frame as ReceivedFrame).type !== 'string') {
      return this.sendError('Frames must be JSON objects with a "type"');
    }
    try {
      await this.handle(frame as ReceivedFrame);
    } catch (error) {
      if (this.closed || !this.deps.events.live) return;
      this.deps.logger.error({ err: error }, 'Event socket frame failed');
      this.sendError('Internal error');
    }
  }

  private async handle(frame: ReceivedFrame): Promise<void> {
    switch (frame.type as ClientFrame['type']) {
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'resume': {
        if (this.resuming || this.cursor !== null) return this.sendError('Already resumed: open a new connection to start elsewhere');
        const after = frame.after;
        if (after !== undefined && after !== null && !isSeq(after)) {
          return this.sendError(`"after" must be an integer from 0 to ${MAX_SEQ}, or omitted`);
        }
        this.resuming = true;
        const start = await this.deps.cursors.startAfter(this.principal, isSeq(after) ? after : undefined);
        if (this.closed) return;
        const latestSeq = await this.deps.events.latestSeq();
        if (this.closed) return;
        this.cursor = start;
        this.send({ type: 'resumed', after: start, latestSeq });
        this.unsubscribe = this.deps.events.onAppended(() => void this.pump());
        void this.pump();
        return;
      }
      case 'ack': {
        if (!isSeq(frame.seq)) return this.sendError(`"seq" must be an integer from 0 to ${MAX_SEQ}`);
        const ackedSeq = await this.deps.cursors.ack(this.principal, frame.seq);
        this.send({ type: 'acked', seq: frame.seq, ackedSeq });
        return;
      }
      default:
        this.sendError(`Unknown frame type ${JSON.stringify(frame.type).slice(0, 80)}: expected resume, ack or ping`);
    }
  }

  /** Sends every committed event after the cursor, in seq order. Re-runs when woken while busy. */
  private async pump(): Promise<void> {
    if (this.closed || this.cursor === null) return;
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.dirty = false;
        let page: Awaited<ReturnType<EventsService['listAfter']>>;
        do {
          page = await this.deps.events.listAfter(this.cursor, REPLAY_PAGE);
          // A page of events leaves in as few TCP writes as possible.
          const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
          socket?.cork();
          try {
            for (const event of page) {
              if (this.ws.bufferedAmount > this.deps.maxBufferedBytes && !(await this.roomToSend())) return;
              if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
              this.send({ type: 'event', event });
              this.cursor = event.seq;
            }
          } finally {
            socket?.uncork();
          }
        } while (page.length === REPLAY_PAGE && !this.closed);
      } while (this.dirty && !this.closed);
    } catch (error) {
      if (this.closed || !this.deps.events.live) return;
      this.deps.logger.error({ err: error }, 'Event socket delivery failed');
      this.close(WS_CLOSE.internalError, 'Internal error');
    } finally {
      this.pumping = false;
    }
  }

  /** Back-pressure: waits while the client's send buffer is full; closes a client that stays slow. */
  private async roomToSend(): Promise<boolean> {
    const deadline = Date.now() + SLOW_CLIENT_GRACE_MS;
    while (!this.closed && this.ws.bufferedAmount > this.deps.maxBufferedBytes) {
      if (Date.now() > deadline) {
        this.close(WS_CLOSE.tryAgainLater, 'Client too slow: reconnect and resume');
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_CHECK_MS));
    }
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  private sendError(message: string): void {
    this.send({ type: 'error', message });
  }

  private send(frame: ServerFrame<EventRecord>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  }
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
