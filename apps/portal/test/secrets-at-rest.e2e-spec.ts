import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { sha256Hex } from '../src/common/secrets';
import { api, TestPortal } from '@agent-p2p/testing';
/** Everything the Portal keeps, as text: the SQLite files' raw bytes, or every row of its PostgreSQL schema. */
async function storedText(portal: TestPortal): Promise<string> {
  if (!portal.config.databaseUrl) {
    const base = join(portal.dataDir, 'portal.sqlite');
    return ['', '-wal', '-shm']
      .map((suffix) => base + suffix)
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file).toString('latin1'))
      .join('\n');
  }
  const client = new pg.Client(portal.config.databaseUrl);
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
      [portal.schema],
    );
    expect(tables.rows.length).toBeGreaterThan(3);
    const dumps: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${portal.schema}"."${table_name}" t`);
      dumps.push(`${table_name}: ${rows.rows.map((r) => r.row).join('\n')}`);
    }
    return dumps.join('\n');
  } finally {
    await client.end();
  }
}

describe('no plaintext secrets at rest', () => {
  let portal: TestPortal;
  const keys: string[] = [];
  const sessionTokens: string[] = [];
  const newPassword = `new-console-password-${Date.now()}`;

  beforeAll(async () => {
    portal = await TestPortal.start();
    keys.push(portal.ownerKey);
    for (const name of ['laptop', 'server']) keys.push((await portal.client().createKey(name)).key);
    // Use every key once, so their lastUsedAt rows are written too.
    for (const key of keys) expect((await api(portal, 'GET', '/api/me', { key })).status).toBe(200);
    const first = await portal.login();
    const second = await portal.login();
    sessionTokens.push(first.split('=')[1], second.split('=')[1]);
    const change = await api(portal, 'PUT', '/api/session/password', {
      key: null,
      headers: { cookie: first, 'x-requested-with': 'agent-p2p' },
      body: { currentPassword: portal.password, newPassword },
    });
    expect(change.status).toBe(204);
    const login = await fetch(`${portal.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: newPassword }),
    });
    expect(login.status).toBe(200);
    sessionTokens.push((login.headers.get('set-cookie') ?? '').split(';')[0].split('=')[1]);
    expect(sessionTokens.every((t) => t && t.length >= 32)).toBe(true);
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('stores no owner key, console password or session token in plaintext', async () => {
    const stored = await storedText(portal);
    expect(stored.length).toBeGreaterThan(1000);
    const found = [
      ...keys.map((k, i) => [`owner key ${i}`, k]),
      ['old console password', portal.password],
      ['new console password', newPassword],
      ...sessionTokens.map((t, i) => [`session token ${i}`, t]),
    ]
      .filter(([, secret]) => stored.includes(secret))
      .map(([what]) => what);
    expect(found).toEqual([]);
  });

  it('stores the keys as SHA-256 hex, which is how they are found', async () => {
    const stored = await storedText(portal);
    for (const key of keys) expect(stored).toContain(sha256Hex(key));
  });

  it('stores the console password as a salted scrypt hash', async () => {
    const stored = await storedText(portal);
    expect(stored).toMatch(/scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+/);
  });
});
