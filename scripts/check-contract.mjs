#!/usr/bin/env node
// Fails when openapi.yaml or libs/sdk/src/generated differ from a fresh generation.
// Needs a build (npm run build). Fix a failure with `npm run contract` and commit the result.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { renderOpenApiYaml } = require(join(root, 'apps/portal/dist/bin/write-openapi.js'));

const problems = [];
const yaml = await renderOpenApiYaml();
if (yaml !== readFileSync(join(root, 'openapi.yaml'), 'utf8')) problems.push('openapi.yaml');

const dir = mkdtempSync(join(tmpdir(), 'ap2p-contract-'));
try {
  const fresh = join(dir, 'schema.ts');
  execFileSync(process.execPath, [join(root, 'node_modules/openapi-typescript/bin/cli.js'), join(root, 'openapi.yaml'), '-o', fresh], {
    stdio: 'pipe',
  });
  if (readFileSync(fresh, 'utf8') !== readFileSync(join(root, 'libs/sdk/src/generated/schema.ts'), 'utf8')) {
    problems.push('libs/sdk/src/generated/schema.ts');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (problems.length) {
  console.error(`The published contract is out of date: ${problems.join(', ')}.\nRun \`npm run contract\` and commit the result.`);
  process.exit(1);
}
console.log('contract: openapi.yaml and libs/sdk/src/generated are up to date');
