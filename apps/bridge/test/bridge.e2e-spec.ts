import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
import { readStatusFile } from '../src/bridge/status-file';
import { runBridge } from '../src/bridge/run';
import type { BridgeOptions, RunningBridge } from '../src/bridge/types';

const TOKEN = 'hooks-token-for-tests-0123456789';

type Reply = 'ok' | 'hang' | 'reset' | { status: number; retryAfter?: string };

interface HookCall {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  eventId: string;
  reply: Reply;
  /** The Portal's cursor for the owner key when the call arrived (read before answering; -1 while the Portal is down). */
  cursor: number;
}

/** A stand-in for the OpenClaw hooks API whose answers the test scripts, call by call. */
class HooksServer {
  readonly calls: HookCall[] = [];
  /** Answers for the next calls, in order; then `fallback`. */
  script: Reply[] = [];
  fallback: Reply = 'ok';
  private server!: Server;
  private readonly hanging: ServerResponse[] = [];

  constructor(private readonly portal: () => TestPortal) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** Calls the gateway accepted (2xx), in the order they arrived. */
  accepted(): HookCall[] {
    return this.calls.filter((call) => call.reply === 'ok');
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const text = String(body.text ?? body.message ?? '');
    const eventId = /\[event ([0-9a-f-]{36})\]$/.exec(text)?.[1] ?? '';
    let reply: Reply = this.script.shift() ?? this.fallback;
    if (req.headers.authorization !== `Bearer ${TOKEN}`) reply = { status: 401 };
    // While the Portal is down its cursor cannot be read (nor moved): -1.
    const cursor = await ackedCursor(this.portal()).catch(() => -1);
    this.calls.push({ path: req.url ?? '', headers: req.headers, body, eventId, reply, cursor });
    if (reply === 'hang') return void this.hanging.push(res);
    if (reply === 'reset') return void req.socket.destroy();
    if (reply === 'ok') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ ok: true, mode: 'now', eventOutcome: 'queued' }));
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.retryAfter ? { 'retry-after': reply.retryAfter } : {}) });
    res.end(JSON.stringify({ ok: false, error: `status ${reply.status}` }));
  }
}

/** The owner key's acked cursor on the Portal: a long-poll read without `after` starts right after it. */
async function ackedCursor(portal: TestPortal): Promise<number> {
  const page = await portal.client().listEvents({ limit: 1 });
  return page.events.length ? page.events[0].seq - 1 : page.lastSeq;
}

/** Events the Bridge acks without a wake: receipts (but a late one), and message records (messages wake through agent.wake). */
const NO_WAKE = new Set(['message.delivered', 'message.received', 'message.held']);

/** Every event of B's log the Bridge should wake for. */
async function wakeableEvents(portal: TestPortal): Promise<Array<{ seq: number; id: string; type: string }>> {
  const { events } = await portal.client().listEvents({ after: 0, limit: 1000 });
  return events
    .filter((event) => !NO_WAKE.has(event.type) && !(event.type === 'message.receipt' && event.payload.late !== true))
    .map(({ seq, id, type }) => ({ seq, id, type }));
}

/** The message texts of B's agent.wake events with these ids, in the order given (what the agent was woken with). */
async function wokenTexts(portal: TestPortal, eventIds: string[]): Promise<string[]> {
  const { events } = await portal.client().listEvents({ after: 0, limit: 1000 });
  const byId = new Map(events.map((event) => [event.id, event]));
  return eventIds.flatMap((id) => {
    const event = byId.get(id);
    return event?.type === 'agent.wake' ? event.payload.messages.map((m) => m.content) : [];
  });
}

const FAST = {
  requestTimeoutMs: 2000, // well above a slow cursor read in the hooks server, so only the scripted hang times out
  retryMinDelayMs: 20,
  retryMaxDelayMs: 200,
  configErrorDelayMs: 300,
  reconnectMinDelayMs: 50,
  reconnectMaxDelayMs: 300,
  heartbeatSeconds: 5,
};

