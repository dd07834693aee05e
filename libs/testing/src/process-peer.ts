import { createPortalClient, type PortalClient } from '@agent-p2p/sdk';
import { randomToken } from '@agent-p2p/portal/src/common/secrets';
import { type Run, startPortal, waitHealthy } from './portal-process';
import type { TestPortal } from './test-portal';

/** Each SDK call to a process Portal gives up after this long (a killed Portal must not hang a test). */
const CALL_TIMEOUT_MS = 10_000;

const boundedFetch: typeof globalThis.fetch = (input, init) =>
  globalThis.fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(CALL_TIMEOUT_MS) });

/**
 * A Portal running as a child process (the built dist/main.js) that can be SIGKILLed and started
 * again on the same port, data directory and database. `peer` is the shape the pairing helpers
 * (connect() in pair.ts) need.
 */
export class ProcessPeer {
  readonly ownerKey = `ap2p_o_${randomToken()}`;
  readonly url: string;
  run: Run | null = null;
  /** How many times this Portal was started. */
  starts = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the Portal and waits (bounded) until it answers /health. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.run && this.run.child.exitCode === null && this.run.child.signalCode === null) {
      throw new Error(`${this.name} is already running`);
    }
    this.run = startPortal({
      PORTAL_HOST: '127.0.0.1',
      PORTAL_LOG_LEVEL: 'warn',
      ...this.env,
      PORTAL_PORT: String(this.port),
      PORTAL_OWNER_KEY: this.ownerKey,
    });
    this.starts += 1;
    await waitHealthy(this.run, this.url, timeoutMs);
  }

  /** SIGKILL, then waits until the process is gone (so the port is free again). */
  async kill(): Promise<void> {
    const run = this.run;
    if (!run || run.child.exitCode !== null || run.child.signalCode !== null) return;
    run.child.kill('SIGKILL');
    await run.exited;
  }

  client(): PortalClient {
    return createPortalClient({ baseUrl: this.url, apiKey: this.ownerKey, fetch: boundedFetch });
  }

  /** What connect() and friends use: the URL and an owner client. */
  get peer(): TestPortal {
    return { url: this.url, client: () => this.client() } as unknown as TestPortal;
  }

  /** The output of the current run (for failure messages). */
  output(): string {
    return this.run ? `${this.run.stderr()}${this.run.stdout()}` : '';
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same schedule. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
