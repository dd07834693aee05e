#!/usr/bin/env node
// The whole suite: build, contract check, type-check of the tests, lint and format check, Jest on SQLite, then the e2e
// tests once more on PostgreSQL when one is available (always in CI). Ends with one summary line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const postgresUrl = process.env.PORTAL_TEST_DATABASE_URL || (process.env.CI === 'true' ? 'postgres://postgres@127.0.0.1:5432/test' : '');
const extraArgs = process.argv.slice(2);
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

function run(title, command, args, env = {}) {
  console.log(`\n=== ${title} ===`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`${title}: failed (exit ${result.status ?? result.signal})`);
    ok = false;
  }
  return result.status === 0;
}

function jest(title, args, env) {
  const dir = mkdtempSync(join(tmpdir(), 'ap2p-jest-'));
  const out = join(dir, 'results.json');
  run(
    title,
    process.execPath,
    ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${out}`, ...args],
    env,
  );
  try {
    const results = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += results.numPassedTests;
    totals.failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
    totals.skipped += results.numPendingTests + results.numTodoTests;
  } catch {
    totals.failed += 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (
  run('build', process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'libs/protocol', 'apps/portal', 'libs/sdk', 'apps/bridge']) &&
  run('build console', process.execPath, ['apps/console/build.mjs'])
) {
  run('contract', process.execPath, ['scripts/check-contract.mjs']);
}
run('typecheck tests', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test.json']);
// The house rules (scripts/eslint/boundaries.mjs) and the recommended rules, then the formatting.
run('lint', process.execPath, ['node_modules/eslint/bin/eslint.js', '.']);
run('format', process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '.', '--log-level', 'warn']);
jest('jest (SQLite)', extraArgs, { PORTAL_TEST_DATABASE_URL: '' });
if (postgresUrl) {
  jest('jest e2e (PostgreSQL)', ['--testPathPatterns', '/test/', ...extraArgs], { PORTAL_TEST_DATABASE_URL: postgresUrl });
} else {
  console.log('\nPostgreSQL run skipped: set PORTAL_TEST_DATABASE_URL=postgres://… (CI always runs it).');
}
if (!ok && totals.failed === 0) totals.failed = 1;
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
