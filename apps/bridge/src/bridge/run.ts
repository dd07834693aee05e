import { backoffDelayMs } from '@agent-p2p/protocol';
import { PortalEventStream, PortalEventStreamRefusedError, type PortalEvent } from '@agent-p2p/sdk';
import { mkdirSync } from 'node:fs';
import { callGateway, type GatewayOutcome } from './gateway';
import { readStatusFile, statusFilePath, writeStatusFile } from './status-file';
import { DEFAULT_BRIDGE_TIMING, type BridgeOptions, type BridgeStatus, type BridgeTiming, type RunningBridge } from './types';
import { buildWake, type WakeEvent } from './wake-text';

const MAX_ERRORS = 20;

/**
 * The Bridge: follows the Portal's event stream with the owner key and, for each event in seq
 * order, one at a time, wakes the local OpenClaw gateway. An event is acked only after the gateway
 * accepted its wake (2xx), so nothing is lost when the gateway or the Bridge goes down: the Portal
 * keeps un-acked events and replays them from the key's cursor. Events are never skipped: a gateway
 * that refuses (bad token, hooks off) is retried slowly and reported until it is fixed.
 */
export function runBridge(options: BridgeOptions): RunningBridge {
  const bridge = new Bridge(options);
  bridge.start();
  return { done: bridge.done, stop: () => bridge.stop(), status: () => bridge.snapshot() };
}

class Bridge {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly timing: BridgeTiming;
  private readonly state: BridgeStatus;
  private readonly file: string;
  private readonly abort = new AbortController();
  private stream: PortalEventStream | null = null;
  private stopping: Promise<void> | null = null;
  /** Events up to this seq were woken by an earlier run whose ack may not have reached the Portal. */
  private wokenUpTo: number | null = null;
  private readonly emit: (line: Record<string, unknown>) => void;

