import type { PortalEvent } from '../../../libs/sdk/src/client';

/**
 * Live updates over WS /ws with the session cookie (the browser sends it; the Portal checks the
 * Origin). The console only reads: it never acks. After a drop it resumes from the last seq seen.
 */
export class LiveEvents {
  private socket: WebSocket | null = null;
  private lastSeq: number | null = null;
  private retryMs = 500;
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
    this.socket?.close(1000, 'bye');
    this.socket = null;
  }

  private connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify(this.lastSeq === null ? { type: 'resume' } : { type: 'resume', after: this.lastSeq }));
    };
    socket.onmessage = (message) => {
      let frame: { type?: string; event?: PortalEvent; latestSeq?: number; after?: number };
      try {
        frame = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (frame.type === 'resumed') {
        this.retryMs = 500;
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
      if (close.code === 4401) {
        this.onExpired();
        return;
      }
      this.timer = setTimeout(() => this.connect(), this.retryMs * (0.5 + Math.random()));
      this.retryMs = Math.min(this.retryMs * 2, 15_000);
    };
  }
}