describe('Bridge: Portal events → OpenClaw hooks', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;
  let hooks: HooksServer;
  let stateDir: string;
  let bridge: RunningBridge | null = null;
  const logs: Array<Record<string, unknown>> = [];

  function start(overrides: Partial<BridgeOptions> = {}): RunningBridge {
    bridge = runBridge({
      hubUrl: b.url,
      apiKey: b.ownerKey,
      gatewayUrl: hooks.url,
      hooksToken: TOKEN,
      wake: 'wake',
      stateDir,
      command: 'agent-p2p',
      log: (line) => logs.push(line),
      timing: FAST,
      ...overrides,
    });
    return bridge;
  }

  /**
   * Sends messages from A to B one after the other; resolves once B has received them all and its
   * governance has emitted the agent.wake events that carry them (after coalescing). Returns those.
   */
  async function send(...texts: string[]): Promise<Array<{ seq: number; id: string }>> {
    for (const text of texts) await a.client().sendMessage(aContactId, text);
    return waitFor('B to receive the messages and wake for them', async () => {
      const { events } = await b.client().listEvents({ after: 0, limit: 1000 });
      const wakes = events.filter((event) => event.type === 'agent.wake' && event.payload.messages.some((m) => texts.includes(m.content)));
      const woken = wakes.flatMap((event) => (event.type === 'agent.wake' ? event.payload.messages.map((m) => m.content) : []));
      return texts.every((text) => woken.includes(text)) ? wakes.map(({ seq, id }) => ({ seq, id })) : null;
    });
  }

  /** Waits until every wakeable event of B was accepted by the hooks server and acked on the Portal. */
  async function allWokenAndAcked(after: number): Promise<Array<{ seq: number; id: string; type: string }>> {
    const expected = (await wakeableEvents(b)).filter((event) => event.seq > after);
    const lastSeq = (await b.client().listEvents({ after: 0, limit: 1000 })).lastSeq;
    await waitFor(
      'every event woken',
      async () => expected.every((event) => hooks.accepted().some((call) => call.eventId === event.id)),
      20_000,
    );
    await waitFor('the cursor to reach the last event', async () => (await ackedCursor(b)) === lastSeq, 10_000);
    return expected;
  }

  /** Exactly one accepted wake per event, in seq order, and no call ever arrived after its event was acked. */
  function expectWokenOnceInOrder(expected: Array<{ seq: number; id: string }>): void {
    const acceptedIds = hooks.accepted().map((call) => call.eventId);
    expect(acceptedIds).toEqual(expected.map((event) => event.id));
    const seqOf = new Map(expected.map((event) => [event.id, event.seq]));
    for (const call of hooks.calls) expect(call.cursor).toBeLessThan(seqOf.get(call.eventId)!);
  }

  beforeAll(async () => {
    a = await startPeer();
    b = await startPeer();
    ({ aContactId, bContactId } = await connect(a, b));
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  beforeEach(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'ap2p-bridge-'));
    hooks = new HooksServer(() => b);
    await hooks.start();
    logs.length = 0;
    // Each test but the first starts from a clean cursor: everything so far is acked.
    if (expect.getState().currentTestName?.includes('503, 429') !== true) {
      const { lastSeq } = await b.client().listEvents({ after: 0, limit: 1000 });
      await b.client().ackEvents(lastSeq);
    }
  });

  afterEach(async () => {
    await bridge?.stop();
    bridge = null;
    await hooks.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('wakes every event exactly once, in order, only acking after a 2xx — through 503, 429 + Retry-After, a reset, and a hang', async () => {
    hooks.script = [{ status: 503 }, { status: 429, retryAfter: '1' }, 'reset', 'hang', { status: 502 }];
    const started = Date.now();
    start();
    await send('first', '第二条消息', 'third');
    const expected = await allWokenAndAcked(0);
    expectWokenOnceInOrder(expected);
    // The handshake event B already had, then the three messages in one wake or a few (sent one by
    // one, they may or may not arrive within one coalescing window), in order.
    expect(expected[0].type).toBe('contact.request_received');
    expect(expected.slice(1).every((event) => event.type === 'agent.wake')).toBe(true);
    expect(
      await wokenTexts(
        b,
        expected.map((event) => event.id),
      ),
    ).toEqual(['first', '第二条消息', 'third']);
    // The first event was tried six times: 503, 429, reset, hang (cut by the timeout), 502, then 200; all for the same event.
    expect(hooks.calls.slice(0, 6).map((call) => call.eventId)).toEqual(Array(6).fill(expected[0].id));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000 + FAST.requestTimeoutMs); // Retry-After and the timeout were honoured
    const wake = hooks.accepted().find((call) => String(call.body.text).includes('第二条消息'))!;
    expect(wake.path).toBe('/hooks/wake');
    expect(wake.body.mode).toBe('now');
    expect(String(wake.body.text)).toContain('<<<untrusted 第二条消息 >>>');
    expect(String(wake.body.text)).toContain(`agent-p2p send --to ${bContactId} '<your reply>'`);

    const status = readStatusFile(stateDir)!;
    expect(status).toMatchObject({
      connection: 'connected',
      lastAckedSeq: expected[expected.length - 1].seq,
      pending: null,
      hubUrl: b.url,
      wakeMode: 'wake',
    });
    expect(status.lastWake).toMatchObject({ eventId: expected[expected.length - 1].id, status: 200 });
    expect(status.errors.map((e) => e.message).join('\n')).toMatch(/answered 503[\s\S]*/);
    expect(statSync(join(stateDir, 'bridge-status.json')).mode & 0o777).toBe(0o600);
  });

  it('a wrong hooks token (401) keeps the events and reports the error; the fixed Bridge wakes each once', async () => {
    const before = await ackedCursor(b);
    const running = start({ hooksToken: 'wrong-token' });
    const [wake] = await send('kept while the token is wrong');
    await waitFor('the 401 in the status file', async () => {
      const status = readStatusFile(stateDir);
      return status?.errors.some((e) => e.message.includes('401') && e.message.includes('OPENCLAW_HOOKS_TOKEN')) && status.pending
        ? status
        : null;
    });
    await waitFor('a slow retry', async () => hooks.calls.length >= 2);
    // The message's record (message.received) needs no wake and may be acked; its wake may not.
    expect(await ackedCursor(b)).toBeLessThan(wake.seq);
    expect(hooks.accepted()).toHaveLength(0);
    expect(logs.some((line) => line.level === 'error' && String(line.msg).includes('401'))).toBe(true);
    expect(JSON.stringify(readStatusFile(stateDir))).not.toContain('wrong-token');
    // stop() ends a Bridge waiting between retries at once, without acking.
    const stopping = Date.now();
    await running.stop();
    await running.done;
    expect(Date.now() - stopping).toBeLessThan(2000);
    expect(running.status().connection).toBe('stopped');
    expect(await ackedCursor(b)).toBeLessThan(wake.seq);

    start();
    const expected = await allWokenAndAcked(before);
    expect(expected).toHaveLength(1);
    expect(hooks.accepted().map((call) => call.eventId)).toEqual([expected[0].id]);
  });

  it('loses nothing and wakes nothing twice across a Portal restart mid-stream', async () => {
    const before = await ackedCursor(b);
    // The first message is woken; the second is refused (503) and still pending when the Portal goes down.
    hooks.script = ['ok'];
    hooks.fallback = { status: 503 };
    start();
    await send('before the restart 1');
    await waitFor('one wake', async () => hooks.accepted().length === 1);
    await send('before the restart 2');
    await waitFor('a refused one', async () => hooks.calls.length >= 2);
    await b.stop();
    await waitFor('the Bridge to notice', async () => (bridge!.status().connection === 'disconnected' ? true : null));
    // A's messages wait in A's outbox while B is down.
    await a.client().sendMessage(aContactId, 'during the restart');
    await b.start();
    await waitFor('the Bridge to reconnect', async () => (bridge!.status().connection === 'connected' ? true : null));
    await send('after the restart');
    hooks.fallback = 'ok';
    const expected = await allWokenAndAcked(before);
    expectWokenOnceInOrder(expected);
    const texts = await wokenTexts(
      b,
      hooks.accepted().map((call) => call.eventId),
    );
    expect(texts).toEqual(['before the restart 1', 'before the restart 2', 'during the restart', 'after the restart']);
  });

  it('--wake agent: POST /hooks/agent with the per-contact session key and the event id as Idempotency-Key', async () => {
    const before = await ackedCursor(b);
    start({ wake: 'agent' });
    await send('for the agent hook');
    const expected = await allWokenAndAcked(before);
    const last = expected[expected.length - 1];
    const call = hooks.accepted().find((c) => c.eventId === last.id)!;
    expect(call.path).toBe('/hooks/agent');
    expect(call.headers['idempotency-key']).toBe(last.id);
    expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.body).toEqual({
      message: expect.stringContaining('<<<untrusted for the agent hook >>>'),
      name: 'Agent P2P',
      sessionKey: `hook:agent-p2p:contact-${bContactId}`,
      sessionMode: 'persistent',
      deliver: false,
      wakeMode: 'now',
    });
    expect(readStatusFile(stateDir)?.wakeMode).toBe('agent');
  });

  it('acks delivery receipts without a wake, and a restarted Bridge does not wake an acked event again', async () => {
    start();
    await b.client().sendMessage(bContactId, 'from B');
    await waitFor('the delivery receipt to be acked', async () => {
      const { events } = await b.client().listEvents({ after: 0, limit: 1000 });
      const delivered = events.find((event) => event.type === 'message.delivered');
      return delivered && (await ackedCursor(b)) >= delivered.seq;
    });
    expect(hooks.calls).toHaveLength(0);
    expect(logs.some((line) => line.msg === 'event needs no wake')).toBe(true);
    await bridge!.stop();
    const calls = hooks.calls.length;
    start();
    await waitFor('the restarted Bridge to connect', async () => (bridge!.status().connection === 'connected' ? true : null));
    const before = await ackedCursor(b);
    await send('after a Bridge restart');
    await allWokenAndAcked(before);
    expect(hooks.calls.slice(calls)).toHaveLength(1);
  });
});
