import { afterAll, describe, expect, it } from '@jest/globals';
import { createPortalClient } from '@agent-p2p/sdk';
import { DataSource } from 'typeorm';
import { randomToken } from '../src/common/secrets';
import { Message } from '../src/messages/entities/message.entity';
import {
  connect,
  ensurePortalBuilt,
  eventsOf,
  freePort,
  killAllPortals,
  PEER_ENV,
  POSTGRES_URL,
  startPeer,
  startPortal,
  stopPortal,
  TEST_DATABASE_URL,
  type TestPortal,
  waitFor,
  waitHealthy,
  withPostgres,
} from '@agent-p2p/testing';
interface Health {
  status: string;
  background: { ok: boolean; failing: Array<{ name: string; message: string; failures: number }> };
}

async function health(url: string): Promise<{ status: number; body: Health }> {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: (await response.json()) as Health };
}

/** Every transaction on this Portal's database fails as on a full disk while `full` is true. */
function fillTheDisk(portal: TestPortal): { full: boolean } {
  const state = { full: false };
  const dataSource = portal.app.get(DataSource);
  const transaction = dataSource.transaction.bind(dataSource) as (...args: unknown[]) => Promise<unknown>;
  dataSource.transaction = ((...args: unknown[]) => {
    if (!state.full) return transaction(...args);
    return Promise.reject(Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' }));
  }) as DataSource['transaction'];
  return state;
}

describe('background delivery when the database fails', () => {
  const portals: TestPortal[] = [];
  afterAll(async () => {
    await Promise.all(portals.map((portal) => portal.destroy()));
  });

  it('stays up, reports /health degraded while it lasts, backs off, then delivers everything once', async () => {
    const [a, b] = await Promise.all([startPeer(), startPeer()]);
    portals.push(a, b);
    const { aContactId, bContactId } = await connect(a, b);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await b.stop();
      const sent: string[] = [];
      for (let i = 0; i < 20; i += 1) sent.push((await a.client().sendMessage(aContactId, `through a full disk ${i}`)).id);
      const disk = fillTheDisk(a);
      disk.full = true;
      await b.start();
      const degraded = await waitFor('/health to report the outbox failing', async () => {
        const answer = await health(a.url);
        return answer.status === 503 && answer.body.background.failing.some((job) => job.name === 'outbox') ? answer.body : undefined;
      });
      expect(degraded.status).toBe('degraded');
      expect(degraded.background.failing.find((job) => job.name === 'outbox')).toMatchObject({ message: 'the disk is full' });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      disk.full = false;

      await waitFor(
        'every message delivered',
        async () => {
          const states = await Promise.all(sent.map((id) => a.client().getMessage(id)));
          return states.every((message) => message.status === 'delivered');
        },
        30_000,
      );
      expect(await b.app.get(DataSource).getRepository(Message).countBy({ contactId: bContactId })).toBe(20);
      await waitFor('/health to be ok again', async () => (await health(a.url)).status === 200);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('the not-confirmed sweep reports a failing database on /health, then gives its notice once', async () => {
    const [a, b] = await Promise.all([startPeer({ env: { PORTAL_RECEIPT_UNCONFIRMED_SECONDS: '1' } }), startPeer()]);
    portals.push(a, b);
    const { aContactId } = await connect(a, b);
    const sent = await a.client().sendMessage(aContactId, 'nobody reads this yet');
    await waitFor('delivery', async () => (await a.client().getMessage(sent.id)).status === 'delivered');
    const disk = fillTheDisk(a);
    disk.full = true;
    const degraded = await waitFor('/health to report the sweep failing', async () => {
      const answer = await health(a.url);
      return answer.body.background.failing.find((job) => job.name === 'receipt-sweep');
    });
    expect(degraded.message).toBe('the disk is full');
    disk.full = false;
    const notices = async () => (await eventsOf(a, 'message.unconfirmed')).filter((event) => event.payload.messageId === sent.id);
    await waitFor('the notice', async () => (await notices()).length > 0);
    await waitFor('/health to be ok again', async () => (await health(a.url)).status === 200);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await notices()).toHaveLength(1);
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)('a Portal process whose PostgreSQL connections are cut', () => {
  const database = `ap2p_fault_${randomToken(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')}`;
  const appName = `${database}_portal`;
  const portals: TestPortal[] = [];

  const admin = withPostgres;

  afterAll(async () => {
    killAllPortals();
    await Promise.all(portals.map((portal) => portal.destroy()));
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });

  it('survives its connections being terminated during delivery, and delivers each message once', async () => {
    ensurePortalBuilt();
    await admin((client) => client.query(`CREATE DATABASE ${database}`));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const ownerKey = `ap2p_o_${randomToken()}`;
    const base = new URL(POSTGRES_URL);
    base.pathname = `/${database}`;
    base.searchParams.set('application_name', appName);
    const run = startPortal({
      ...PEER_ENV,
      PORTAL_PORT: String(port),
      PORTAL_HOST: '127.0.0.1',
      PORTAL_DATA_DIR: `/tmp/${database}`,
      PORTAL_DATABASE_URL: base.toString(),
      PORTAL_OWNER_KEY: ownerKey,
      PORTAL_LOG_LEVEL: 'warn',
    });
    await waitHealthy(run, url, 40_000);
    const b = await startPeer();
    portals.push(b);
    const a = { url, client: () => createPortalClient({ baseUrl: url, apiKey: ownerKey }) } as unknown as TestPortal;
    const { aContactId, bContactId } = await connect(a, b);

    const cut = (): Promise<number> =>
      admin(
        async (client) =>
          (await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName])).rowCount ??
          0,
      );
    const sent: string[] = [];
    let cuts = 0;
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 10; i += 1) sent.push((await a.client().sendMessage(aContactId, `round ${round} message ${i}`)).id);
      cuts += await cut();
      await new Promise((resolve) => setTimeout(resolve, 200));
      cuts += await cut();
    }
    expect(cuts).toBeGreaterThan(0);
    await waitFor(
      'every message delivered',
      async () => {
        try {
          const states = await Promise.all(sent.map((id) => a.client().getMessage(id)));
          return states.every((message) => message.status === 'delivered');
        } catch {
          return false;
        }
      },
      40_000,
    );
    expect(run.child.exitCode).toBeNull();
    expect(await b.app.get(DataSource).getRepository(Message).countBy({ contactId: bContactId })).toBe(sent.length);
    await waitFor('/health ok', async () => (await health(url)).status === 200, 20_000);
    expect(await stopPortal(run)).toBe(true);
  });
});
