import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../src/config/portal-config';
import { freePort, TestPortal } from '@agent-p2p/testing';
/**
 * What can be checked about the packaging without a Docker engine: the files the Dockerfile copies,
 * the entry points it runs, and that docker/example.env, docker/compose.yaml and the README agree
 * with the code. Plus the healthcheck script itself, run against a real Portal.
 */

/** The repository root: the nearest directory up from the working directory whose package.json is agent-p2p's. */
function findRoot(): string {
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'agent-p2p') return dir;
    if (dirname(dir) === dir) throw new Error('run the tests inside the agent-p2p repository');
  }
}

const root = findRoot();
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface Instruction {
  stage: string;
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), with their stage name. */
function dockerInstructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\s*\\\n\s*/g, ' ');
  const result: Instruction[] = [];
  let stage = '';
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [, keyword, args] = match;
    if (keyword === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args.trim();
    result.push({ stage, keyword, args: args.trim() });
  }
  return result;
}

interface Copy {
  stage: string;
  from?: string;
  sources: string[];
  destination: string;
}

function copies(instructions: Instruction[]): Copy[] {
  return instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { stage: i.stage, from, sources: paths.slice(0, -1), destination: paths[paths.length - 1] };
    });
}

/** A .dockerignore decides the build context: the last matching pattern wins, "!" re-includes. */
function ignoredByDockerignore(path: string, patterns: string[]): boolean {
  const toRegExp = (pattern: string): RegExp =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '(?:.*/)?')}$`,
    );
  // A path is excluded when it or one of its parent directories matches.
  const candidates = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    if (candidates.some((candidate) => toRegExp(pattern).test(candidate))) ignored = !negated;
  }
  return ignored;
}

/** Paths under /app that the Dockerfile's build stage produces rather than copies from the repository. */
const BUILD_OUTPUTS: Record<string, string> = {
  node_modules: 'npm ci, then npm prune --omit=dev',
  'libs/protocol/dist': 'npm run build (tsc -b libs/protocol: outDir "dist" of libs/protocol/tsconfig.json)',
  'apps/portal/dist': 'npm run build (tsc -b apps/portal: outDir "dist" of apps/portal/tsconfig.json)',
  'apps/console/dist': 'npm run build (npm run build:console: apps/console/build.mjs writes dist/)',
};

describe('docker/Dockerfile', () => {
  const instructions = dockerInstructions(read('docker/Dockerfile'));
  const copyLines = copies(instructions);
  const ignorePatterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('is multi-stage on node:20-bookworm-slim, with the native build tools in the build stage', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['node:20-bookworm-slim AS build', 'node:20-bookworm-slim AS runtime']);
    const buildRuns = instructions.filter((i) => i.stage === 'build' && i.keyword === 'RUN').map((i) => i.args);
    expect(buildRuns.join('\n')).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
    expect(buildRuns).toContain('npm ci --no-audit --no-fund');
    expect(buildRuns.join('\n')).toMatch(/npm run build && npm prune --omit=dev/);
  });

  it('copies into the build stage only files that exist in the repository and are not in .dockerignore', () => {
    const fromContext = copyLines.filter((c) => c.from === undefined);
    expect(fromContext.length).toBeGreaterThan(0);
    for (const copy of fromContext) {
      expect(copy.stage).toBe('build');
      for (const source of copy.sources) {
        expect({ source, exists: existsSync(join(root, source)) }).toEqual({ source, exists: true });
        expect({ source, ignored: ignoredByDockerignore(source, ignorePatterns) }).toEqual({ source, ignored: false });
      }
    }
    // npm ci needs every workspace's manifest and the lock file.
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const copied = fromContext.flatMap((c) => c.sources);
    for (const manifest of ['package.json', 'package-lock.json', ...workspaces.map((w) => `${w}/package.json`)]) {
      expect(copied).toContain(manifest);
    }
    // Everything `npm run build` compiles: each `tsc -b` project, its tsconfig.json and its sources.
    const covered = (path: string): boolean => copied.some((source) => path === source || path.startsWith(`${source}/`));
    const build = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build;
    const projects = /^tsc -b ([\w./ -]+?)\s*(?:&&|$)/.exec(build)?.[1].trim().split(/\s+/) ?? [];
    expect(projects).toContain('apps/portal');
    for (const project of projects) {
      for (const needed of [`${project}/tsconfig.json`, `${project}/src`]) {
        expect({ needed, exists: existsSync(join(root, needed)), copied: covered(needed) }).toEqual({ needed, exists: true, copied: true });
      }
    }
    expect(covered('tsconfig.base.json')).toBe(true);
  });

  it('copies into the runtime stage only what the build stage has: repository files or build outputs', () => {
    const fromBuild = copyLines.filter((c) => c.from !== undefined);
    expect(fromBuild.length).toBeGreaterThan(0);
    const copiedIntoBuild = copyLines.filter((c) => c.from === undefined).flatMap((c) => c.sources);
    for (const copy of fromBuild) {
      expect(copy.from).toBe('build');
      expect(copy.stage).toBe('runtime');
      for (const source of copy.sources) {
        expect(source.startsWith('/app/')).toBe(true);
        const path = source.slice('/app/'.length);
        const origin = copiedIntoBuild.includes(path) ? 'repository' : (BUILD_OUTPUTS[path] ?? 'unknown');
        expect({ path, origin }).not.toEqual({ path, origin: 'unknown' });
      }
    }
    expect(JSON.parse(read('apps/portal/tsconfig.json')).compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    // The console the Portal serves is built by npm run build and looked up next to the Portal.
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toContain('npm run build:console');
    expect(scripts['build:console']).toBe('node apps/console/build.mjs');
    expect(read('apps/console/build.mjs')).toMatch(/join\(here, 'dist'\)/);
    expect(fromBuild.flatMap((c) => c.sources)).toContain('/app/apps/console/dist');
  });

  it('runs compiled files whose sources exist: HEALTHCHECK → src/bin/healthcheck.ts, CMD → src/main.ts', () => {
    const dist = (compiled: string): string => {
      const match = /^apps\/portal\/dist\/(.+)\.js$/.exec(compiled);
      if (!match) throw new Error(`not a compiled Portal file: ${compiled}`);
      return `apps/portal/src/${match[1]}.ts`;
    };
    const healthcheck = instructions.find((i) => i.keyword === 'HEALTHCHECK');
    const cmd = instructions.filter((i) => i.keyword === 'CMD');
    expect(healthcheck?.args).toMatch(/CMD \["node", "apps\/portal\/dist\/bin\/healthcheck\.js"\]$/);
    expect(cmd.map((i) => i.stage)).toEqual(['runtime']);
    expect(JSON.parse(cmd[0].args)).toEqual(['node', 'apps/portal/dist/main.js']);
    expect(dist('apps/portal/dist/bin/healthcheck.js')).toBe('apps/portal/src/bin/healthcheck.ts');
    expect(existsSync(join(root, dist('apps/portal/dist/bin/healthcheck.js')))).toBe(true);
    expect(existsSync(join(root, dist('apps/portal/dist/main.js')))).toBe(true);
    const workdir = instructions.filter((i) => i.stage === 'runtime' && i.keyword === 'WORKDIR').map((i) => i.args);
    expect(workdir).toEqual(['/app']);
  });

  it('runs as a non-root user with one /data volume, listening on 0.0.0.0:8080', () => {
    const runtime = instructions.filter((i) => i.stage === 'runtime');
    const user = runtime.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(user).toHaveLength(1);
    expect(['root', '0']).not.toContain(user[0].split(':')[0]);
    expect(runtime.filter((i) => i.keyword === 'VOLUME').map((i) => i.args)).toEqual(['["/data"]']);
    const env = runtime
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bPORTAL_HOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bPORTAL_DATA_DIR=\/data\b/);
    expect(runtime.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual(['8080']);
    expect(instructions.map((i) => i.args).join('\n')).not.toMatch(/\b(curl|wget)\b/);
    for (const name of env.match(/\bPORTAL_[A-Z0-9_]+(?==)/g) ?? []) expect(Object.keys(CONFIG_VARIABLES)).toContain(name);
  });

  it('.dockerignore keeps local state out of the build context', () => {
    for (const path of [
      'node_modules',
      'apps/portal/node_modules',
      'apps/portal/dist',
      'data',
      '.git',
      'test-output',
      'docker/.env',
      '.env',
    ]) {
      expect({ path, ignored: ignoredByDockerignore(path, ignorePatterns) }).toEqual({ path, ignored: true });
    }
    expect(ignoredByDockerignore('docker/example.env', ignorePatterns)).toBe(false);
  });
});

/** Each setting in docker/example.env: `# <description>`, optional notes, `# Default: <default>`, `#NAME=value`. */
function exampleEnvEntries(text: string): Map<string, { comments: string[]; value: string }> {
  const entries = new Map<string, { comments: string[]; value: string }>();
  let comments: string[] = [];
  for (const line of text.split('\n')) {
    const assignment = /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (assignment) {
      entries.set(assignment[1], { comments, value: assignment[2] });
      comments = [];
    } else if (line.startsWith('# ')) {
      comments.push(line.slice(2));
    } else if (line.trim() === '') {
      comments = [];
    }
  }
  return entries;
}

