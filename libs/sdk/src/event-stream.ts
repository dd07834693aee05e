import { backoffDelayMs, type ClientFrame, type ServerFrame, WS_CLOSE } from '@agent-p2p/protocol';
import WebSocket from 'ws';
import type { PortalEvent } from './client';

export interface PortalEventStreamOptions {
  /** The Portal's URL (http(s)://…); the stream connects to ws(s)://…/ws. */
  baseUrl: string;
  /** An owner key (ap2p_o_…), sent as "Authorization: Bearer …" (never in the URL). */
  apiKey?: string;
  /** Extra headers on the upgrade request (e.g. a console session Cookie). */
  headers?: Record<string, string>;
  /**
   * Start after this seq. Omitted: an owner key resumes from its acked cursor on the Portal (so
   * un-acked events come again), a console session from now. Reconnects always resume after the
   * last event received.
   */
  after?: number;
  /** Called once per event, in seq order, one at a time (a returned promise is awaited). */
  onEvent: (event: PortalEvent) => void | Promise<void>;
  /** Connection problems, server error frames and handler failures (the stream goes on). */
  onError?: (error: Error) => void;
  /**
   * Each time the Portal confirms a (re)connection: events after `after` follow. `latestSeq` is the
   * Portal's newest seq then; `after > latestSeq` means the Portal's log is behind this client (restored database).
   */
  onResumed?: (after: number, latestSeq: number) => void;
  /** Each time the socket closes (the stream reconnects unless it was closed or refused). */
  onDisconnect?: (code: number, reason: string) => void;
  /** Seconds between client pings; no answer within two intervals → reconnect. Default 30. */
  heartbeatSeconds?: number;
  /** Reconnect delay bounds (jittered, doubling per failed attempt: backoffDelayMs). Defaults 500 ms and 30 s. */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/** The stream was refused for good (bad or revoked credential): it does not reconnect. */
export class PortalEventStreamRefusedError extends Error {
  override readonly name = 'PortalEventStreamRefusedError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A resilient reader of a Portal's event stream (WS /ws) for Node: resumes after the last event it
 * received, de-duplicates by seq, reconnects with jittered backoff, keeps a heartbeat, and acks.
 *
 *   const stream = new PortalEventStream({ baseUrl, apiKey, onEvent: async (e) => { await handle(e); stream.ack(e.seq); } });
 *   stream.start();
 */
export class PortalEventStream {
  private ws: WebSocket | null = null;
  private lastSeq: number | null;
  private pendingAck: number | null = null;
  /** The highest ack sent, and the highest the Portal confirmed ('acked'): close() waits for them to meet. */
  private sentAck = 0;
  private confirmedAck = 0;
  private ackConfirmed: (() => void) | null = null;
  private attempts = 0;
  private stopped = true;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  private delivery: Promise<void> = Promise.resolve();
  private readonly url: string;

  constructor(private readonly options: PortalEventStreamOptions) {
    this.lastSeq = options.after ?? null;
    const url = new URL(options.baseUrl.replace(/\/+$/, '') + '/ws');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = url.toString();
  }

  /** The seq of the last event received (null before the first resume without `after`). */
  get lastReceivedSeq(): number | null {
    return this.lastSeq;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.connect();
    return this;
  }

  /**
   * Acknowledges every event up to seq (owner keys: the Portal will not replay them). Sent now when
   * connected, else on the next connection.
   */
  ack(seq: number): void {
    this.pendingAck = Math.max(this.pendingAck ?? 0, seq);
    this.flushAck();
  }

