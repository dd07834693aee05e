import { PortalApiError, PortalEventStream, type PortalEvent } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { generateContactKey, sha256Hex } from '../src/common/secrets';
import { Contact } from '../src/contacts/entities/contact.entity';
import { appendEvents, freePort, latestSeq, TEST_DATABASE_URL, TestPortal, TestSocket } from '@agent-p2p/testing';
import { createLogger } from '../src/common/logger';
import { createPortalApp, initPortalApp, type PortalApp } from '../src/configure-app';
/** A small deterministic PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function bearer(key: string): Record<string, string> {
  return { Authorization: `Bearer ${key}` };
}

describe('event stream: WS /ws and GET /api/events', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_WS_MAX_SOCKETS_PER_CREDENTIAL: '4' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  /** A fresh owner key, so each test has its own acked cursor. */
  async function newKey(): Promise<string> {
    return (await portal.client().createKey(`test-${Date.now()}`)).key;
  }

  it('delivers every event exactly once, in order, to a client that drops ~10 times while 300 are appended', async () => {
    const key = await newKey();
    const start = await latestSeq(portal);
    const total = 300;
    const random = prng(20261125);
    const appending = appendEvents(portal, total, 'drop');
    const received: number[] = [];
    let lastSeen = start;
    let drops = 0;
    for (let round = 0; round < 100 && received.length < total; round += 1) {
      const socket = await TestSocket.open(portal, bearer(key));
      expect(await socket.resume(lastSeen)).toBe(lastSeen);
      // Read a random number of events, then drop the connection without warning.
      const want = Math.min(total - received.length, 1 + Math.floor(random() * 55));
      for (const event of await socket.events(want, 20_000)) {
        received.push(event.seq);
        lastSeen = event.seq;
      }
      if (received.length < total) drops += 1;
      await socket.terminate();
    }
    const appended = (await appending).map((event) => event.seq);
    expect(drops).toBeGreaterThanOrEqual(5);
    const unique = [...new Set(received)];
    expect(unique).toEqual(appended);
    expect(unique).toEqual([...unique].sort((a, b) => a - b));
    expect(appended[0]).toBe(start + 1);
    expect(appended[appended.length - 1] - appended[0]).toBe(total - 1);
  });

  it('the SDK stream resumes across a Portal restart and hands every event over exactly once', async () => {
    const key = await newKey();
    const seen: PortalEvent[] = [];
    const errors: Error[] = [];
    let resumes = 0;
    const stream = new PortalEventStream({
      baseUrl: portal.url,
      apiKey: key,
      after: await latestSeq(portal),
      minReconnectDelayMs: 20,
      maxReconnectDelayMs: 200,
      onEvent: (event) => {
        seen.push(event);
        stream.ack(event.seq);
      },
      onError: (error) => errors.push(error),
      onResumed: () => {
        resumes += 1;
      },
    }).start();
    try {
      const first = await appendEvents(portal, 20, 'sdk-a');
      await until(() => seen.length >= 20);
      await portal.stop();
      await portal.start();
      const second = await appendEvents(portal, 20, 'sdk-b');
      await until(() => seen.length >= 40);
      expect(seen.map((e) => e.seq)).toEqual([...first, ...second].map((e) => e.seq));
      expect(resumes).toBeGreaterThanOrEqual(2);
      const event = seen[0];
      if (event.type === 'guestbook.message') expect(event.payload.name).toBe('sdk-a-0');
      else throw new Error(`unexpected type ${event.type}`);
    } finally {
      await stream.close();
    }
    // Acks went through: a fresh reader of this key starts after the last event.
    const socket = await TestSocket.open(portal, bearer(key));
    expect(await socket.resume()).toBe(seen[seen.length - 1].seq);
    await socket.close();
  });

  it('replays un-acked events to an owner key that resumes from the server cursor; acked ones are not replayed', async () => {
    const key = await newKey();
    const base = await latestSeq(portal);
    const events = await appendEvents(portal, 5, 'ack');
    const first = await TestSocket.open(portal, bearer(key));
    expect(await first.resume(base)).toBe(base);
    const got = await first.events(5);
    expect(got.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    first.send({ type: 'ack', seq: events[2].seq });
    expect(await first.next((f) => f.type === 'acked')).toMatchObject({ ackedSeq: events[2].seq });
    // A lower ack never moves the cursor back.
    first.send({ type: 'ack', seq: events[0].seq });
    expect(await first.next((f) => f.type === 'acked')).toMatchObject({ ackedSeq: events[2].seq });
    await first.terminate();

    const second = await TestSocket.open(portal, bearer(key));
    expect(await second.resume()).toBe(events[2].seq);
    expect((await second.events(2)).map((e) => e.seq)).toEqual([events[3].seq, events[4].seq]);
    // An ack beyond the newest event stops at the newest event.
    second.send({ type: 'ack', seq: 10_000_000 });
    expect(await second.next((f) => f.type === 'acked')).toMatchObject({ ackedSeq: await latestSeq(portal) });
    await second.close();
  });

  it('streams live events appended after the replay, and events appended during a long replay, without gaps', async () => {
    const key = await newKey();
    const base = await latestSeq(portal);
    const backlog = await appendEvents(portal, 450, 'backlog');
    const socket = await TestSocket.open(portal, bearer(key));
    socket.send({ type: 'resume', after: base });
    expect(await socket.next((f) => f.type === 'resumed')).toEqual({ type: 'resumed', after: base, latestSeq: base + 450 });
    const more = appendEvents(portal, 50, 'during');
    const got = await socket.events(500, 30_000);
    const all = [...backlog, ...(await more)].map((e) => e.seq);
    expect(got.map((e) => e.seq)).toEqual(all);
    await socket.close();
  });

  it('keeps seq order without gaps while several producers append concurrently', async () => {
    const key = await newKey();
    const base = await latestSeq(portal);
    const socket = await TestSocket.open(portal, bearer(key));
    await socket.resume(base);
    const producers = await Promise.all([0, 1, 2, 3, 4].map((p) => appendEvents(portal, 40, `p${p}`)));
    const appended = producers
      .flat()
      .map((e) => e.seq)
      .sort((a, b) => a - b);
    const got = (await socket.events(200, 30_000)).map((e) => e.seq);
    expect(got).toEqual(appended);
    await socket.close();
  });

  it('a console session socket receives events but its acks never move an owner key cursor', async () => {
    const key = await newKey();
    await portal.client(key).ackEvents(await latestSeq(portal));
    const keySocket = await TestSocket.open(portal, bearer(key));
    const keyCursor = await keySocket.resume();
    expect(keyCursor).toBe(await latestSeq(portal));
    await keySocket.close();

    const cookie = await portal.login();
    const consoleSocket = await TestSocket.open(portal, { Cookie: cookie });
    // Without "after", a console starts from now.
    expect(await consoleSocket.resume()).toBe(await latestSeq(portal));
    const events = await appendEvents(portal, 3, 'console');
    expect((await consoleSocket.events(3)).map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    consoleSocket.send({ type: 'ack', seq: events[2].seq });
    expect(await consoleSocket.next((f) => f.type === 'acked')).toMatchObject({ ackedSeq: null });
    await consoleSocket.close();

    const again = await TestSocket.open(portal, bearer(key));
    expect(await again.resume()).toBe(keyCursor);
    expect((await again.events(3)).map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    await again.close();
    // The long-poll ack refuses console sessions.
    const response = await fetch(`${portal.url}/api/events/ack`, {
      method: 'POST',
      headers: { Cookie: cookie, 'content-type': 'application/json', 'x-requested-with': 'agent-p2p' },
      body: JSON.stringify({ seq: 1 }),
    });
    expect(response.status).toBe(403);
  });

  it('refuses missing, garbage, revoked and contact credentials on /ws before the upgrade; accepts an owner key and a session', async () => {
    const revoked = await portal.client().createKey('to-revoke');
    await portal.client().revokeKey(revoked.id);
    const contactKey = generateContactKey();
    const contacts = portal.app.get(DataSource).getRepository(Contact);
    await contacts.save(
      contacts.create({
        portalUrl: 'https://peer.example',
        status: 'active',
        agentName: 'peer',
        ownerName: '',
        keyHash: sha256Hex(contactKey),
        createdAt: new Date(),
        updatedAt: new Date(),
      }),
    );
    expect(await TestSocket.status(portal, {})).toBe(401);
    expect(await TestSocket.status(portal, bearer('garbage'))).toBe(401);
    expect(await TestSocket.status(portal, { Authorization: 'Basic abc' })).toBe(401);
    expect(await TestSocket.status(portal, bearer(`ap2p_o_${'x'.repeat(43)}`))).toBe(401);
    expect(await TestSocket.status(portal, bearer(revoked.key))).toBe(401);
    expect(await TestSocket.status(portal, { Cookie: 'ap2p_session=nope' })).toBe(401);
    expect(await TestSocket.status(portal, bearer(contactKey))).toBe(403);
    // A secret in the URL is not a credential.
    expect(await TestSocket.status(portal, {}, `/ws?key=${portal.ownerKey}`)).toBe(401);
    const cookie = await portal.login();
    expect(await TestSocket.status(portal, { Cookie: cookie, Origin: 'https://evil.example' })).toBe(403);

    expect(await TestSocket.status(portal, bearer(portal.ownerKey))).toBe(101);
    expect(await TestSocket.status(portal, { 'X-Api-Key': portal.ownerKey })).toBe(101);
    expect(await TestSocket.status(portal, { Cookie: cookie })).toBe(101);
    expect(await TestSocket.status(portal, { Cookie: cookie, Origin: portal.url })).toBe(101);
  });

  it("a console session from another origin is refused: scheme, host and port must all be this Portal's", async () => {
    const cookie = await portal.login();
    const port = portal.config.port;
    for (const origin of [
      `https://127.0.0.1:${port}`,
      `ws://127.0.0.1:${port}`,
      `http://127.0.0.1:${port + 1}`,
      'http://127.0.0.1',
      'null',
      'not a url',
    ]) {
      expect({ origin, status: await TestSocket.status(portal, { Cookie: cookie, Origin: origin }) }).toEqual({ origin, status: 403 });
    }
    expect(await TestSocket.status(portal, { Cookie: cookie, Origin: `http://127.0.0.1:${port}` })).toBe(101);
    // The owner key is not a browser credential: no origin check.
    expect(await TestSocket.status(portal, { Authorization: `Bearer ${portal.ownerKey}`, Origin: `https://127.0.0.1:${port}` })).toBe(101);
  });

  it('limits sockets per credential', async () => {
    const key = await newKey();
    const open = await Promise.all([1, 2, 3, 4].map(() => TestSocket.open(portal, bearer(key))));
    expect(await TestSocket.status(portal, bearer(key))).toBe(429);
    await open[0].close();
    await until(async () => (await TestSocket.status(portal, bearer(key))) === 101);
    await Promise.all(open.map((socket) => socket.close()));
  });

  it('answers pings, invalid JSON, unknown types and bad values with frames; closes on oversized frames', async () => {
    const socket = await TestSocket.open(portal, bearer(portal.ownerKey));
    socket.send({ type: 'ping' });
    expect(await socket.next()).toEqual({ type: 'pong' });
    socket.send('not json');
    expect(await socket.next()).toMatchObject({ type: 'error' });
    socket.send('[1,2]');
    expect(await socket.next()).toMatchObject({ type: 'error' });
    socket.send({ type: 'subscribe' });
    expect(await socket.next()).toMatchObject({ type: 'error', message: expect.stringContaining('Unknown frame type') });
    for (const after of [-1, 1.5, 'x', 2 ** 60]) {
      socket.send({ type: 'resume', after });
      expect(await socket.next()).toMatchObject({ type: 'error', message: expect.stringContaining('"after"') });
    }
    socket.send({ type: 'ack', seq: 'x' });
    expect(await socket.next()).toMatchObject({ type: 'error', message: expect.stringContaining('"seq"') });
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await socket.next()).toMatchObject({ type: 'error' });
    await socket.resume(0);
    socket.send({ type: 'resume', after: 0 });
    expect(await socket.next((f) => f.type === 'error')).toMatchObject({ message: expect.stringContaining('Already resumed') });
    socket.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(70_000) }));
    expect((await socket.waitClosed()).code).toBe(1009);
  });

  it('long-polls: backlog at once, waits for an event, empty after the wait', async () => {
    const client = portal.client(await newKey());
    const base = await latestSeq(portal);
    const backlog = await appendEvents(portal, 3, 'poll');
    const started = Date.now();
    const page = await client.listEvents({ after: base, wait: 30 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(page.events.map((e) => e.seq)).toEqual(backlog.map((e) => e.seq));
    expect(page.lastSeq).toBe(backlog[2].seq);
    expect(page.events[0]).toMatchObject({ type: 'guestbook.message', payload: { name: 'poll-0' } });

    const limited = await client.listEvents({ after: base, limit: 2 });
    expect(limited.events.map((e) => e.seq)).toEqual(backlog.slice(0, 2).map((e) => e.seq));

    // Waits, and returns as soon as an event arrives.
    const waiting = client.listEvents({ after: page.lastSeq, wait: 30 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const waitStart = Date.now();
    const [late] = await appendEvents(portal, 1, 'late');
    const woke = await waiting;
    expect(Date.now() - waitStart).toBeLessThan(5_000);
    expect(woke.events.map((e) => e.seq)).toEqual([late.seq]);

    // Nothing arrives: empty after the wait, cursor unchanged.
    const emptyStart = Date.now();
    const empty = await client.listEvents({ after: late.seq, wait: 1 });
    expect(Date.now() - emptyStart).toBeGreaterThanOrEqual(900);
    expect(empty).toEqual({ events: [], lastSeq: late.seq });

    // Without "after", an owner key reads from its acked cursor.
    await client.ackEvents(backlog[1].seq);
    const fromCursor = await client.listEvents({});
    expect(fromCursor.events[0].seq).toBe(backlog[2].seq);
    expect(await client.ackEvents(late.seq)).toEqual({ ackedSeq: late.seq });
    expect(await client.ackEvents(1)).toEqual({ ackedSeq: late.seq });
  });

  it('refuses bad long-poll and ack parameters with 400 and moves no cursor', async () => {
    const key = await newKey();
    const client = portal.client(key);
    await client.ackEvents(1);
    const before = (await client.listEvents({ limit: 1 })).lastSeq;
    for (const query of [
      'after=-1',
      'after=abc',
      'after=1.5',
      'after=',
      'after=99999999999999999999',
      'wait=61',
      'wait=-1',
      'wait=x',
      'limit=0',
      'limit=1001',
      'limit=NaN',
      'other=1',
    ]) {
      const response = await fetch(`${portal.url}/api/events?${query}`, { headers: bearer(key) });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
    for (const body of [{ seq: -1 }, { seq: 'x' }, { seq: 1.5 }, {}, { seq: 2 ** 60 }, { seq: 1, other: true }]) {
      await expect(client.raw.POST('/api/events/ack', { body: body as { seq: number } }).then((r) => r.response.status)).resolves.toBe(400);
    }
    expect((await client.listEvents({ limit: 1 })).lastSeq).toBe(before);
    const unauthenticated = await fetch(`${portal.url}/api/events`);
    expect(unauthenticated.status).toBe(401);
    await expect(portal.client('nope').listEvents()).rejects.toBeInstanceOf(PortalApiError);
  });

  it('closes sockets with 1001 on shutdown', async () => {
    const socket = await TestSocket.open(portal, bearer(portal.ownerKey));
    await socket.resume();
    await portal.stop();
    expect((await socket.waitClosed()).code).toBe(1001);
    await portal.start();
  });
});

describe('event stream heartbeat', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_WS_HEARTBEAT_SECONDS: '1' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('drops a client that stops answering pings and keeps one that answers', async () => {
    const silent = await TestSocket.open(portal, bearer(portal.ownerKey), { autoPong: false });
    const healthy = await TestSocket.open(portal, bearer(portal.ownerKey));
    let pings = 0;
    healthy.ws.on('ping', () => {
      pings += 1;
    });
    const closed = await silent.waitClosed(10_000);
    expect(closed.code).toBe(1006);
    await until(() => pings >= 3);
    expect(healthy.closed).toBeNull();
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    await healthy.close();
  });

  it('closes the sockets of a key once it is revoked', async () => {
    const key = await portal.client().createKey('soon-revoked');
    const socket = await TestSocket.open(portal, bearer(key.key));
    await socket.resume();
    await portal.client().revokeKey(key.id);
    expect((await socket.waitClosed()).code).toBe(4401);
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)('event stream across Portal instances on one PostgreSQL database', () => {
  let portal: TestPortal;
  let second: PortalApp | null = null;
  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await second?.app.close();
    await portal.destroy();
  });

  it('wakes readers on another instance through LISTEN/NOTIFY', async () => {
    const port = await freePort();
    second = await createPortalApp({
      config: { ...portal.config, port },
      logger: createLogger('silent'),
      database: { postgresSchema: (portal as unknown as { schema: string }).schema },
    });
    await initPortalApp(second);
    await second.app.listen({ port, host: '127.0.0.1' });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: bearer(portal.ownerKey) });
    const frames: Array<{ type: string; event?: { seq: number } }> = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'resume', after: await latestSeq(portal) }));
    await until(() => frames.some((f) => f.type === 'resumed'));
    // Appended (and woken) on the first instance only; the safety poll is 5 s, so a fast arrival is NOTIFY's.
    const started = Date.now();
    const [event] = await appendEvents(portal, 1, 'notify');
    await until(() => frames.some((f) => f.type === 'event'), 4_000);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(frames.find((f) => f.type === 'event')?.event?.seq).toBe(event.seq);
    ws.close();
  });
});

/** Polls a condition (bounded), for outcomes that have no event to await. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