describe('docker/example.env', () => {
  const text = read('docker/example.env');
  const entries = exampleEnvEntries(text);

  it('documents every PORTAL_* variable with its exact meaning and default (fix: npm run build && node scripts/sync-config-docs.mjs)', () => {
    for (const [name, { default: fallback, description }] of Object.entries(CONFIG_VARIABLES)) {
      const entry = entries.get(name);
      expect({ name, documented: Boolean(entry) }).toEqual({ name, documented: true });
      expect({ name, comments: entry?.comments }).toEqual({
        name,
        comments: expect.arrayContaining([description, `Default: ${fallback || '(empty)'}`]),
      });
      // The value shown is the default itself, or empty when the default is computed (<host>…).
      expect({ name, value: entry?.value }).toEqual({ name, value: fallback.includes('<') ? '' : fallback });
    }
  });

  it('names no PORTAL_* variable the Portal does not read, and changes nothing when copied as is', () => {
    const mentioned = new Set(text.match(/\bPORTAL_[A-Z0-9_]+/g));
    for (const name of mentioned) expect({ name, known: name in CONFIG_VARIABLES }).toEqual({ name, known: true });
    for (const line of text.split('\n')) expect(line === '' || line.startsWith('#')).toBe(true);
  });
});

describe('docker/compose.yaml', () => {
  const compose = parse(read('docker/compose.yaml')) as {
    services: Record<string, Record<string, unknown> & { profiles?: string[]; environment?: Record<string, string> }>;
    volumes: Record<string, unknown>;
  };

  it('parses and builds the Portal from docker/Dockerfile with a /data volume and the healthcheck', () => {
    const portal = compose.services.portal;
    expect(portal.profiles).toBeUndefined();
    const build = portal.build as { context: string; dockerfile: string };
    expect(existsSync(join(root, 'docker', build.context, build.dockerfile))).toBe(true);
    expect(posix.join('docker', build.context, build.dockerfile)).toBe('docker/Dockerfile');
    const volumes = portal.volumes as string[];
    const dataVolume = volumes.find((v) => v.endsWith(':/data'));
    expect(dataVolume).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(dataVolume?.split(':')[0]);
    expect((portal.healthcheck as { test: string[] }).test).toEqual(['CMD', 'node', 'apps/portal/dist/bin/healthcheck.js']);
    expect(portal.environment).toMatchObject({ PORTAL_HOST: '0.0.0.0', PORTAL_PORT: '8080', PORTAL_DATA_DIR: '/data' });
    expect(portal.ports).toEqual(['127.0.0.1:8080:8080']);
  });

  it('adds PostgreSQL 15 only with the postgres profile, and documents PORTAL_DATABASE_URL for it', () => {
    const enabledByDefault = Object.entries(compose.services)
      .filter(([, s]) => !s.profiles)
      .map(([name]) => name);
    expect(enabledByDefault).toEqual(['portal']);
    const postgres = compose.services.postgres;
    expect(postgres.image).toBe('postgres:15');
    expect(postgres.profiles).toEqual(['postgres']);
    expect(postgres.healthcheck).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain((postgres.volumes as string[])[0].split(':')[0]);
    expect(compose.services.portal.depends_on).toEqual({ postgres: { condition: 'service_healthy', required: false } });
    const env = postgres.environment as Record<string, string>;
    const url = `postgres://${env.POSTGRES_USER}:choose-a-password@postgres:5432/${env.POSTGRES_DB}`;
    expect(read('docker/compose.yaml')).toContain(`PORTAL_DATABASE_URL=${url}`);
    expect(read('README.md')).toContain(`PORTAL_DATABASE_URL=${url}`);
  });

  it('adds Caddy only with the https profile: ports 80 and 443, its volumes, docker/Caddyfile in front of the portal service', () => {
    const caddy = compose.services.caddy;
    expect(caddy.image).toBe('caddy:2');
    expect(caddy.profiles).toEqual(['https']);
    expect(caddy.ports).toEqual(expect.arrayContaining(['80:80', '443:443']));
    const volumes = caddy.volumes as string[];
    expect(volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
    for (const mount of ['/data', '/config']) {
      const volume = volumes.find((v) => v.endsWith(`:${mount}`));
      expect({ mount, declared: Object.keys(compose.volumes).includes(volume?.split(':')[0] ?? '') }).toEqual({ mount, declared: true });
    }
    // Only the domain reaches Caddy's container, never docker/.env with the Portal's secrets.
    expect(caddy.env_file).toBeUndefined();
    expect(caddy.environment).toEqual({ HTTPS_DOMAIN: '${HTTPS_DOMAIN:-}' });
    expect((caddy.command as string[]).join(' ')).toContain('exec caddy run --config /etc/caddy/Caddyfile --adapter caddyfile');

    const caddyfile = read('docker/Caddyfile');
    expect(caddyfile).toMatch(/^\{\$HTTPS_DOMAIN\} \{$/m);
    const target = /^\s*reverse_proxy (\S+):(\d+)\b/m.exec(caddyfile);
    expect(target?.slice(1)).toEqual(['portal', (compose.services.portal.environment as Record<string, string>).PORTAL_PORT]);
    // What the README tells a VPS owner to write into docker/.env.
    const readme = read('README.md');
    for (const line of ['HTTPS_DOMAIN=portal.example.com', 'PORTAL_PUBLIC_URL=https://portal.example.com', 'PORTAL_TRUST_PROXY=true']) {
      expect({ line, inReadme: readme.includes(line), inCompose: read('docker/compose.yaml').includes(line) }).toEqual({
        line,
        inReadme: true,
        inCompose: true,
      });
    }
    expect(readme).toContain('docker compose -f docker/compose.yaml --profile https up -d');
    expect(read('docker/example.env')).toMatch(/^#HTTPS_DOMAIN=/m);
  });

  it('mentions only PORTAL_* variables the Portal reads', () => {
    for (const name of read('docker/compose.yaml').match(/\bPORTAL_[A-Z0-9_]+/g) ?? []) {
      expect({ name, known: name in CONFIG_VARIABLES }).toEqual({ name, known: true });
    }
  });
});

describe('README.md', () => {
  const readme = read('README.md');

  it('starts with the two commands a newcomer runs', () => {
    const lines = readme.split('\n');
    expect(lines[0]).toBe('# Agent P2P');
    // The first two code lines of the document, before any other text than their explanations.
    const codeLines: string[] = [];
    let inCode = false;
    for (const line of lines) {
      if (line.startsWith('```')) inCode = !inCode;
      else if (inCode) codeLines.push(line);
      if (codeLines.length === 2) break;
    }
    expect(codeLines).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    expect(lines.slice(1, 4)).toEqual(['', '```sh', 'npm ci && npm start']);
  });

  it('has a configuration row for every PORTAL_* variable, with its exact default and meaning (fix: npm run build && node scripts/sync-config-docs.mjs)', () => {
    const rows = new Map<string, { fallback: string; description: string }>();
    for (const match of readme.matchAll(/^\| `(PORTAL_[A-Z0-9_]+)` \| (.*?) \| (.*) \|$/gm)) {
      const fallback = match[2] === '(empty)' ? '' : match[2].replace(/^`|`$/g, '');
      rows.set(match[1], { fallback, description: match[3].replace(/&lt;/g, '<').replace(/&gt;/g, '>') });
    }
    expect([...rows.keys()]).toEqual(Object.keys(CONFIG_VARIABLES));
    for (const [name, { default: fallback, description }] of Object.entries(CONFIG_VARIABLES)) {
      expect({ name, ...rows.get(name) }).toEqual({ name, fallback, description });
    }
    for (const name of readme.match(/\bPORTAL_[A-Z0-9_]+/g) ?? []) {
      expect({ name, known: name in CONFIG_VARIABLES || name === 'PORTAL_TEST_DATABASE_URL' }).toEqual({ name, known: true });
    }
  });

  it('documents only npm scripts that exist', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    for (const match of readme.matchAll(/`npm (?:run )?([a-z0-9:]+)/g)) {
      const script = match[1];
      if (['ci', 'i', 'install'].includes(script)) continue;
      expect({ script, exists: scripts.includes(script) }).toEqual({ script, exists: true });
    }
  });
});

describe('SKILL.md, LICENSE and docs', () => {
  it('SKILL.md is an OpenClaw skill: frontmatter with name, description and the required env and bins', () => {
    const match = /^---\n([\s\S]*?)\n---\n/.exec(read('SKILL.md'));
    expect(match).not.toBeNull();
    const frontmatter = parse(match?.[1] ?? '') as { name: string; description: string; metadata: unknown };
    expect(frontmatter.name).toBe('agent-p2p');
    expect(frontmatter.description.length).toBeGreaterThan(20);
    expect(frontmatter.description).not.toMatch(/[<>]/);
    expect(frontmatter.metadata).toMatchObject({
      openclaw: { requires: { env: ['AGENTP2P_HUB_URL', 'AGENTP2P_API_KEY'], bins: ['agent-p2p'] } },
    });
    // The command the skill requires is the one apps/bridge ships.
    expect((JSON.parse(read('apps/bridge/package.json')) as { bin?: Record<string, string> }).bin).toHaveProperty('agent-p2p');
  });

  it('LICENSE is the MIT license that package.json names', () => {
    expect(JSON.parse(read('package.json')).license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
  });

  it('the README links to files that exist', () => {
    for (const match of read('README.md').matchAll(/\]\(([^)#:]+)\)/g)) {
      expect({ link: match[1], exists: existsSync(join(root, match[1])) }).toEqual({ link: match[1], exists: true });
    }
  });
});

describe('.ci/run', () => {
  it('installs from scratch and runs the README test command', () => {
    const lines = read('.ci/run')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const install = lines.findIndex((line) => /^npm ci\b/.test(line));
    const test = lines.findIndex((line) => /^npm test(\s|$)/.test(line));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(test).toBeGreaterThan(install);
  });
});

describe('the healthcheck script (apps/portal/dist/bin/healthcheck.js)', () => {
  const script = join(root, 'apps/portal/dist/bin/healthcheck.js');
  let portal: TestPortal;

  beforeAll(async () => {
    if (!existsSync(script)) {
      const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'apps/portal'], {
        cwd: root,
        encoding: 'utf8',
      });
      if (build.status !== 0) throw new Error(`tsc -b apps/portal failed:\n${build.stdout}${build.stderr}`);
    }
    portal = await TestPortal.start();
  }, 120_000);

  afterAll(async () => {
    await portal?.destroy();
  });

  /** Runs the script with only PORTAL_PORT set (as the container's HEALTHCHECK does); resolves its exit code. */
  function runHealthcheck(port: number): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script], {
        env: { PATH: process.env.PATH ?? '', PORTAL_PORT: String(port) },
        stdio: 'ignore',
      });
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    });
  }

  it('exits 0 when the Portal on PORTAL_PORT answers /health with 200', async () => {
    await expect(portal.client().getHealth()).resolves.toMatchObject({ status: 'ok' });
    await expect(runHealthcheck(portal.config.port)).resolves.toBe(0);
  });

  it('exits 1 when nothing listens on PORTAL_PORT', async () => {
    const closed = await freePort();
    await expect(runHealthcheck(closed)).resolves.toBe(1);
  });

  it('exits 1 when /health answers 503 (low disk)', async () => {
    const degraded = await TestPortal.start({ env: { PORTAL_MIN_FREE_DISK_MB: '1048576' } });
    try {
      const response = await fetch(`${degraded.url}/health`);
      expect(response.status).toBe(503);
      await expect(runHealthcheck(degraded.config.port)).resolves.toBe(1);
    } finally {
      await degraded.destroy();
    }
  });
});
