import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
const ROOT = process.cwd();
const CLI = join(ROOT, 'apps/bridge/dist/cli.js');
const TOKEN = 'hooks-token-for-cli-tests-0123456789';

/** `agent-p2p bridge run` as a child process, against a real Portal and a stand-in hooks API. */
describe('agent-p2p bridge run', () => {
  let a: TestPortal;
  let b: TestPortal;
  let home: string;
  let hooks: Server;
  let hooksUrl = '';
  const texts: string[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'apps/bridge'], { cwd: ROOT, stdio: 'inherit' });
    home = mkdtempSync(join(tmpdir(), 'ap2p-cli-bridge-home-'));
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          res.writeHead(401).end('{"ok":false}');
          return;
        }
        texts.push(String((JSON.parse(body) as { text?: string }).text));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"mode":"now","eventOutcome":"queued"}');
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const address = hooks.address();
    hooksUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    [a, b] = await Promise.all([startPeer(), startPeer()]);
  });

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    await new Promise<void>((resolve) => hooks.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
  });

  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    AGENTP2P_HUB_URL: b.url,
    AGENTP2P_API_KEY: b.ownerKey,
    OPENCLAW_GATEWAY_URL: hooksUrl,
    OPENCLAW_HOOKS_TOKEN: TOKEN,
  });

  it('without a hooks token: exit 2 with one line', async () => {
    const child = spawn(process.execPath, [CLI, 'bridge', 'run'], {
      env: { ...env(), OPENCLAW_HOOKS_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('OPENCLAW_HOOKS_TOKEN')]);
  });

  it('wakes the gateway for a message, bridge status shows it, SIGTERM stops it with exit 0', async () => {
    const { aContactId, bContactId } = await connect(a, b);
    const child = spawn(process.execPath, [CLI, 'bridge', 'run'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      await a.client().sendMessage(aContactId, 'hello bridge');
      const text = await waitFor('the wake', async () => texts.find((t) => t.includes('hello bridge')));
      expect(text).toContain(`agent-p2p send --to ${bContactId}`);
      const status = await waitFor('the status file to show the wake', async () => {
        try {
          const parsed = JSON.parse(readFileSync(join(home, '.config', 'agent-p2p', 'bridge-status.json'), 'utf8')) as {
            lastWake: { status: number } | null;
            connection: string;
          };
          return parsed.lastWake?.status === 200 ? parsed : undefined;
        } catch {
          return undefined;
        }
      });
      expect(status.connection).toBe('connected');
      const shown = spawn(process.execPath, [CLI, 'bridge', 'status'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      shown.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      expect(await new Promise<number | null>((resolve) => shown.once('close', resolve))).toBe(0);
      expect(stdout).toMatch(/Connection:\s+connected/);
      expect(stdout).toMatch(/Last wake:\s+200 for event/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
