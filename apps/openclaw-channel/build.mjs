#!/usr/bin/env node
// Builds the OpenClaw channel plugin into a self-contained package and packs it:
//   dist/package/                 the package as installed (dist/index.js bundles the SDK, ws, openapi-fetch)
//   dist/agent-p2p-openclaw-channel-<version>.tgz   `npm pack` of it, for `openclaw plugins install npm-pack:<tgz>`
// The gateway provides openclaw/plugin-sdk/*; nothing else is resolved at run time, so the package has
// no dependencies, no node_modules and no symlinks (the gateway's install scanner refuses them).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..', '..');
const out = join(here, 'dist');
const pkgDir = join(out, 'package');
const source = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(pkgDir, 'dist'), { recursive: true });

await build({
  entryPoints: [join(here, 'src', 'index.ts')],
  outfile: join(pkgDir, 'dist', 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  external: ['openclaw', 'openclaw/*', 'bufferutil', 'utf-8-validate'],
  alias: {
    '@agent-p2p/sdk': join(root, 'libs', 'sdk', 'src', 'index.ts'),
    '@agent-p2p/protocol': join(root, 'libs', 'protocol', 'src', 'index.ts'),
  },
  // ws is CommonJS and requires Node built-ins: give the ESM bundle a real require().
  banner: {
    js: "import { createRequire as __agentP2pCreateRequire } from 'node:module';\nconst require = __agentP2pCreateRequire(import.meta.url);",
  },
  legalComments: 'inline',
  logLevel: 'warning',
});

const { dependencies: _dependencies, scripts: _scripts, private: _private, ...published } = source;
writeFileSync(
  join(pkgDir, 'package.json'),
  `${JSON.stringify({ ...published, type: 'module', files: ['dist', 'openclaw.plugin.json', 'README.md'] }, null, 2)}\n`,
);
cpSync(join(here, 'openclaw.plugin.json'), join(pkgDir, 'openclaw.plugin.json'));
cpSync(join(here, 'README.md'), join(pkgDir, 'README.md'));

const npm = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm'];
const packed = spawnSync(npm[0], [...npm.slice(1), 'pack', '--silent', '--pack-destination', out], { cwd: pkgDir, encoding: 'utf8' });
if (packed.status !== 0) {
  process.stderr.write(packed.stderr || 'npm pack failed\n');
  process.exit(1);
}
console.log(join(out, packed.stdout.trim().split('\n').pop()));
