#!/usr/bin/env node
// Rewrites the configuration table in README.md and the whole of docker/example.env from
// CONFIG_VARIABLES, derived from the one declaration of every PORTAL_* variable
// (apps/portal/src/config/variables.ts). Needs a build (npm run build).
// Run it after adding or changing a PORTAL_* variable; packaging.e2e-spec.ts fails until then.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { CONFIG_VARIABLES } = require(join(root, 'apps/portal/dist/config/portal-config.js'));

/** Extra lines for docker/example.env, where Docker changes what a variable means. */
const DOCKER_NOTES = {
  PORTAL_PORT: 'docker/compose.yaml keeps 8080 inside the container; change the published port instead.',
  PORTAL_HOST: 'The Docker image and docker/compose.yaml set 0.0.0.0.',
  PORTAL_DATA_DIR: 'The Docker image sets /data (the volume).',
  PORTAL_DATABASE_URL: 'With docker/compose.yaml --profile postgres: postgres://portal:<POSTGRES_PASSWORD>@postgres:5432/portal',
  PORTAL_CA_FILE: 'A path inside the container: mount the file there (e.g. into /data, the volume).',
};

const shownDefault = (value) => (value === '' ? '(empty)' : value);
const escapeHtml = (text) => text.replace(/</g, '&lt;').replace(/>/g, '&gt;');

function readmeTable() {
  const rows = ['| Variable | Default | Meaning |', '|---|---|---|'];
  for (const [name, { default: fallback, description }] of Object.entries(CONFIG_VARIABLES)) {
    rows.push(`| \`${name}\` | ${fallback === '' ? '(empty)' : `\`${fallback}\``} | ${escapeHtml(description)} |`);
  }
  return rows.join('\n');
}

function exampleEnv() {
  const lines = [
    '# Agent P2P Portal: every PORTAL_* setting, with its default and meaning.',
    '# Each setting is commented out and shows its default: uncomment a line to change it.',
    '# An empty value counts as not set. The Portal checks every value at start and exits 1',
    '# naming each bad one.',
    '#',
    '# Docker Compose: copy this file to docker/.env (git ignores .env files).',
    '# Without Docker: set them in the environment of npm start, e.g. PORTAL_PORT=9090 npm start.',
    '',
  ];
  for (const [name, { default: fallback, description }] of Object.entries(CONFIG_VARIABLES)) {
    lines.push(`# ${description}`);
    if (DOCKER_NOTES[name]) lines.push(`# ${DOCKER_NOTES[name]}`);
    lines.push(`# Default: ${shownDefault(fallback)}`);
    // A computed default (http://<host>:<port>) cannot be written as a value.
    lines.push(`#${name}=${fallback.includes('<') ? '' : fallback}`, '');
  }
  lines.push(
    '# PostgreSQL profile of docker/compose.yaml only (not read by the Portal): the password of',
    '# the postgres service; use the same one in PORTAL_DATABASE_URL.',
    '#POSTGRES_PASSWORD=portal',
    '',
    '# HTTPS profile of docker/compose.yaml only (not read by the Portal): the domain Caddy gets a',
    '# certificate for; its DNS must point at this host. Set PORTAL_PUBLIC_URL=https://<that domain>',
    '# and PORTAL_TRUST_PROXY=true with it.',
    '#HTTPS_DOMAIN=portal.example.com',
    '',
  );
  return lines.join('\n');
}

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const table = /^\| Variable \| Default \| Meaning \|\n(?:\|.*\|\n)+/m;
if (!table.test(readme)) {
  console.error('README.md has no "| Variable | Default | Meaning |" table to rewrite');
  process.exit(1);
}
writeFileSync(readmePath, readme.replace(table, `${readmeTable()}\n`));
writeFileSync(join(root, 'docker/example.env'), exampleEnv());
console.log(`README.md and docker/example.env list ${Object.keys(CONFIG_VARIABLES).length} PORTAL_* variables`);
