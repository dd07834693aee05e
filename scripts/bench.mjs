#!/usr/bin/env node
// npm run bench: measures, in one run on this machine, on loopback only and bounded in time:
//  (1) the ceiling: a bare Node http server that parses the same JSON body;
//  (2) Portal B accepting federation messages from 32 concurrent senders (32 contacts) while a
//      WebSocket client consumes and acks the events: messages/s, p50/p99 latency, RSS;
//  (3) end to end: A POST /api/messages → B's WebSocket event, at 200 messages/s: p50/p99;
//  (5) the highest rate one contact sustains A → B (rising steps) with p99 ≤ 50 ms;
//  (4) files: a raw loopback upload of BENCH_FILE_MB (default 1024) MB to a bare Node server that
//      writes it to disk (the ceiling), then `agent-p2p send-file` of the same file to A (the built
//      CLI as a child process) and A's relay to B until B has verified it: MB/s of each, the ratio, peak RSS of both Portals.
// Every Portal runs in its own process, as `node apps/portal/dist/main.js` (npm run bench builds).
import { spawn } from 'node:child_process';
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const WebSocket = require('ws');

const root = new URL('..', import.meta.url).pathname;
const SENDERS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS || 8);
/** Signed calls prepared per sender of phase (2) before it starts (about 1.5 × what it sends at the target rate). */
const SIGNED_POOL = Number(process.env.BENCH_SIGNED_POOL || 1500);
const E2E_RATE = 200;
const E2E_SECONDS = Number(process.env.BENCH_E2E_SECONDS || 10);
const CONTENT = 'Hello from the benchmark. '.repeat(8); // ~200 bytes, a typical agent message
const children = new Set();

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

// ---------- helpers ----------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const key = (prefix) => prefix + randomBytes(32).toString('base64url');
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
}

const ms = (value) => `${value.toFixed(2)} ms`;
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

/** CPU seconds (user + system) a process has used so far. */
function cpuOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
  } catch {
    return NaN;
  }
}

/** Starts a Portal process and waits for /health. */
async function startPortal(name, env) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `ap2p-bench-${name}-`));
  const ownerKey = key('ap2p_o_');
  const settings = {
    ...process.env,
    PORTAL_PORT: String(port),
    PORTAL_HOST: '127.0.0.1',
    PORTAL_DATA_DIR: dataDir,
    PORTAL_DATABASE_URL: '',
    PORTAL_OWNER_KEY: ownerKey,
    PORTAL_CONSOLE_PASSWORD: 'bench-password-123',
    PORTAL_ALLOW_INSECURE_PEERS: 'true',
    PORTAL_ALLOW_PRIVATE_PEERS: 'true',
    PORTAL_CONTACT_REQUESTS_PER_MINUTE: '1000000',
    PORTAL_LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    ...env,
  };
  const portal = { name, port, dataDir, ownerKey, url: `http://127.0.0.1:${port}`, env: settings, child: null };
  await launch(portal);
  return portal;
}

async function launch(portal) {
  const flags = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...flags, join(root, 'apps/portal/dist/main.js')], {
    env: portal.env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  portal.child = child;
  const started = Date.now();
  for (;;) {
    try {
      const response = await fetch(`${portal.url}/health`);
      if (response.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 20_000) throw new Error(`${portal.name} did not start`);
    await sleep(50);
  }
  return Date.now() - started;
}

async function stopPortal(portal) {
  const child = portal.child;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function api(portal, method, path, body) {
  const response = await fetch(portal.url + path, {
    method,
    headers: { authorization: `Bearer ${portal.ownerKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** POSTs with a keep-alive agent; resolves with the status. */
function post(agent, port, path, headers, payload) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** SENDERS loops, each posting as fast as its previous answer allows, for `seconds`. */
async function load(port, path, makeRequest, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  const latencies = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, sender) => {
      while (performance.now() < deadline) {
        const { headers, payload } = makeRequest(sender);
        const started = performance.now();
        const status = await post(agent, port, path, headers, payload);
        latencies.push(performance.now() - started);
        if (status >= 300) errors += 1;
      }
    }),
  );
  agent.destroy();
  return { count: latencies.length, perSecond: latencies.length / seconds, errors, ...summary(latencies) };
}

function federationBody() {
  return Buffer.from(JSON.stringify({ id: randomUUID(), content: CONTENT, type: 'text', sentAt: new Date().toISOString() }));
}

/** A WebSocket consumer that acks every event; counts what it saw. */
function consume(portal, onEvent = () => {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${portal.port}/ws`, { headers: { authorization: `Bearer ${portal.ownerKey}` } });
    const state = { ws, events: 0, lastSeq: 0 };
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'resume' }));
      resolve(state);
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type !== 'event') return;
      state.events += 1;
      state.lastSeq = frame.event.seq;
      onEvent(frame.event);
      ws.send(JSON.stringify({ type: 'ack', seq: frame.event.seq }));
    });
    ws.on('error', reject);
  });
}

