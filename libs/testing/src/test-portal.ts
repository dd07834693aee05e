import { createPortalClient, type PortalClient } from '@agent-p2p/sdk';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { randomToken } from '@agent-p2p/portal/src/common/secrets';
import { createLogger } from '@agent-p2p/portal/src/common/logger';
import { loadConfig, type PortalConfig } from '@agent-p2p/portal/src/config/portal-config';
import { createPortalApp, initPortalApp, type PortalApp } from '@agent-p2p/portal/src/configure-app';

/** Set to a postgres:// URL to run the e2e tests on PostgreSQL (each Portal gets its own schema). */
export const TEST_DATABASE_URL = process.env.PORTAL_TEST_DATABASE_URL ?? '';
/** The PostgreSQL server used by the PostgreSQL-only tests (drift). */
export const POSTGRES_URL = process.env.PORTAL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** PostgreSQL-only tests run in CI and whenever a test database is named. */
export const POSTGRES_AVAILABLE = Boolean(TEST_DATABASE_URL) || process.env.CI === 'true';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `work` with a client of its own on the PostgreSQL server (tests create and drop their databases and schemas with it). */
export async function withPostgres<T>(work: (client: pg.Client) => Promise<T>, url = POSTGRES_URL): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createSchema(url: string): Promise<string> {
  const schema = `t_${randomToken(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')}`;
  await withPostgres((client) => client.query(`CREATE SCHEMA ${schema}`), url);
  return schema;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withPostgres((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`), url);
}

export interface TestPortalOptions {
  /** Extra PORTAL_* variables. */
  env?: Record<string, string>;
  /** Where the Portal logs (default: nowhere). */
  logger?: Logger;
}

/**
 * A real Portal on 127.0.0.1 with its own data directory (and, on PostgreSQL, its own schema).
 * stop()/start() restart it on the same port and data; destroy() removes everything.
 */
export class TestPortal {
  readonly ownerKey = `ap2p_o_${randomToken()}`;
  readonly password = `pw-${randomToken(12)}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'ap2p-test-'));
  config!: PortalConfig;
  portal: PortalApp | null = null;
  /** PostgreSQL only: this Portal's own schema. */
  schema?: string;
  /** Variables set by restartWith(), over the options' env. */
  private changedEnv: Record<string, string> = {};

  private constructor(private readonly options: TestPortalOptions) {}

  static async start(options: TestPortalOptions = {}): Promise<TestPortal> {
    const instance = new TestPortal(options);
    instance.config = await instance.configFor(await freePort());
    if (instance.config.databaseUrl) instance.schema = await createSchema(instance.config.databaseUrl);
    // The free port may be taken by a parallel test before we listen on it: then take another.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await instance.start();
        return instance;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 5) throw error;
        instance.config = await instance.configFor(await freePort());
      }
    }
  }

  private async configFor(port: number): Promise<PortalConfig> {
    const options = this.options;
    return loadConfig({
      PORTAL_PORT: String(port),
      PORTAL_HOST: '127.0.0.1',
      PORTAL_DATA_DIR: this.dataDir,
      PORTAL_LOG_LEVEL: 'silent',
      PORTAL_OWNER_KEY: this.ownerKey,
      PORTAL_CONSOLE_PASSWORD: this.password,
      PORTAL_DATABASE_URL: TEST_DATABASE_URL,
      PORTAL_MIN_FREE_DISK_MB: '0',
      ...options.env,
      ...this.changedEnv,
    });
  }

  /**
   * Stops the Portal and starts it again on the same port and data with these PORTAL_* variables
   * added or replaced (what an operator does when they change its configuration).
   */
  async restartWith(env: Record<string, string>): Promise<void> {
    await this.stop();
    this.changedEnv = { ...this.changedEnv, ...env };
    this.config = await this.configFor(this.config.port);
    await this.start();
  }

  get url(): string {
    return `http://127.0.0.1:${this.config.port}`;
  }

  get app(): PortalApp['app'] {
    if (!this.portal) throw new Error('the Portal is stopped');
    return this.portal.app;
  }

  /** An SDK client holding the first owner key (or another key). */
  client(apiKey: string = this.ownerKey): PortalClient {
    return createPortalClient({ baseUrl: this.url, apiKey });
  }

  /** Logs in to the console and returns the Cookie header value. */
  async login(): Promise<string> {
    const response = await fetch(`${this.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: this.password }),
    });
    if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
    const cookie = response.headers.get('set-cookie') ?? '';
    return cookie.split(';')[0];
  }

  async start(): Promise<void> {
    if (this.portal) return;
    const portal = await createPortalApp({
      config: this.config,
      logger: this.options.logger ?? createLogger('silent'),
      database: this.schema ? { postgresSchema: this.schema } : undefined,
    });
    try {
      await initPortalApp(portal);
      await portal.app.listen({ port: this.config.port, host: '127.0.0.1' });
    } catch (error) {
      await portal.app.close().catch(() => undefined);
      throw error;
    }
    this.portal = portal;
  }

  async stop(): Promise<void> {
    const portal = this.portal;
    this.portal = null;
    if (portal) await portal.app.close();
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.schema && this.config.databaseUrl) await dropSchema(this.config.databaseUrl, this.schema);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
