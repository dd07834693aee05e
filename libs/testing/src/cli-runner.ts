import { expect } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = process.cwd();
/** The built command line (tests run it as a user would, as a child process). */
export const CLI = join(ROOT, 'apps/bridge/dist/cli.js');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  /** Working directory (default: the repository root). */
  cwd?: string;
  timeoutMs?: number;
}

/** Builds the CLI once if a test run starts without it. */
export function ensureCliBuilt(): void {
  if (!existsSync(CLI))
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'apps/bridge'], { cwd: ROOT, stdio: 'inherit' });
}

/** Runs the built CLI with a private HOME/XDG_CONFIG_HOME (never the real one). */
export function runIn(home: string, args: string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Asserts a failure: the exit code and exactly one line "agent-p2p: …" on stderr. */
export function expectFailure(result: Result, code: number, ...fragments: string[]): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^agent-p2p: \S/);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

export function expectOk(result: Result): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
}