  constructor(private readonly options: BridgeOptions) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.timing = { ...DEFAULT_BRIDGE_TIMING, ...options.timing };
    this.file = statusFilePath(options.stateDir);
    this.emit = options.log ?? ((line) => process.stderr.write(JSON.stringify(line) + '\n'));
    const now = new Date().toISOString();
    this.state = {
      pid: process.pid,
      hubUrl: options.hubUrl,
      gatewayUrl: options.gatewayUrl,
      wakeMode: options.wake,
      connection: 'connecting',
      since: now,
      lastEvent: null,
      lastWake: null,
      lastAckedSeq: null,
      pending: null,
      errors: [],
      fatal: null,
      updatedAt: now,
    };
  }

  start(): void {
    mkdirSync(this.options.stateDir, { recursive: true, mode: 0o700 });
    const previous = readStatusFile(this.options.stateDir);
    if (previous && previous.hubUrl === this.options.hubUrl && typeof previous.lastAckedSeq === 'number') {
      this.wokenUpTo = previous.lastAckedSeq;
      this.state.lastAckedSeq = previous.lastAckedSeq;
    }
    this.log('info', 'bridge starting', { hubUrl: this.options.hubUrl, gatewayUrl: this.options.gatewayUrl, wake: this.options.wake });
    this.save();
    this.stream = new PortalEventStream({
      baseUrl: this.options.hubUrl,
      apiKey: this.options.apiKey,
      // No `after`: the Portal's cursor for this key is the truth, so un-acked events come again.
      onEvent: (event) => this.handle(event),
      onResumed: (after, latestSeq) => this.onResumed(after, latestSeq),
      onDisconnect: (code, reason) => this.onDisconnect(code, reason),
      onError: (error) => this.onStreamError(error),
      heartbeatSeconds: this.timing.heartbeatSeconds,
      minReconnectDelayMs: this.timing.reconnectMinDelayMs,
      maxReconnectDelayMs: this.timing.reconnectMaxDelayMs,
    });
    this.stream.start();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.stream?.close();
      this.state.pending = null;
      this.setConnection('stopped');
      this.log('info', 'bridge stopped', { lastAckedSeq: this.state.lastAckedSeq });
      this.resolveDone();
    })();
    return this.stopping;
  }

  snapshot(): BridgeStatus {
    return structuredClone(this.state);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private onResumed(after: number, latestSeq: number): void {
    this.setConnection('connected');
    this.log('info', 'connected to the Portal', { after, latestSeq });
    if (this.wokenUpTo !== null && latestSeq < this.wokenUpTo) {
      // The Portal's log is behind what this Bridge saw (a restored database): its seqs will be
      // reused by new events, which must not be mistaken for ones already woken.
      this.log('warn', 'the Portal log is behind the last acked seq; forgetting it', { latestSeq, lastAckedSeq: this.wokenUpTo });
      this.wokenUpTo = null;
    }
    if (after > latestSeq) {
      this.recordError(
        `the Portal's newest event is ${latestSeq} but this Bridge resumed after ${after} (restored Portal database?): restart the Bridge`,
      );
    }
  }

  private onDisconnect(code: number, reason: string): void {
    if (this.stopped) return;
    this.log('warn', 'disconnected from the Portal; reconnecting', { code, reason });
    this.setConnection('disconnected');
  }

  private onStreamError(error: Error): void {
    if (this.stopped) return;
    if (error instanceof PortalEventStreamRefusedError) {
      const message = `the Portal refused the owner key (${error.status}): check AGENTP2P_API_KEY`;
      this.state.fatal = message;
      this.recordError(message);
      void this.stop();
      return;
    }
    this.recordError(`Portal stream: ${error.message}`);
  }

  /** One event, start to finish; the stream calls this in seq order and awaits it. */
  private async handle(event: PortalEvent | WakeEvent): Promise<void> {
    if (this.stopped) return;
    this.state.lastEvent = { seq: event.seq, id: event.id, type: event.type, at: new Date().toISOString() };
    if (this.wokenUpTo !== null && event.seq <= this.wokenUpTo) {
      this.log('info', 'event already woken by an earlier run; acking again', { seq: event.seq, id: event.id });
      return this.ack(event.seq);
    }
    const plan = buildWake(event, { command: this.options.command });
    if (plan.action === 'skip') {
      this.log('info', 'event needs no wake', { seq: event.seq, id: event.id, type: event.type, reason: plan.reason });
      return this.ack(event.seq);
    }
    const agent = this.options.wake === 'agent';
    const path = agent ? '/hooks/agent' : '/hooks/wake';
    const body: Record<string, unknown> = agent
      ? {
          message: plan.text,
          name: 'Agent P2P',
          ...(this.options.agentId ? { agentId: this.options.agentId } : {}),
          sessionKey: plan.sessionKey,
          sessionMode: 'persistent',
          deliver: false,
          wakeMode: 'now',
        }
      : { text: plan.text, mode: 'now' };
    const headers = agent ? { 'Idempotency-Key': event.id } : undefined;

    let retries = 0;
    for (let attempt = 1; ; attempt++) {
      this.state.pending = { seq: event.seq, id: event.id, type: event.type, attempts: attempt, nextAttemptAt: null };
      this.save();
      const outcome = await callGateway({
        gatewayUrl: this.options.gatewayUrl,
        hooksToken: this.options.hooksToken,
        path,
        body,
        headers,
        timeoutMs: this.timing.requestTimeoutMs,
        signal: this.abort.signal,
      });
      const at = new Date().toISOString();
      if (outcome.kind === 'ok') {
        // Accepted: ack even when stopping, the wake happened.
        this.state.lastWake = { eventId: event.id, status: outcome.status, at };
        this.log('info', 'woke the agent', {
          seq: event.seq,
          id: event.id,
          type: event.type,
          path,
          status: outcome.status,
          attempts: attempt,
        });
        return this.ack(event.seq);
      }
      if (this.stopped) return;
      this.state.lastWake = { eventId: event.id, status: outcome.status, at, message: outcome.message };
      const delay = this.delayFor(outcome, retries++);
      this.state.pending.nextAttemptAt = new Date(Date.now() + delay).toISOString();
      if (outcome.kind === 'config') {
        this.recordError(`${outcome.message} (event ${event.seq} kept; next attempt in ${Math.round(delay / 1000)} s)`, 'error');
      } else {
        this.recordError(`${outcome.message} (event ${event.seq}; retrying in ${delay} ms)`, 'warn');
      }
      await sleep(delay, this.abort.signal);
      if (this.stopped) return;
    }
  }

  private delayFor(outcome: Exclude<GatewayOutcome, { kind: 'ok' }>, retries: number): number {
    const retryAfter = outcome.retryAfterMs === null ? null : Math.min(outcome.retryAfterMs, this.timing.maxRetryAfterMs);
    if (outcome.kind === 'config') return Math.max(this.timing.configErrorDelayMs, retryAfter ?? 0);
    if (retryAfter !== null) return retryAfter;
    return backoffDelayMs(retries, { initialMs: this.timing.retryMinDelayMs, maxMs: this.timing.retryMaxDelayMs });
  }

  private ack(seq: number): void {
    this.state.lastAckedSeq = Math.max(this.state.lastAckedSeq ?? 0, seq);
    this.state.pending = null;
    this.save();
    this.stream?.ack(seq);
  }

  private setConnection(connection: BridgeStatus['connection']): void {
    if (this.state.connection !== connection) {
      this.state.connection = connection;
      this.state.since = new Date().toISOString();
    }
    this.save();
  }

  private recordError(message: string, level: 'warn' | 'error' = 'error'): void {
    this.log(level, message);
    this.state.errors.unshift({ at: new Date().toISOString(), message });
    this.state.errors.length = Math.min(this.state.errors.length, MAX_ERRORS);
    this.save();
  }

  private save(): void {
    this.state.updatedAt = new Date().toISOString();
    try {
      writeStatusFile(this.options.stateDir, this.state);
    } catch (error) {
      this.log('error', `cannot write ${this.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
    try {
      this.emit({ time: new Date().toISOString(), level, component: 'bridge', msg, ...fields });
    } catch {
      // A broken log sink must not stop the Bridge.
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
