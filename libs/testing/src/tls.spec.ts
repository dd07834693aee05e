import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { makeTestCa, type TestCa, tlsRequest, TlsProxy } from './tls';

describe('makeTestCa and TlsProxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ap2p-tls-proxy-'));
  let ca: TestCa;
  let backend: Server;
  let proxy: TlsProxy;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    ca = await makeTestCa(dir);
    backend = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/echo') {
        // Answers each request chunk at once: the response streams while the request still does.
        res.writeHead(200, { 'content-type': 'text/plain' });
        req.on('data', (chunk: Buffer) => res.write(`got ${chunk.toString('utf8')};`));
        req.on('end', () => res.end('end'));
        return;
      }
      res.end(JSON.stringify({ method: req.method, url: req.url }));
    });
    const sockets = new WebSocketServer({ server: backend });
    sockets.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${String(data)}`)));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    proxy = await TlsProxy.start(ca);
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
    backend?.closeAllConnections();
    await new Promise((resolve) => backend?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a CA and a server certificate for localhost and 127.0.0.1 signed by it', () => {
    const root = new X509Certificate(ca.caCert);
    const leaf = new X509Certificate(ca.cert);
    expect(root.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('answers 502 until its target is set, then forwards with the forwarded headers', async () => {
    const before = await tlsRequest(`${proxy.url}/x`, { ca: ca.caCert });
    expect(before.status).toBe(502);
    proxy.setTarget((backend.address() as AddressInfo).port);
    const answer = await tlsRequest(`${proxy.url}/path?q=1`, {
      ca: ca.caCert,
      method: 'DELETE',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ method: 'DELETE', url: '/path?q=1' });
    // What the client claimed is replaced by its real address.
    expect(seen.at(-1)).toMatchObject({
      host: `localhost:${proxy.port}`,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': `localhost:${proxy.port}`,
    });
  });

  it('streams bodies both ways: the answer to the first chunk arrives before the request ends', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${proxy.url}/echo`, { method: 'POST', ca: ca.caCert, agent: false }, (res) => {
        let received = '';
        res.on('data', (chunk: Buffer) => {
          received += chunk.toString('utf8');
          // The second chunk is only written once the first one's answer came back.
          if (received === 'got one;') req.end('two');
        });
        res.on('end', () => resolve(received));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('the proxy buffered')));
      req.on('error', reject);
      req.flushHeaders();
      req.write('one');
    });
    expect(text).toBe('got one;got two;end');
  });

  it('passes WebSocket upgrades through, and stop() ends them', async () => {
    const socket = new WebSocket(`wss://localhost:${proxy.port}/ws`, { ca: ca.caCert });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('hi');
    expect(await reply).toBe('echo hi');

    await proxy.stop();
    await closed;
    await expect(tlsRequest(`${proxy.url}/x`, { ca: ca.caCert })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a client that does not trust the CA fails the handshake', async () => {
    const other = await TlsProxy.start(ca);
    try {
      await expect(
        new Promise((resolve, reject) => request(other.url, { agent: false }, resolve).on('error', reject).end()),
      ).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
    } finally {
      await other.stop();
    }
  });
});
