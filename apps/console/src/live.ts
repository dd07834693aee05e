import { backoffDelayMs, type ClientFrame, type ServerFrame, WS_CLOSE } from '@agent-p2p/protocol';
import type { PortalEvent } from '@agent-p2p/sdk';

/** Reconnect waits: from about half a second, doubling, up to 15 s. */
const RECONNECT = { initialMs: 500, maxMs: 15_000 };

/**
 * Live updates over WS /ws with the session cookie (the browser sends it; the Portal checks the
 * Origin). The console only reads: it never acks. After a drop it resumes from the last seq seen.
 */
export class LiveEvents {
  private socket: WebSocket | null = null;
  private lastSeq: number | null = null;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly onEvent: (event: PortalEvent) => void,
    private readonly onState: (online: boolean) => void,
    private readonly onExpired: () => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(WS_CLOSE.normal, 'bye');
    this.socket = null;
  }

  private connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      const resume: ClientFrame = this.lastSeq === null ? { type: 'resume' } : { type: 'resume', after: this.lastSeq };
      socket.send(JSON.stringify(resume));
    };
    socket.onmessage = (message) => {
      let frame: ServerFrame<PortalEvent>;
      try {
        frame = JSON.parse(String(message.data)) as ServerFrame<PortalEvent>;
      } catch {
        return;
      }
      if (frame.type === 'resumed') {
        this.failures = 0;
        if (this.lastSeq === null && typeof frame.after === 'number') this.lastSeq = frame.after;
        this.onState(true);
      } else if (frame.type === 'event' && frame.event) {
        if (this.lastSeq !== null && frame.event.seq <= this.lastSeq) return;
        this.lastSeq = frame.event.seq;
        this.onEvent(frame.event);
      }
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onState(false);
      if (this.stopped) return;
      if (close.code === WS_CLOSE.unauthorized) {
        this.onExpired();
        return;
      }
      this.timer = setTimeout(() => this.connect(), backoffDelayMs(this.failures, RECONNECT));
      this.failures += 1;
    };
  }
}
