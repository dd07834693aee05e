import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_CSP } from '../src/console-site/console-site';
import { ensureConsoleBuilt, TestPortal } from '@agent-p2p/testing';
const EXPECTED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('console and homepage assets', () => {
  let portal: TestPortal;
  let dist: string;
  beforeAll(async () => {
    dist = ensureConsoleBuilt();
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('serves the homepage at / and the console at /console/ with the strict CSP', async () => {
    expect(CONSOLE_CSP).toBe(EXPECTED_CSP);
    for (const path of ['/', '/console/', '/console/index.html', '/console/console.js', '/console/home.js', '/console/app.css']) {
      const response = await fetch(`${portal.url}${path}`);
      expect([path, response.status]).toEqual([path, 200]);
      expect(response.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const home = await fetch(`${portal.url}/`);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await home.text()).toContain('<script src="/console/home.js" defer></script>');
    expect((await fetch(`${portal.url}/console/console.js`)).headers.get('content-type')).toMatch(/javascript/);

    const redirect = await fetch(`${portal.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
  });

  it('answers 404 for unknown or hidden files, never a directory listing or a file outside the console', async () => {
    for (const path of ['/console/nope.js', '/console/../package.json', '/console/%2e%2e/package.json', '/console/.env']) {
      const response = await fetch(`${portal.url}${path}`);
      expect([path, response.status === 404 || response.status === 403]).toEqual([path, true]);
    }
    // The API keeps its JSON 404s.
    const api = await fetch(`${portal.url}/api/nope`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('leaves the API and Swagger UI without the console CSP', async () => {
    expect((await fetch(`${portal.url}/health`)).headers.get('content-security-policy')).toBeNull();
  });

  it('references nothing outside the Portal: no external URL, no inline script or style', () => {
    const files = readdirSync(dist);
    expect(files.sort()).toEqual(['app.css', 'console.js', 'favicon.svg', 'home.html', 'home.js', 'index.html']);
    for (const file of files) {
      // An SVG names its XML namespace with a URL that is never fetched.
      const text = readFileSync(join(dist, file), 'utf8').replace(/ xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '');
      expect([file, text.match(/\b(?:https?|wss?|ftp):\/\/[^\s"'`)]*/gi)]).toEqual([file, null]);
      expect([file, /url\(\s*['"]?(?!data:)[^)]*\)|@import/i.test(text)]).toEqual([
        file,
        file.endsWith('.css') ? /url\(/.test(text) : false,
      ]);
      if (file.endsWith('.html')) {
        expect(text).not.toMatch(/<script(?![^>]*\bsrc="\/console\/[a-z]+\.js")[^>]*>/i);
        expect(text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
        for (const [, ref] of text.matchAll(/\b(?:src|href)="([^"]*)"/g)) expect(ref).toMatch(/^\/console\/[a-z]+\.(js|css|svg)$/);
      }
    }
  });

  it('reports the first-load page weight of the console', () => {
    const bytes = ['index.html', 'console.js', 'app.css'].reduce((sum, file) => sum + readFileSync(join(dist, file)).length, 0);
    process.stdout.write(`console first load: ${bytes} bytes (HTML + JS + CSS, uncompressed)\n`);
    expect(bytes).toBeLessThan(150_000);
  });
});