  /**
   * Stops for good: no reconnect. Queued events are handled first, then the acks sent are
   * confirmed by the Portal (for up to 2 s), then the socket closes: once this resolves, a new
   * stream of the same key resumes after the last event acked here.
   */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    await this.delivery;
    if (this.connected && this.confirmedAck < this.sentAck) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        timer.unref?.();
        this.ackConfirmed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.ackConfirmed = null;
    }
    this.stopHeartbeat();
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else ws.close(WS_CLOSE.normal, 'Client closing');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2_000).unref();
      });
    }
    this.ws = null;
    await this.delivery;
  }

  private connect(): void {
    const headers: Record<string, string> = { ...this.options.headers };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    const ws = new WebSocket(this.url, { headers, handshakeTimeout: 15_000 });
    this.ws = ws;
    let refused: PortalEventStreamRefusedError | null = null;
    ws.on('open', () => {
      this.lastHeard = Date.now();
      this.startHeartbeat(ws);
      this.send(ws, this.lastSeq === null ? { type: 'resume' } : { type: 'resume', after: this.lastSeq });
    });
    ws.on('message', (data) => {
      this.lastHeard = Date.now();
      this.onFrame(data.toString());
    });
    ws.on('ping', () => {
      this.lastHeard = Date.now();
    });
    ws.on('pong', () => {
      this.lastHeard = Date.now();
    });
    ws.on('error', (error) => {
      const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1];
      if (status === '401' || status === '403') {
        refused = new PortalEventStreamRefusedError(Number(status), `The Portal refused the event stream (${status})`);
      }
      this.report(refused ?? error);
    });
    ws.on('close', (code, reason) => {
      if (this.ws === ws) this.ws = null;
      this.stopHeartbeat();
      this.options.onDisconnect?.(code, reason.toString());
      if (code === WS_CLOSE.unauthorized || code === WS_CLOSE.forbidden) {
        refused = new PortalEventStreamRefusedError(401, reason.toString() || 'Credential refused');
      }
      if (refused) {
        this.stopped = true;
        return;
      }
      this.scheduleReconnect();
    });
  }

  private onFrame(text: string): void {
    let frame: ServerFrame<PortalEvent>;
    try {
      frame = JSON.parse(text) as ServerFrame<PortalEvent>;
    } catch {
      return this.report(new Error('The Portal sent a frame that is not JSON'));
    }
    switch (frame.type) {
      case 'resumed':
        this.attempts = 0;
        if (this.lastSeq === null) this.lastSeq = frame.after;
        this.options.onResumed?.(frame.after, frame.latestSeq);
        this.flushAck();
        return;
      case 'event': {
        const event = frame.event;
        // De-duplicate: after a reconnect the Portal resumes after lastSeq, but be safe anyway.
        if (this.lastSeq !== null && event.seq <= this.lastSeq) return;
        this.lastSeq = event.seq;
        this.delivery = this.delivery.then(async () => {
          try {
            await this.options.onEvent(event);
          } catch (error) {
            this.report(error instanceof Error ? error : new Error(String(error)));
          }
        });
        return;
      }
      case 'acked':
        this.confirmedAck = Math.max(this.confirmedAck, frame.ackedSeq ?? 0, frame.seq);
        if (this.confirmedAck >= this.sentAck) this.ackConfirmed?.();
        return;
      case 'error':
        return this.report(new Error(`Portal: ${frame.message}`));
      default:
        return;
    }
  }

  private flushAck(): void {
    if (this.pendingAck === null || !this.connected || !this.ws) return;
    this.send(this.ws, { type: 'ack', seq: this.pendingAck });
    this.sentAck = Math.max(this.sentAck, this.pendingAck);
    this.pendingAck = null;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = backoffDelayMs(this.attempts, {
      initialMs: this.options.minReconnectDelayMs ?? 500,
      maxMs: this.options.maxReconnectDelayMs ?? 30_000,
    });
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private startHeartbeat(ws: WebSocket): void {
    this.stopHeartbeat();
    const intervalMs = (this.options.heartbeatSeconds ?? 30) * 1000;
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > 2 * intervalMs) {
        ws.terminate();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) this.send(ws, { type: 'ping' });
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private send(ws: WebSocket, frame: ClientFrame): void {
    ws.send(JSON.stringify(frame));
  }

  private report(error: Error): void {
    this.options.onError?.(error);
  }
}