// ---------- (1) the ceiling ----------

async function ceiling() {
  const port = await freePort();
  const code = `
    const http = require('node:http');
    http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: body.id, receivedAt: new Date().toISOString(), duplicate: false }));
      });
    }).listen(${port}, '127.0.0.1', () => process.send('ready'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.add(child);
  await new Promise((resolve) => child.once('message', resolve));
  const result = await load(port, '/api/federation/messages', () => ({ headers: {}, payload: federationBody() }), SECONDS);
  result.rss = rssOf(child.pid);
  child.kill('SIGKILL');
  return result;
}

// ---------- (2) Portal B under 32 concurrent senders ----------

async function portalUnderLoad() {
  const b = await startPortal('b', {});
  await stopPortal(b);
  // 32 active contacts, inserted directly: each sender holds one contact key and one identity key,
  // pinned as the handshake would have pinned it. Every call is signed like a Portal signs it.
  const { generateIdentityKey } = require(join(root, 'apps/portal/dist/common/identity-keys.js'));
  const { contentDigestOf, signCall } = require(join(root, 'apps/portal/dist/common/http-signatures.js'));
  const keys = Array.from({ length: SENDERS }, () => key('ap2p_c_'));
  const identities = keys.map(() => generateIdentityKey());
  const db = new Database(join(b.dataDir, 'portal.sqlite'));
  const insert = db.prepare(
    `INSERT INTO contacts (portal_url, status, direction, request_id, agent_name, owner_name, message, key_hash, key_sealed, created_at, updated_at,
       peer_key_state, peer_key_id, peer_public_key, peer_key_pinned_at)
     VALUES (?, 'active', 'incoming', ?, ?, '', '', ?, NULL, datetime('now'), datetime('now'), 'pinned', ?, ?, datetime('now'))`,
  );
  keys.forEach((k, i) =>
    insert.run(
      `https://sender-${i}.example.test`,
      randomUUID(),
      `sender ${i}`,
      sha256(k),
      identities[i].identity.keyId,
      identities[i].identity.publicKey,
    ),
  );
  db.close();
  const target = `${b.url}/api/federation/messages`;
  const signed = (sender) => {
    const payload = federationBody();
    const headers = { 'content-digest': contentDigestOf(payload), authorization: `Bearer ${keys[sender]}` };
    const { keyId } = identities[sender].identity;
    Object.assign(headers, signCall({ method: 'POST', url: target, headers }, { keyId, privateKey: identities[sender].privateKey }));
    return { headers, payload };
  };
  // The senders' signing is their own Portals' work, not B's: calls are signed before the clock
  // starts (a pool per sender; a sender that uses its pool up signs the rest as it goes).
  const pools = keys.map((_, sender) => Array.from({ length: SIGNED_POOL }, () => signed(sender)));
  await launch(b);
  const idleRss = rssOf(b.child.pid);
  const consumer = await consume(b);
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(b.child.pid))), 200);
  const result = await load(b.port, '/api/federation/messages', (sender) => pools[sender].pop() ?? signed(sender), SECONDS);
  // Let the consumer catch up with the events of every accepted message.
  const expected = result.count - result.errors;
  const deadline = Date.now() + 30_000;
  while (consumer.events < expected && Date.now() < deadline) await sleep(20);
  clearInterval(sampler);
  result.eventsConsumed = consumer.events;
  result.idleRss = idleRss;
  result.peakRss = peakRss;
  consumer.ws.close();
  await stopPortal(b);
  rmSync(b.dataDir, { recursive: true, force: true });
  return result;
}

