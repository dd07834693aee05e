import { afterAll, describe, expect, it } from '@jest/globals';
import { createPortalClient } from '@agent-p2p/sdk';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createLogger } from '../src/common/logger';
import { randomToken } from '../src/common/secrets';
import { loadConfig } from '../src/config/portal-config';
import { createPortalApp, initPortalApp, type PortalApp } from '../src/configure-app';
import { Message } from '../src/messages/entities/message.entity';
import {
  connect,
  ensurePortalBuilt,
  freePort,
  killAllPortals,
  PEER_ENV,
  POSTGRES_URL,
  startPeer,
  startPortal,
  TEST_DATABASE_URL,
  type TestPortal,
  waitFor,
  waitHealthy,
  withPostgres,
} from '@agent-p2p/testing';
/** A TCP server on `port` that accepts connections and never answers (a peer that hangs). */
async function blackHole(port: number): Promise<{ server: Server; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    server,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a contact that was down for a while', () => {
  const portals: TestPortal[] = [];
  afterAll(async () => {
    await Promise.all(portals.map((portal) => portal.destroy()));
  });

  it('gets its backlog as soon as it answers a probe, not when the back-off ends', async () => {
    const env = { PORTAL_OUTBOX_RETRY_BASE_MS: '4000', PORTAL_OUTBOX_RETRY_MAX_SECONDS: '3600', PORTAL_OUTBOX_PROBE_SECONDS: '1' };
    const [a, b] = await Promise.all([startPeer({ env }), startPeer()]);
    portals.push(a, b);
    const { aContactId, bContactId } = await connect(a, b);
    await b.stop();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await a.client().sendMessage(aContactId, `backlog ${i}`)).id);
    // Let the head item fail until its next attempt is far away.
    const head = await waitFor(
      'a long back-off',
      async () => {
        const message = await a.client().getMessage(ids[0]);
        const waitMs = message.nextAttemptAt ? new Date(message.nextAttemptAt).getTime() - Date.now() : 0;
        return message.attempts >= 3 && waitMs > 6_000 ? { waitMs } : undefined;
      },
      40_000,
    );
    await b.start();
    const back = Date.now();
    await waitFor(
      'the backlog delivered',
      async () => {
        const states = await Promise.all(ids.map((id) => a.client().getMessage(id)));
        return states.every((message) => message.status === 'delivered');
      },
      15_000,
    );
    const took = Date.now() - back;
    expect(took).toBeLessThan(Math.min(5_000, head.waitMs));
    expect(await b.app.get(DataSource).getRepository(Message).countBy({ contactId: bContactId })).toBe(3);
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)('an instance that dies mid-delivery on a shared PostgreSQL database', () => {
  const database = `ap2p_lease_${randomToken(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-lease-'));
  const portals: TestPortal[] = [];
  let second: PortalApp | null = null;

  const admin = (sql: string): Promise<unknown> => withPostgres((client) => client.query(sql));

  afterAll(async () => {
    killAllPortals();
    await second?.app.close();
    await Promise.all(portals.map((portal) => portal.destroy()));
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("frees the dead instance's lease within seconds: the healthy instance delivers the item", async () => {
    ensurePortalBuilt();
    await admin(`CREATE DATABASE ${database}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    const ownerKey = `ap2p_o_${randomToken()}`;
    const env: Record<string, string> = {
      ...PEER_ENV,
      PORTAL_HOST: '127.0.0.1',
      PORTAL_DATA_DIR: dataDir,
      PORTAL_DATABASE_URL: url.toString(),
      PORTAL_OWNER_KEY: ownerKey,
      PORTAL_LOG_LEVEL: 'warn',
      PORTAL_PEER_TIMEOUT_MS: '60000',
      PORTAL_OUTBOX_LEASE_SECONDS: '3',
    };
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const first = startPortal({ ...env, PORTAL_PORT: String(port), PORTAL_INSTANCE_ID: 'first' });
    await waitHealthy(first, publicUrl, 40_000);
    const b = await startPeer();
    portals.push(b);
    const a = { url: publicUrl, client: () => createPortalClient({ baseUrl: publicUrl, apiKey: ownerKey }) } as unknown as TestPortal;
    const { aContactId, bContactId } = await connect(a, b);

    // B hangs: the first instance's call to it stays open, under its lease.
    const bPort = b.config.port;
    await b.stop();
    const hole = await blackHole(bPort);
    const sent = await a.client().sendMessage(aContactId, 'survives the crash');
    await waitFor(
      'the call to hang',
      async () => (await new Promise<number>((resolve) => hole.server.getConnections((_, n) => resolve(n)))) > 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // longer than one lease: it is being renewed
    expect((await a.client().getMessage(sent.id)).status).toBe('queued');
    first.child.kill('SIGKILL');
    await first.exited;
    await hole.close();
    await b.start();

    const secondPort = await freePort();
    second = await createPortalApp({
      config: loadConfig({ ...env, PORTAL_PORT: String(secondPort), PORTAL_PUBLIC_URL: publicUrl, PORTAL_INSTANCE_ID: 'second' }),
      logger: createLogger('silent'),
    });
    await initPortalApp(second);
    await second.app.listen({ port: secondPort, host: '127.0.0.1' });
    const started = Date.now();
    const client = createPortalClient({ baseUrl: `http://127.0.0.1:${secondPort}`, apiKey: ownerKey });
    await waitFor('the healthy instance to deliver', async () => (await client.getMessage(sent.id)).status === 'delivered', 20_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await b.app.get(DataSource).getRepository(Message).countBy({ contactId: bContactId })).toBe(1);
  });
});
