import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { callGateway, parseRetryAfter } from './gateway';

describe('callGateway', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ path: string; authorization?: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
        const status = Number(/status=(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
        if (status === 0) return; // hang
        const retryAfter = /retry=([^&]+)/.exec(req.url ?? '')?.[1];
        res.writeHead(status, retryAfter ? { 'retry-after': decodeURIComponent(retryAfter) } : {});
        res.end(JSON.stringify({ ok: status < 300 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const call = (path: string, extra: { gatewayUrl?: string; timeoutMs?: number } = {}) =>
    callGateway({
      gatewayUrl: extra.gatewayUrl ?? url,
      hooksToken: 'tok',
      path,
      body: { text: 'hi' },
      timeoutMs: extra.timeoutMs ?? 2000,
      signal: new AbortController().signal,
    });

  it('accepts any 2xx and sends the bearer token and JSON body', async () => {
    expect(await call('/hooks/wake?status=200')).toEqual({ kind: 'ok', status: 200 });
    expect(await call('/hooks/agent?status=202')).toEqual({ kind: 'ok', status: 202 });
    expect(seen[0]).toMatchObject({ authorization: 'Bearer tok', body: '{"text":"hi"}' });
  });

  it('retries 408, 425, 429 and 5xx, with Retry-After', async () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504])
      expect(await call(`/h?status=${status}`)).toMatchObject({ kind: 'retry', status });
    expect(await call('/h?status=429&retry=60')).toMatchObject({ kind: 'retry', retryAfterMs: 60_000 });
  });

  it('treats 400/401/403/404/405/413 as configuration errors with a hint', async () => {
    for (const status of [400, 401, 403, 404, 405, 413])
      expect(await call(`/h?status=${status}`)).toMatchObject({ kind: 'config', status });
    expect(await call('/h?status=401')).toMatchObject({ message: expect.stringContaining('OPENCLAW_HOOKS_TOKEN') });
  });

  it('retries connection errors and cuts a hanging gateway at the timeout', async () => {
    expect(await call('/h', { gatewayUrl: 'http://127.0.0.1:1' })).toMatchObject({
      kind: 'retry',
      status: 'error',
      message: expect.stringContaining('cannot reach'),
    });
    const started = Date.now();
    expect(await call('/h?status=0', { timeoutMs: 200 })).toMatchObject({
      kind: 'retry',
      status: 'error',
      message: expect.stringContaining('200 ms'),
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2025 00:00:30 GMT', now)).toBe(0);
  });
});