// ---------- (3) end to end A → B at 200 messages/s, and (5) the highest rate one contact sustains ----------

/** Two Portals, A a contact of B's, and a WS client on B recording when each message's event arrives. */
async function e2ePair() {
  const [a, b] = await Promise.all([startPortal('a', {}), startPortal('b', {})]);
  const contact = await api(a, 'POST', '/api/contacts', { portalUrl: b.url, message: 'bench' });
  let request;
  for (let i = 0; i < 200 && !request; i += 1) {
    request = (await api(b, 'GET', '/api/contact-requests?status=pending'))[0];
    if (!request) await sleep(25);
  }
  if (!request) throw new Error('the contact request never reached B');
  await api(b, 'POST', `/api/contact-requests/${request.id}/approve`);
  for (let i = 0; i < 200; i += 1) {
    if ((await api(a, 'GET', `/api/contacts/${contact.id}`)).status === 'active') break;
    await sleep(25);
  }
  const sentAt = new Map();
  const latencies = [];
  const consumer = await consume(b, (event) => {
    if (event.type !== 'message.received') return;
    const started = sentAt.get(event.payload.content);
    if (started !== undefined) {
      latencies.push(performance.now() - started);
      if (process.env.BENCH_DEBUG && latencies[latencies.length - 1] > 50) {
        // Where the time went: client → A's send, A's send → B's store, B's store → the client.
        const sent = Date.parse(event.payload.sentAt);
        const received = Date.parse(event.payload.receivedAt);
        const postedAt = Date.now() - latencies[latencies.length - 1];
        console.log(
          'slow',
          event.payload.content.split(' ').slice(0, 2).join(' '),
          latencies[latencies.length - 1].toFixed(0),
          `toA ${(sent - postedAt).toFixed(0)} AtoB ${received - sent} Bout ${Date.now() - received} at ${Date.now() % 100000}`,
        );
      }
    }
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const close = async () => {
    agent.destroy();
    consumer.ws.close();
    await Promise.all([stopPortal(a), stopPortal(b)]);
    for (const p of [a, b]) rmSync(p.dataDir, { recursive: true, force: true });
  };
  return { a, b, contact, sentAt, latencies, agent, close };
}

/** POSTs `rate` messages/s to A for `seconds`; waits (bounded) for their events on B; latencies of this run only. */
async function runAtRate(pair, rate, seconds, label) {
  const { a, b, contact, sentAt, latencies, agent } = pair;
  const first = latencies.length;
  const cpuBefore = [cpuOf(a.child.pid), cpuOf(b.child.pid), process.cpuUsage()];
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const begin = performance.now();
  const sends = [];
  let errors = 0;
  for (let i = 0; i < total; i += 1) {
    const due = begin + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const content = `${label} ${i} ${CONTENT}`;
    sentAt.set(content, performance.now());
    const payload = Buffer.from(JSON.stringify({ contactId: contact.id, content }));
    sends.push(
      post(agent, a.port, '/api/messages', { authorization: `Bearer ${a.ownerKey}` }, payload).then((status) => {
        if (status !== 202) errors += 1;
      }),
    );
  }
  await Promise.all(sends);
  const achievedRate = total / ((performance.now() - begin) / 1000);
  const deadline = Date.now() + 30_000;
  while (latencies.length - first < total - errors && Date.now() < deadline) await sleep(20);
  const mine = latencies.slice(first);
  if (process.env.BENCH_DEBUG) {
    const client = process.cpuUsage(cpuBefore[2]);
    const perMessage = (seconds) => `${((seconds * 1000) / total).toFixed(2)} ms`;
    console.log(
      `    CPU per message: A ${perMessage(cpuOf(a.child.pid) - cpuBefore[0])}  B ${perMessage(cpuOf(b.child.pid) - cpuBefore[1])}  client ${perMessage((client.user + client.system) / 1e6)}`,
    );
  }
  return { sent: total, received: mine.length, errors, achievedRate, ...summary(mine) };
}

async function endToEnd() {
  const pair = await e2ePair();
  const result = await runAtRate(pair, E2E_RATE, E2E_SECONDS, 'e2e');
  Object.assign(result, { rssA: rssOf(pair.a.child.pid), rssB: rssOf(pair.b.child.pid) });
  await pair.close();
  return result;
}

const RATE_STEPS = (process.env.BENCH_RATES || '200,300,400,500,750,1000,1500,2000,3000,4000').split(',').map(Number);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS || 4);

/** (5) Rising rates, one contact A → B, until p99 passes 50 ms or messages go missing: the highest rate that held. */
async function sustainedRate() {
  const pair = await e2ePair();
  const steps = [];
  try {
    await runAtRate(pair, 200, 1, 'warm');
    for (const rate of RATE_STEPS) {
      const step = await runAtRate(pair, rate, RATE_SECONDS, `rate${rate}`);
      steps.push({ rate, ...step });
      const held = step.p99 <= 50 && step.received === step.sent && step.errors === 0 && step.achievedRate >= rate * 0.95;
      console.log(
        `    ${String(rate).padStart(5)} msg/s asked, ${step.achievedRate.toFixed(0)} sent: p50 ${ms(step.p50)}  p99 ${ms(step.p99)}  received ${step.received}/${step.sent}${held ? '' : '  ← beyond'}`,
      );
      if (!held) break;
    }
  } finally {
    await pair.close();
  }
  const held = steps.filter(
    (step) => step.p99 <= 50 && step.received === step.sent && step.errors === 0 && step.achievedRate >= step.rate * 0.95,
  );
  return { steps, best: held.length ? held[held.length - 1].rate : 0 };
}

// ---------- (4) files ----------

const FILE_MB = Number(process.env.BENCH_FILE_MB || 1024);

/** FILE_MB of deterministic pseudo-random bytes in a temporary file; returns its path and SHA-256. */
async function makeSourceFile(dir) {
  const path = join(dir, 'source.bin');
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 3), Buffer.alloc(16, 5));
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const zeros = Buffer.alloc(4 * 1048576);
  for (let i = 0; i < FILE_MB / 4; i += 1) {
    const block = cipher.update(zeros);
    hash.update(block);
    if (!out.write(block)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve) => out.end(resolve));
  return { path, sha256: hash.digest('hex'), size: FILE_MB * 1048576 };
}

