import { Test, type TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppModule } from '@agent-p2p/portal/src/app.module';
import { SECRET_BOX, type SecretBox } from '@agent-p2p/portal/src/common/secret-box';
import { generateContactKey, randomToken, sha256Hex } from '@agent-p2p/portal/src/common/secrets';
import { loadConfig, type PortalConfig } from '@agent-p2p/portal/src/config/portal-config';
import { createSchema, dropSchema, TEST_DATABASE_URL } from './test-portal';

type Token<T> = abstract new (...args: never[]) => T;

/**
 * The Portal's services on a real database (SQLite in a temporary directory, or a PostgreSQL schema
 * of its own when PORTAL_TEST_DATABASE_URL is set), with no HTTP server: the layer between unit
 * tests and e2e tests. Migrations run and every provider starts as in the Portal itself; `env`
 * tunes it with PORTAL_* variables as a deployment would (e.g. a long outbox poll to keep the
 * background loops out of the way).
 */
export class ServicePortal {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'ap2p-svc-'));
  config!: PortalConfig;
  private module: TestingModule | null = null;
  private schema?: string;

  private constructor() {}

  static async open(env: Record<string, string> = {}): Promise<ServicePortal> {
    const portal = new ServicePortal();
    try {
      portal.config = loadConfig({
        PORTAL_PORT: '1',
        PORTAL_HOST: '127.0.0.1',
        PORTAL_PUBLIC_URL: 'http://127.0.0.1:1',
        PORTAL_DATA_DIR: portal.dataDir,
        PORTAL_LOG_LEVEL: 'silent',
        PORTAL_OWNER_KEY: `ap2p_o_${randomToken()}`,
        PORTAL_CONSOLE_PASSWORD: `pw-${randomToken(12)}`,
        PORTAL_DATABASE_URL: TEST_DATABASE_URL,
        PORTAL_MIN_FREE_DISK_MB: '0',
        ...env,
      });
      if (portal.config.databaseUrl) portal.schema = await createSchema(portal.config.databaseUrl);
      await portal.start();
      return portal;
    } catch (error) {
      await portal.destroy();
      throw error;
    }
  }

  /** Starts the Portal again on the same database and data directory, after close(): a restart. */
  async reopen(): Promise<void> {
    if (this.module) throw new Error('the Portal is running; close() it first');
    await this.start();
  }

  private async start(): Promise<void> {
    const module = await Test.createTestingModule({
      imports: [AppModule.forRoot({ config: this.config, database: this.schema ? { postgresSchema: this.schema } : undefined })],
    })
      .setLogger({ log() {}, error() {}, warn() {}, debug() {}, verbose() {}, fatal() {} })
      .compile();
    this.module = module;
    await module.init();
  }

  /** A provider of the running Portal (a service, the DataSource, …). */
  get<T>(token: Token<T>): T {
    if (!this.module) throw new Error('the Portal is closed');
    return this.module.get(token, { strict: false });
  }

  get dataSource(): DataSource {
    return this.get(DataSource);
  }

  /**
   * An active contact at `portalUrl`, written as the handshake leaves it: the shared key stored as
   * its hash and sealed for outbound calls. Returns its id and the key.
   */
  async insertContact(portalUrl: string, names: { agentName?: string; ownerName?: string } = {}): Promise<{ id: number; key: string }> {
    const key = generateContactKey();
    const now = new Date();
    const inserted = await this.dataSource.getRepository('Contact').insert({
      portalUrl,
      status: 'active',
      agentName: names.agentName ?? 'Peer agent',
      ownerName: names.ownerName ?? 'Peer owner',
      keyHash: sha256Hex(key),
      keySealed: this.get<SecretBox>(SECRET_BOX as never).seal(key),
      createdAt: now,
      updatedAt: now,
    });
    return { id: Number(inserted.identifiers[0].id), key };
  }

  /** Stops the providers (as a shutdown would); the database and data directory stay. */
  async close(): Promise<void> {
    const module = this.module;
    this.module = null;
    if (module) await module.close();
  }

  async destroy(): Promise<void> {
    await this.close().catch(() => undefined);
    if (this.schema && this.config?.databaseUrl) await dropSchema(this.config.databaseUrl, this.schema).catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
