import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PORTAL_VERSION, PROTOCOL_VERSION } from '../src/common/version';
import { DOCS_CSP } from '../src/configure-app';
import { TestPortal } from '@agent-p2p/testing';
describe('health, version, docs and the contract', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('/health → 200 with the database and the disk', async () => {
    const response = await fetch(`${portal.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      database: { ok: true },
      disk: { ok: true, freeBytes: expect.any(Number), minFreeBytes: 0 },
      background: { ok: true, failing: [] },
    });
  });

  it('/version names the Portal, its protocol and its database', async () => {
    await expect(portal.client().getVersion()).resolves.toEqual({
      name: 'agent-p2p-portal',
      version: PORTAL_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      database: portal.config.databaseUrl ? 'postgres' : 'sqlite',
    });
  });

  it('every response carries the security headers and a request id', async () => {
    const response = await fetch(`${portal.url}/version`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-request-id')).toMatch(/\S/);
  });

  it.each(['/docs', '/docs/', '/docs/index.html', '/docs/?a=/', '/docs?a=/'])(
    '%s is Swagger UI under a Content-Security-Policy, from same-origin assets only, each answering 200',
    async (path) => {
      const page = await fetch(`${portal.url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('content-security-policy')).toBe(DOCS_CSP);
      expect(DOCS_CSP).toMatch(/script-src 'self';/);
      expect(DOCS_CSP).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
      const html = await page.text();
      expect(html).toMatch(/swagger/i);
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      const references = [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]);
      expect(references.length).toBeGreaterThan(2);
      const origin = new URL(portal.url).origin;
      const foreign = references.filter((ref) => !ref.startsWith('#') && new URL(ref, page.url).origin !== origin);
      expect(foreign).toEqual([]);
      expect(html).not.toMatch(/cdn|unpkg|jsdelivr|googleapis/i);
      for (const ref of references.filter((r) => !r.startsWith('#'))) {
        const asset = await fetch(new URL(ref, page.url));
        expect({ ref, status: asset.status }).toEqual({ ref, status: 200 });
        const body = await asset.text();
        expect(body.length).toBeGreaterThan(0);
      }
    },
  );

  it('/openapi.yaml serves exactly the committed openapi.yaml', async () => {
    const response = await fetch(`${portal.url}/openapi.yaml`);
    expect(response.status).toBe(200);
    const served = await response.text();
    const committed = readFileSync(join(process.cwd(), 'openapi.yaml'), 'utf8');
    expect(served).toBe(committed);
  });

  it('/openapi.json is the same document as the published one', async () => {
    const response = await fetch(`${portal.url}/openapi.json`);
    expect(response.status).toBe(200);
    const served = await response.json();
    const committed = readFileSync(join(process.cwd(), 'openapi.yaml'), 'utf8');
    expect(stringify(served, { aliasDuplicateObjects: false, lineWidth: 0 })).toBe(committed);
  });
});

describe('health with too little free disk', () => {
  let portal: TestPortal;
  let freeMb = 0;
  const required = 1048576; // the largest PORTAL_MIN_FREE_DISK_MB: 1 TiB
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_MIN_FREE_DISK_MB: String(required) } });
    const stats = await statfs(portal.dataDir);
    freeMb = (Number(stats.bavail) * Number(stats.bsize)) / 1048576;
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('/health → 503 degraded, naming the disk', async () => {
    if (freeMb >= required) return; // a machine with over 1 TiB free cannot be made to fail this way
    const response = await fetch(`${portal.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'degraded',
      database: { ok: true },
      disk: { ok: false, freeBytes: expect.any(Number), minFreeBytes: required * 1048576, message: 'low disk space in the data directory' },
      background: { ok: true, failing: [] },
    });
  });

  it('the rest of the Portal keeps working', async () => {
    await expect(portal.client().getMe()).resolves.toMatchObject({ publicUrl: portal.url });
  });
});
