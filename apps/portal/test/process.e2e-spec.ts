import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomToken } from '../src/common/secrets';
import { ensurePortalBuilt, freePort, killAllPortals, startPortal, stopPortal, waitHealthy, within } from '@agent-p2p/testing';
describe('the Portal process', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ap2p-process-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(() => ensurePortalBuilt(), 130_000);

  afterAll(async () => {
    killAllPortals();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('with a bad variable', () => {
    const cases: Array<[string, Record<string, string>, string[]]> = [
      ['PORTAL_PORT=abc', { PORTAL_PORT: 'abc' }, ['PORTAL_PORT']],
      ['PORTAL_LOG_LEVEL=loud', { PORTAL_LOG_LEVEL: 'loud' }, ['PORTAL_LOG_LEVEL']],
      ['a short PORTAL_OWNER_KEY', { PORTAL_OWNER_KEY: 'ap2p_o_short' }, ['PORTAL_OWNER_KEY']],
      ['a mysql PORTAL_DATABASE_URL', { PORTAL_DATABASE_URL: 'mysql://db/x' }, ['PORTAL_DATABASE_URL']],
      [
        'three bad variables',
        { PORTAL_PORT: '-3', PORTAL_PUBLIC_URL: 'nope', PORTAL_CONSOLE_PASSWORD: 'short' },
        ['PORTAL_PORT', 'PORTAL_PUBLIC_URL', 'PORTAL_CONSOLE_PASSWORD'],
      ],
    ];
    for (const [title, env, names] of cases) {
      it(`${title} → exit 1, stderr names it, no stack trace`, async () => {
        const run = startPortal({ PORTAL_DATA_DIR: tempDir(), ...env });
        const exit = await within(run.exited, 20_000, 'the Portal to exit');
        expect(exit.code).toBe(1);
        for (const name of names) expect(run.stderr()).toContain(name);
        expect(run.stderr()).not.toMatch(/\n\s+at .+:\d+:\d+/);
        expect(run.stdout()).toBe('');
      });
    }
  });

  it('exits 1 with a one-line reason when its port is taken, having shown the first-start secrets', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    let ownerKey: string | undefined;
    try {
      const run = startPortal({ PORTAL_DATA_DIR: dataDir, PORTAL_PORT: String(port), PORTAL_LOG_LEVEL: 'silent' });
      const exit = await within(run.exited, 20_000, 'the Portal to exit');
      expect(exit.code).toBe(1);
      expect(run.stderr()).toMatch(/Portal failed to start: .*(EADDRINUSE|in use)/);
      expect(run.stderr()).not.toMatch(/\n\s+at .+:\d+:\d+/);
      // The database was seeded before listening: the secrets must have been shown, or the owner is locked out.
      ownerKey = /Owner key:\s+(ap2p_o_\S+)/.exec(run.stdout())?.[1];
      expect(ownerKey).toBeDefined();
    } finally {
      blocker.close();
    }
    const retryPort = await freePort();
    const retry = startPortal({ PORTAL_DATA_DIR: dataDir, PORTAL_PORT: String(retryPort) });
    await waitHealthy(retry, `http://127.0.0.1:${retryPort}`);
    const me = await fetch(`http://127.0.0.1:${retryPort}/api/me`, { headers: { authorization: `Bearer ${ownerKey}` } });
    expect(me.status).toBe(200);
    expect(await stopPortal(retry)).toBe(true);
  });

  it('prints a generated owner key and console password on the first start only, and they work', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { PORTAL_DATA_DIR: dataDir, PORTAL_PORT: String(port) };

    const first = startPortal(env);
    await waitHealthy(first, url);
    await within(
      (async () => {
        while (!/Console password: \S+/.test(first.stdout())) await new Promise((r) => setTimeout(r, 20));
      })(),
      10_000,
      'the first-start banner',
    );
    const ownerKey = /Owner key:\s+(ap2p_o_[A-Za-z0-9_-]{43,})/.exec(first.stdout())?.[1];
    const password = /Console password:\s+(\S+)/.exec(first.stdout())?.[1];
    expect(ownerKey).toBeDefined();
    expect(password).toBeDefined();
    // Exactly once: the banner, never again in the logs.
    expect(first.stdout().split(ownerKey!).length - 1).toBe(1);
    expect(first.stdout().split(password!).length - 1).toBe(1);
    expect(first.stderr()).not.toContain(ownerKey!);
    // Apart from the banner, stdout is JSON log lines.
    const BANNER =
      /^(=== Agent P2P Portal: first start ===|Portal URL:|Owner key:|Console password:|These are shown only now|Console:|API docs:)/;
    // The banner is what an owner sees first, not buried under start-up logs, and names the console.
    const lines = first
      .stdout()
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines.findIndex((line) => line.startsWith('=== Agent P2P Portal: first start ==='))).toBeLessThan(3);
    expect(first.stdout()).toContain(`Console:          ${url}/console/`);
    const other = first
      .stdout()
      .split('\n')
      .filter((line) => line.trim() !== '' && !BANNER.test(line));
    expect(other.length).toBeGreaterThan(0);
    for (const line of other) expect(() => JSON.parse(line)).not.toThrow();

    const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${ownerKey}` } });
    expect(me.status).toBe(200);
    const login = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
    });
    expect(login.status).toBe(200);
    expect(await stopPortal(first)).toBe(true);

    const second = startPortal(env);
    await waitHealthy(second, url);
    expect(second.stdout()).not.toContain(ownerKey!);
    expect(second.stdout()).not.toContain(password!);
    expect(second.stdout()).not.toMatch(/Owner key:|Console password:|first start/);
    // Same data: the key printed on the first start still works.
    expect((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${ownerKey}` } })).status).toBe(200);
    expect(await stopPortal(second)).toBe(true);
  });

  it('takes the owner key and console password from the environment, says so, and never prints them', async () => {
    const ownerKey = `ap2p_o_${randomToken()}`;
    const password = `env-password-${randomToken(6)}`;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startPortal({
      PORTAL_DATA_DIR: tempDir(),
      PORTAL_PORT: String(port),
      PORTAL_OWNER_KEY: ownerKey,
      PORTAL_CONSOLE_PASSWORD: password,
    });
    await waitHealthy(run, url);
    await within(
      (async () => {
        while (!/Console password: /.test(run.stdout())) await new Promise((r) => setTimeout(r, 20));
      })(),
      10_000,
      'the first-start banner',
    );
    expect(run.stdout()).toMatch(/Owner key:\s+taken from PORTAL_OWNER_KEY/);
    expect(run.stdout()).toMatch(/Console password:\s+taken from PORTAL_CONSOLE_PASSWORD/);
    expect(run.stdout()).not.toContain(ownerKey);
    expect(run.stdout()).not.toContain(password);
    expect((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${ownerKey}` } })).status).toBe(200);
    const login = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
    });
    expect(login.status).toBe(200);
    expect(await stopPortal(run)).toBe(true);
    expect(run.stderr()).toBe('');
  });
});
