import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Real Portal processes (the built apps/portal/dist/main.js) for tests that start, kill and restart them. */
const ROOT = process.cwd();
const MAIN = join(ROOT, 'apps/portal/dist/main.js');

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();

/** Builds the Portal when its dist is missing (npm test builds it first). */
export function ensurePortalBuilt(): void {
  if (existsSync(MAIN)) return;
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'apps/portal', 'libs/sdk'], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
}

/** Starts the built Portal with only the given PORTAL_* variables (plus PATH). */
export function startPortal(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORTAL_LOG_LEVEL: 'info', PORTAL_MIN_FREE_DISK_MB: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Kills every Portal still running (afterAll). */
export function killAllPortals(): void {
  for (const child of running) child.kill('SIGKILL');
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the Portal answers /health (bounded), or fails with its output. */
export async function waitHealthy(run: Run, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) throw new Error(`the Portal exited: ${run.stderr()}${run.stdout()}`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Portal did not become healthy: ${run.stderr()}${run.stdout()}`);
}

/** SIGTERM, as Docker sends it; true when the Portal stopped by itself (exit 0, or Nest re-raising SIGTERM after its shutdown hooks). */
export async function stopPortal(run: Run): Promise<boolean> {
  if (run.child.exitCode !== null) return false;
  run.child.kill('SIGTERM');
  try {
    const exit = await within(run.exited, 10_000, 'the Portal to stop');
    return exit.code === 0 || exit.signal === 'SIGTERM';
  } catch {
    run.child.kill('SIGKILL');
    await run.exited;
    return false;
  }
}
