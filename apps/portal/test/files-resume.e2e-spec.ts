import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPortalClient, type PortalClient } from '@agent-p2p/sdk';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomToken } from '../src/common/secrets';
import { PeerClient, type PeerRequest } from '../src/federation/peer-client';
import { eventsOf, filesUnder, freePort, PEER_ENV, sha256, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
const ROOT = process.cwd();
const MAIN = join(ROOT, 'apps/portal/dist/main.js');
const SIZE = 200 * 1024 * 1024;
const CHUNK = 8 * 1024 * 1024;
const CHUNKS = SIZE / CHUNK;

/** Writes `size` deterministic pseudo-random bytes (AES-256-CTR of zeros) to path; returns their SHA-256. */
async function writePseudoRandomFile(path: string, size: number): Promise<string> {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 1));
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  for (let written = 0; written < size; written += zeros.length) {
    const block = cipher.update(zeros.subarray(0, Math.min(zeros.length, size - written)));
    hash.update(block);
    if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return hash.digest('hex');
}

/** The receiving Portal as a real child process, so it can be killed with SIGKILL. */
class ChildPortal {
  readonly ownerKey = `ap2p_o_${randomToken()}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'ap2p-child-'));
  child: ChildProcess | null = null;
  output = '';

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  client(): PortalClient {
    return createPortalClient({ baseUrl: this.url, apiKey: this.ownerKey });
  }

  async start(): Promise<void> {
    // Always embedded SQLite: the child cannot be handed a PostgreSQL test schema through its environment.
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...PEER_ENV,
        PORTAL_PORT: String(this.port),
        PORTAL_HOST: '127.0.0.1',
        PORTAL_DATA_DIR: this.dataDir,
        PORTAL_OWNER_KEY: this.ownerKey,
        PORTAL_CONSOLE_PASSWORD: `pw-${randomToken(12)}`,
        PORTAL_LOG_LEVEL: 'warn',
        PORTAL_MIN_FREE_DISK_MB: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (data: Buffer) => (this.output = (this.output + data.toString()).slice(-4000)));
    child.stderr!.on('data', (data: Buffer) => (this.output = (this.output + data.toString()).slice(-4000)));
    this.child = child;
    await waitFor(
      'the child Portal to answer /health',
      async () => {
        if (child.exitCode !== null) throw new Error(`the child Portal exited: ${this.output}`);
        try {
          return (await fetch(`${this.url}/health`)).status === 200;
        } catch {
          return false;
        }
      },
      30_000,
    );
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

describe('a 200 MB file survives SIGKILL of the receiving Portal', () => {
  let workDir: string;
  let source: string;
  let sourceSha: string;
  let a: TestPortal;
  let b: ChildPortal;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'apps/portal'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
    workDir = mkdtempSync(join(tmpdir(), 'ap2p-bigfile-'));
    source = join(workDir, 'big.bin');
    sourceSha = await writePseudoRandomFile(source, SIZE);
    a = await startPeer();
    b = new ChildPortal(await freePort());
    await b.start();
  }, 180_000);

  afterAll(async () => {
    await b?.destroy();
    await a?.destroy();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('resumes after the restart without re-sending verified chunks; B has the right SHA-256', async () => {
    // A asks B; B's owner approves.
    const contact = await a.client().createContact(b.url, 'files');
    const request = await waitFor('B to see the request', async () =>
      (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === a.url),
    );
    await b.client().approveContactRequest(request.id);
    await waitFor('the contact to be active', async () => (await a.client().getContact(contact.id)).status === 'active');

    // Every chunk A sends to B, with B's answer. A relays while the agent still uploads, so B is
    // killed from here, in the middle of the relay: right after it verified a third of the chunks.
    const sends: Array<{ index: number; status: number | 'error'; afterRestart: boolean }> = [];
    let restarted = false;
    const kill: { done: Promise<void> | null } = { done: null };
    const peers = a.app.get(PeerClient);
    const send = peers.send.bind(peers);
    peers.send = async (peerRequest: PeerRequest) => {
      const match = /\/chunks\/(\d+)$/.exec(peerRequest.path);
      const afterRestart = restarted;
      try {
        const response = await send(peerRequest);
        if (match) sends.push({ index: Number(match[1]), status: response.status, afterRestart });
        if (!kill.done && sends.filter((s) => s.status === 200).length >= Math.floor(CHUNKS / 3)) {
          kill.done = b.kill('SIGKILL');
          await kill.done;
        }
        return response;
      } catch (error) {
        if (match) sends.push({ index: Number(match[1]), status: 'error', afterRestart });
        throw error;
      }
    };

    // The agent uploads to its own Portal, chunk by chunk, never holding more than one chunk.
    const client = a.client();
    const upload = await client.createFileUpload({
      contactId: contact.id,
      name: 'dataset.bin',
      size: SIZE,
      sha256: sourceSha,
      mime: 'application/octet-stream',
    });
    expect(upload).toMatchObject({ chunkSize: CHUNK, chunks: CHUNKS });
    const handle = await open(source, 'r');
    try {
      const buffer = Buffer.alloc(CHUNK);
      for (let index = 0; index < CHUNKS; index += 1) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, index * CHUNK);
        const chunk = buffer.subarray(0, bytesRead);
        await client.uploadFileChunk(upload.id, index, chunk, sha256(chunk));
      }
    } finally {
      await handle.close();
    }

    // B was killed in the middle of the relay.
    await waitFor('B to be killed after a third of the chunks', async () => kill.done !== null, 120_000);
    await kill.done;
    const verifiedBeforeKill = new Set(sends.filter((s) => s.status === 200).map((s) => s.index));
    expect(verifiedBeforeKill.size).toBeLessThan(CHUNKS);
    await waitFor('A to notice that B is gone', async () => (await client.getFile(upload.id)).delivery?.lastError ?? false, 30_000);
    restarted = true;
    await b.start();

    const delivered = await waitFor(
      'file.delivered on A',
      async () => (await eventsOf(a, 'file.delivered')).find((e) => e.payload.fileId === upload.id),
      120_000,
    );
    expect(delivered.payload.contactId).toBe(contact.id);

    // No chunk B had verified before the kill was sent again after the restart.
    const resent = sends.filter((s) => s.afterRestart && verifiedBeforeKill.has(s.index));
    expect(resent).toEqual([]);
    const okIndexes = sends.filter((s) => s.status === 200).map((s) => s.index);
    expect(new Set(okIndexes).size).toBe(CHUNKS);
    // At most the chunk in flight at the kill is sent twice.
    expect(okIndexes.length).toBeLessThanOrEqual(CHUNKS + 1);

    // B's copy: all chunks, the right SHA-256, stored by B's id.
    const copy = (await b.client().listFiles({ direction: 'in' })).find((f) => f.name === 'dataset.bin');
    expect(copy).toMatchObject({ status: 'received', size: SIZE, sha256: sourceSha, chunks: CHUNKS });
    expect(copy!.receivedRanges).toEqual([[0, CHUNKS - 1]]);
    expect(filesUnder(join(b.dataDir, 'files')).filter((p) => p.startsWith(copy!.id))).toHaveLength(CHUNKS);
    const response = await b.client().downloadFile(copy!.id);
    const hash = createHash('sha256');
    for await (const data of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(data);
    expect(hash.digest('hex')).toBe(sourceSha);
    const received = await b.client().listEvents({ after: 0, limit: 1000 });
    expect(received.events.filter((e) => e.type === 'file.received').map((e) => e.payload)).toEqual([
      expect.objectContaining({ fileId: copy!.id, name: 'dataset.bin', size: SIZE, sha256: sourceSha }),
    ]);
  }, 300_000);
});
