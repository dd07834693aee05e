import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../config/portal-config';
import { isNonPublicAddress } from '../common/peer-address';
import { PeerClient, PeerError } from './peer-client';
import { normalizePortalUrl } from '../common/portal-url';

function client(env: Record<string, string> = {}): PeerClient {
  return new PeerClient(loadConfig({ PORTAL_DATA_DIR: '/tmp/unused', ...env }));
}

async function failure(promise: Promise<unknown>): Promise<PeerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PeerError) return error;
    throw error;
  }
  throw new Error('expected a PeerError');
}

describe('isNonPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'not-an-ip',
  ])('%s is not public', (address) => expect(isNonPublicAddress(address)).toBe(true));
  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) =>
    expect(isNonPublicAddress(address)).toBe(false),
  );
});

describe('normalizePortalUrl', () => {
  it('keeps https, drops trailing slashes, refuses the rest', () => {
    expect(normalizePortalUrl('https://Bob.example.com/', false)).toBe('https://bob.example.com');
    expect(normalizePortalUrl('https://example.com/portal/', false)).toBe('https://example.com/portal');
    expect(normalizePortalUrl('http://example.com', false)).toBeNull();
    expect(normalizePortalUrl('http://example.com', true)).toBe('http://example.com');
    for (const bad of ['ftp://x', 'javascript:alert(1)', 'https://u:p@x.com', 'https://x.com/?a=1', 'https://x.com/#f', 'nope']) {
      expect(normalizePortalUrl(bad, true)).toBeNull();
    }
  });
});

describe('PeerClient', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      } else if (req.url === '/huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(2 * 1048576, 'a'));
      } else if (req.url === '/huge-chunked') {
        // No content-length: the cap must hold while reading.
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 40; i += 1) res.write(Buffer.alloc(65536, 'a'));
        res.end();
      } else if (req.url === '/hang') {
        // never answers
      } else if (req.url === '/busy') {
        res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' }).end('{"message":"slow down"}');
      } else {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body })));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const local = { PORTAL_ALLOW_INSECURE_PEERS: 'true', PORTAL_ALLOW_PRIVATE_PEERS: 'true' };

  it('sends JSON with the key as a Bearer token and parses the answer', async () => {
    const peers = client(local);
    const response = await peers.send({
      portalUrl: `http://127.0.0.1:${port}`,
      method: 'POST',
      path: '/x',
      key: 'ap2p_c_k',
      body: { a: 1 },
    });
    expect(response).toMatchObject({ status: 200, body: { echo: '{"a":1}' } });
    expect(seen).toContain('POST /x Bearer ap2p_c_k');
    peers.onModuleDestroy();
  });

  it('refuses http peers unless allowed', async () => {
    const error = await failure(
      client({ PORTAL_ALLOW_PRIVATE_PEERS: 'true' }).send({ portalUrl: `http://127.0.0.1:${port}`, method: 'GET', path: '/x' }),
    );
    expect(error.kind).toBe('invalid-url');
    expect(error.retryable).toBe(false);
  });

  it('refuses loopback and private addresses unless allowed, also behind a host name', async () => {
    const insecureOnly = client({ PORTAL_ALLOW_INSECURE_PEERS: 'true' });
    const literal = await failure(insecureOnly.send({ portalUrl: `http://127.0.0.1:${port}`, method: 'GET', path: '/x' }));
    expect(literal.kind).toBe('address-refused');
    const named = await failure(insecureOnly.send({ portalUrl: `http://localhost:${port}`, method: 'GET', path: '/x' }));
    expect(named.kind).toBe('address-refused');
    const metadata = await failure(insecureOnly.send({ portalUrl: 'http://169.254.169.254', method: 'GET', path: '/latest' }));
    expect(metadata.kind).toBe('address-refused');
    expect(seen.filter((s) => s.startsWith('GET /x'))).toHaveLength(0);
    insecureOnly.onModuleDestroy();
  });

  it('never follows redirects', async () => {
    const response = await client(local).send({ portalUrl: `http://127.0.0.1:${port}`, method: 'GET', path: '/redirect' });
    expect(response.status).toBe(302);
  });

  it('caps the response size, as a failure that retrying would not cure', async () => {
    for (const path of ['/huge', '/huge-chunked']) {
      const error = await failure(client(local).send({ portalUrl: `http://127.0.0.1:${port}`, method: 'GET', path }));
      expect(error.kind).toBe('too-large');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/answered more than 1048576 bytes/);
    }
  });

  it('times out a peer that never answers', async () => {
    const error = await failure(
      client({ ...local, PORTAL_PEER_TIMEOUT_MS: '300' }).send({ portalUrl: `http://127.0.0.1:${port}`, method: 'GET', path: '/hang' }),
    );
    expect(error.kind).toBe('timeout');
    expect(error.retryable).toBe(true);
  });

  it('reads Retry-After', async () => {
    const response = await client(local).send({ portalUrl: `http://127.0.0.1:${port}`, method: 'GET', path: '/busy' });
    expect(response).toMatchObject({ status: 429, retryAfterSeconds: 7 });
  });

  it('reports a closed port as a retryable network error', async () => {
    const error = await failure(client(local).send({ portalUrl: 'http://127.0.0.1:1', method: 'GET', path: '/x' }));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});
