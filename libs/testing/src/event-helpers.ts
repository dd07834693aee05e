import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { EventsService, type EventRecord } from '@agent-p2p/portal/src/events/events.service';
import type { TestPortal } from './test-portal';

/** Appends `count` guestbook.message events, one transaction each, as a producer would. */
export async function appendEvents(portal: TestPortal, count: number, label = 'e'): Promise<EventRecord[]> {
  const events = portal.app.get(EventsService);
  const dataSource = portal.app.get(DataSource);
  const appended: EventRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    // Producers may run side by side: the Portal itself makes SQLite transactions take turns.
    const record = await dataSource.transaction((manager) =>
      events.append(manager, 'guestbook.message', {
        entryId: i + 1,
        name: `${label}-${i}`,
        message: `message ${label}-${i}`,
        createdAt: new Date().toISOString(),
      }),
    );
    events.wake();
    appended.push(record);
  }
  return appended;
}

export async function latestSeq(portal: TestPortal): Promise<number> {
  return portal.app.get(EventsService).latestSeq();
}

export type Frame = { type: string; [key: string]: unknown };

/** A raw /ws client for protocol tests: collects frames and lets the test await them. */
export class TestSocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
    ws.on('error', () => undefined);
  }

  /** Opens /ws; resolves when open, rejects with the HTTP status when the upgrade is refused. */
  static open(
    portal: TestPortal,
    headers: Record<string, string>,
    options: WebSocket.ClientOptions = {},
    path = '/ws',
  ): Promise<TestSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${portal.config.port}${path}`, { headers, ...options });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestSocket(ws)));
      ws.once('unexpected-response', (_request, response) => {
        reject(new UpgradeRefused(response.statusCode ?? 0));
        ws.terminate();
      });
      ws.once('error', (error) => reject(error));
    });
  }

  /** The upgrade's HTTP status when refused, 101 when accepted (the socket is closed again). */
  static async status(portal: TestPortal, headers: Record<string, string>, path = '/ws'): Promise<number> {
    try {
      const socket = await TestSocket.open(portal, headers, {}, path);
      await socket.terminate();
      return 101;
    } catch (error) {
      if (error instanceof UpgradeRefused) return error.status;
      throw error;
    }
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits for the next frame (after those already taken) matching `match`; removes and returns it. */
  async next(match: (frame: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex(match);
      if (index >= 0) return this.frames.splice(index, 1)[0];
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for a frame`);
      if (Date.now() > deadline)
        throw new Error(`no matching frame within ${timeoutMs} ms; have ${JSON.stringify(this.frames).slice(0, 300)}`);
      await this.change(deadline - Date.now());
    }
  }

  /** Resolves with the close code. */
  async waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await this.change(deadline - Date.now());
    }
    return this.closed;
  }

  /** Takes the next `count` event frames' events. */
  async events(count: number, timeoutMs = 10_000): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    while (out.length < count) out.push((await this.next((f) => f.type === 'event', timeoutMs)).event as EventRecord);
    return out;
  }

  async resume(after?: number): Promise<number> {
    this.send(after === undefined ? { type: 'resume' } : { type: 'resume', after });
    return (await this.next((f) => f.type === 'resumed')).after as number;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.close(1000);
    await this.waitClosed();
  }

  async terminate(): Promise<void> {
    if (this.closed) return;
    this.ws.terminate();
    await this.waitClosed();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private change(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, timeoutMs));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with ${status}`);
  }
}