/** The ceiling: one streamed PUT of the whole file to a bare server that writes it to disk. */
async function fileCeiling(source, dir) {
  const target = join(dir, 'ceiling.bin');
  const server = createServer((req, res) => {
    const out = createWriteStream(target);
    req.pipe(out);
    out.on('finish', () => res.end('ok'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const begin = performance.now();
  await new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.address().port, method: 'PUT', path: '/', headers: { 'content-length': source.size } },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    createReadStream(source.path, { highWaterMark: 1048576 }).pipe(req);
  });
  const seconds = (performance.now() - begin) / 1000;
  server.close();
  rmSync(target, { force: true });
  return { mbPerSecond: FILE_MB / seconds, seconds };
}

/** Runs the built CLI against a Portal; `sample(pid)` is called every 50 ms while it runs. */
function runCli(args, portal, sample) {
  return new Promise((resolve, reject) => {
    const flags = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    const child = spawn(process.execPath, [...flags, join(root, 'apps/bridge/dist/cli.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), AGENTP2P_HUB_URL: portal.url, AGENTP2P_API_KEY: portal.ownerKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const sampler = setInterval(() => sample(child.pid), 50);
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(sampler);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `agent-p2p send-file` uploads to A (chunks streamed from disk); A relays to B; done at B's verification. */
async function fileEndToEnd(source) {
  const [a, b] = await Promise.all([startPortal('fa', {}), startPortal('fb', {})]);
  const contact = await api(a, 'POST', '/api/contacts', { portalUrl: b.url, message: 'bench' });
  let pending;
  for (let i = 0; i < 200 && !pending; i += 1) {
    pending = (await api(b, 'GET', '/api/contact-requests?status=pending'))[0];
    if (!pending) await sleep(25);
  }
  await api(b, 'POST', `/api/contact-requests/${pending.id}/approve`);
  for (let i = 0; i < 200; i += 1) {
    if ((await api(a, 'GET', `/api/contacts/${contact.id}`)).status === 'active') break;
    await sleep(25);
  }
  const baseA = rssOf(a.child.pid);
  const baseB = rssOf(b.child.pid);
  let peakA = baseA;
  let peakB = baseB;
  let peakCli = 0;
  const sampler = setInterval(() => {
    peakA = Math.max(peakA, rssOf(a.child.pid) || 0);
    peakB = Math.max(peakB, rssOf(b.child.pid) || 0);
  }, 50);
  const begin = performance.now();
  const cli = await runCli(['send-file', '--to', String(contact.id), source.path, '--json'], a, (pid) => {
    peakCli = Math.max(peakCli, rssOf(pid) || 0);
  });
  if (cli.code !== 0) throw new Error(`agent-p2p send-file exited ${cli.code}: ${cli.stderr.trim()}`);
  const uploaded = performance.now();
  let received = null;
  const deadline = Date.now() + 600_000;
  while (!received && Date.now() < deadline) {
    received = (await api(b, 'GET', '/api/files?direction=in')).files.find((f) => f.status === 'received');
    if (!received) await sleep(50);
  }
  const seconds = (performance.now() - begin) / 1000;
  clearInterval(sampler);
  const result = {
    ok: Boolean(received && received.sha256 === source.sha256),
    mbPerSecond: FILE_MB / seconds,
    seconds,
    uploadSeconds: (uploaded - begin) / 1000,
    rssA: { base: baseA, peak: peakA },
    rssB: { base: baseB, peak: peakB },
    rssCli: peakCli,
  };
  await Promise.all([stopPortal(a), stopPortal(b)]);
  for (const p of [a, b]) rmSync(p.dataDir, { recursive: true, force: true });
  return result;
}

async function filesPhase() {
  const dir = mkdtempSync(join(tmpdir(), 'ap2p-bench-files-'));
  try {
    const source = await makeSourceFile(dir);
    const ceilingResult = await fileCeiling(source, dir);
    const e2e = await fileEndToEnd(source);
    return { ceiling: ceilingResult, e2e, ratio: e2e.mbPerSecond / ceilingResult.mbPerSecond };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function reportFiles(files) {
  const { ceiling: c, e2e, ratio: r } = files;
  console.log(`(4) files: ${FILE_MB} MB`);
  console.log(`    ceiling (bare server writing to disk): ${c.mbPerSecond.toFixed(0)} MB/s (${c.seconds.toFixed(1)} s)`);
  console.log(
    `    agent-p2p send-file to A + relay to B until verified: ${e2e.mbPerSecond.toFixed(0)} MB/s (${e2e.seconds.toFixed(1)} s, upload to A ${e2e.uploadSeconds.toFixed(1)} s) ${e2e.ok ? 'sha256 ok' : 'NOT RECEIVED'}`,
  );
  console.log(`    ratio ${(r * 100).toFixed(1)}% (target ≥ 25%)`);
  console.log(
    `    RSS A ${mb(e2e.rssA.base)} → peak ${mb(e2e.rssA.peak)} (+${mb(e2e.rssA.peak - e2e.rssA.base)}), B ${mb(e2e.rssB.base)} → peak ${mb(e2e.rssB.peak)} (+${mb(e2e.rssB.peak - e2e.rssB.base)}) (target growth ≤ 64 MB); CLI peak RSS ${mb(e2e.rssCli)}\n`,
  );
  return [
    ['(4) file transfer ≥ 25% of the ceiling', r >= 0.25 && e2e.ok],
    [
      '(4) RSS growth ≤ 64 MB on both Portals',
      e2e.rssA.peak - e2e.rssA.base <= 64 * 1048576 && e2e.rssB.peak - e2e.rssB.base <= 64 * 1048576,
    ],
  ];
}

// ---------- run ----------

const started = Date.now();
console.log(`Agent P2P benchmark — ${SENDERS} concurrent senders, ${SECONDS} s per load phase, node ${process.version}\n`);

// While profiling: "2", "4", "5" (phases 2, 3 and 5, no files) or "5-only" (phase 5 by itself).
const only = process.env.BENCH_ONLY;
if (only === '4') {
  const verdict = reportFiles(await filesPhase());
  for (const [what, ok] of verdict) console.log(`${ok ? 'PASS' : 'MISS'}  ${what}`);
  process.exit(0);
}
if (only === '5-only') {
  console.log(`(5) the highest rate one contact sustains A → B with p99 ≤ 50 ms (${RATE_SECONDS} s per step)`);
  console.log(`    sustained ${(await sustainedRate()).best} msg/s (target ≥ 2000)`);
  process.exit(0);
}
const base = only ? { perSecond: 14000, p50: NaN, p99: NaN, rss: NaN } : await ceiling();
console.log('(1) ceiling: bare Node http server parsing the same JSON body');
console.log(`    ${base.perSecond.toFixed(0)} req/s  p50 ${ms(base.p50)}  p99 ${ms(base.p99)}  RSS ${mb(base.rss)}\n`);

const portal = await portalUnderLoad();
const ratio = portal.perSecond / base.perSecond;
console.log('(2) Portal B: POST /api/federation/messages from 32 contacts, a WS client consuming and acking');
console.log(`    ${portal.perSecond.toFixed(0)} msg/s  p50 ${ms(portal.p50)}  p99 ${ms(portal.p99)}  errors ${portal.errors}`);
console.log(
  `    events consumed ${portal.eventsConsumed}/${portal.count - portal.errors}  RSS idle ${mb(portal.idleRss)} peak ${mb(portal.peakRss)}`,
);
console.log(`    ratio to the ceiling: ${(ratio * 100).toFixed(1)}% (target ≥ 15%), p99 target ≤ 25 ms\n`);

if (only === '2') process.exit(0);
const e2e = await endToEnd();
console.log(`(3) end to end: A POST /api/messages → B's WebSocket event, ${E2E_RATE} msg/s for ${E2E_SECONDS} s`);
console.log(`    achieved ${e2e.achievedRate.toFixed(0)} msg/s  received ${e2e.received}/${e2e.sent}  errors ${e2e.errors}`);
console.log(
  `    p50 ${ms(e2e.p50)}  p99 ${ms(e2e.p99)}  max ${ms(e2e.max)} (target p99 ≤ 50 ms)  RSS A ${mb(e2e.rssA)} B ${mb(e2e.rssB)}\n`,
);

console.log(`(5) the highest rate one contact sustains A → B with p99 ≤ 50 ms (${RATE_SECONDS} s per step)`);
const sustained = await sustainedRate();
console.log(`    sustained ${sustained.best} msg/s (target ≥ 2000)\n`);

const files = only === '5' ? [] : await filesPhase();
const fileVerdict = only === '5' ? [] : reportFiles(files);

const verdict = [
  ['(2) throughput ≥ 15% of the ceiling', ratio >= 0.15],
  ['(2) p99 ≤ 25 ms', portal.p99 <= 25],
  ['(2) every event consumed', portal.eventsConsumed >= portal.count - portal.errors],
  ['(3) p99 ≤ 50 ms', e2e.p99 <= 50],
  ['(3) every message arrived', e2e.received === e2e.sent - e2e.errors && e2e.errors === 0],
  ['(5) one contact sustains ≥ 2000 msg/s with p99 ≤ 50 ms', sustained.best >= 2000],
  ...fileVerdict,
];
for (const [what, ok] of verdict) console.log(`${ok ? 'PASS' : 'MISS'}  ${what}`);
console.log(`\nratio ${(ratio * 100).toFixed(1)}%  — finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
