#!/usr/bin/env node
// Builds the console and the homepage into dist/: two bundles (the SDK included), the HTML and
// the stylesheet. Nothing is fetched at run time from anywhere but the Portal itself.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: { console: join(here, 'src/console.ts'), home: join(here, 'src/home.ts') },
  outdir: dist,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
  // The workspace libraries from their sources; the SDK without its Node-only event stream.
  alias: {
    '@agent-p2p/sdk': join(here, '..', '..', 'libs', 'sdk', 'src', 'browser.ts'),
    '@agent-p2p/protocol': join(here, '..', '..', 'libs', 'protocol', 'src', 'index.ts'),
  },
});
for (const file of readdirSync(join(here, 'static'))) copyFileSync(join(here, 'static', file), join(dist, file));
