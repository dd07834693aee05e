import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A test certificate authority and a server certificate it signed, for localhost and 127.0.0.1. */
export interface TestCa {
  /** The CA's certificate (what PORTAL_CA_FILE names), as a file and as PEM. */
  caCertPath: string;
  caCert: string;
  /** The server's certificate (signed by the CA) and its private key. */
  certPath: string;
  cert: string;
  keyPath: string;
  key: string;
}

/** openssl's settings for both certificates: nothing is taken from the machine's openssl.cnf. */
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/**
 * Makes a test CA and a server certificate for localhost and 127.0.0.1 (subjectAltName) signed by
 * it, with the openssl command, in dir. P-256 keys, valid for 7 days from now: enough for a test
 * run, useless after.
 */
export async function makeTestCa(dir: string): Promise<TestCa> {
  mkdirSync(dir, { recursive: true });
  const path = (name: string): string => join(dir, name);
  const config = path('openssl.cnf');
  writeFileSync(config, OPENSSL_CONFIG);
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: dir, timeout: 30_000, env: { ...process.env, OPENSSL_CONF: config } });
    } catch (error) {
      const { code, stderr } = error as { code?: string; stderr?: string };
      if (code === 'ENOENT') throw new Error('makeTestCa needs the openssl command (apt-get install openssl)', { cause: error });
      throw new Error(`openssl ${args[0]} failed: ${stderr ?? (error as Error).message}`, { cause: error });
    }
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const serial = (): string => `0x${randomBytes(8).toString('hex')}`;

  // The CA: self-signed, its extensions from [ca_ext]; then the server's key and request, signed by it.
  await openssl([
    'req',
    '-config',
    config,
    '-x509',
    ...newKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '7',
    '-set_serial',
    serial(),
    '-subj',
    '/CN=Agent P2P test CA',
    '-extensions',
    'ca_ext',
  ]);
  await openssl(['req', '-config', config, '-new', ...newKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  await openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    serial(),
    '-days',
    '7',
    '-extfile',
    config,
    '-extensions',
    'server_ext',
    '-out',
    'server.pem',
  ]);
  return {
    caCertPath: path('ca.pem'),
    caCert: readFileSync(path('ca.pem'), 'utf8'),
    certPath: path('server.pem'),
    cert: readFileSync(path('server.pem'), 'utf8'),
    keyPath: path('server.key'),
    key: readFileSync(path('server.key'), 'utf8'),
  };
}

/** Headers that belong to one connection, never forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

function forwardedHeaders(headers: IncomingHttpHeaders, clientAddress: string, keep: string[] = []): IncomingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if ((HOP_BY_HOP.has(name) || listed.has(name)) && !keep.includes(name)) continue;
    out[name] = value;
  }
  // Like an edge proxy that trusts nobody in front of it: the client's address replaces whatever
  // X-Forwarded-For the client sent, so the Portal (PORTAL_TRUST_PROXY=true) sees the real one.
  out['x-forwarded-for'] = clientAddress;
  out['x-forwarded-proto'] = 'https';
  if (headers.host) out['x-forwarded-host'] = headers.host;
  return out;
}

/**
 * A TLS-terminating reverse proxy on 127.0.0.1 (port 0), in front of an http server on 127.0.0.1:
 * what Caddy or nginx is in production. Bodies stream both ways (nothing is buffered), WebSocket
 * upgrades are passed through. The target is set after start, so that a Portal's
 * PORTAL_PUBLIC_URL (this proxy's https URL) is known before the Portal starts; until then, or while
 * the target is down, requests get 502. stop() closes every connection.
 */
export class TlsProxy {
  /** Requests forwarded so far (each upgrade counts once). */
  requests = 0;
  private targetPort: number | null = null;
  private listenedOn = 0;
  private readonly upstream = new HttpAgent({ keepAlive: true, maxSockets: 32 });
  private readonly tunnels = new Set<Socket | Duplex>();

  private constructor(private readonly server: HttpsServer) {}

  /** Starts a proxy serving the given certificate (e.g. makeTestCa()'s). */
  static async start(tls: { cert: string; key: string }): Promise<TlsProxy> {
    const server = createHttpsServer({ cert: tls.cert, key: tls.key });
    const proxy = new TlsProxy(server);
    server.on('request', (req, res) => proxy.forward(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => proxy.tunnel(req, socket, head));
    // A client that fails the handshake (e.g. it does not trust the CA) only ends its own connection.
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        proxy.listenedOn = (server.address() as AddressInfo).port;
        resolve();
      });
    });
    return proxy;
  }

  /** Kept after stop(): the URL then names a closed port (a peer that is down). */
  get port(): number {
    return this.listenedOn;
  }

  /** The https URL clients use: localhost, which the certificate names. */
  get url(): string {
    return `https://localhost:${this.port}`;
  }

  /** Where requests go from now on: a port (or http://127.0.0.1:<port> URL) on 127.0.0.1; null: nowhere (502). */
  setTarget(target: number | string | null): void {
    if (target === null || typeof target === 'number') {
      this.targetPort = target;
      return;
    }
    const url = new URL(target);
    if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || !url.port) {
      throw new Error(`TlsProxy forwards to http://127.0.0.1:<port> only (got ${target})`);
    }
    this.targetPort = Number(url.port);
  }

  async stop(): Promise<void> {
    for (const socket of this.tunnels) socket.destroy();
    this.tunnels.clear();
    this.upstream.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const port = this.targetPort;
    if (port === null) return void res.writeHead(502, { 'content-type': 'text/plain' }).end('no target yet');
    this.requests += 1;
    const upstream = httpRequest({
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req.headers, req.socket.remoteAddress ?? ''),
      agent: this.upstream,
    });
    upstream.on('response', (answer) => {
      const headers = { ...answer.headers };
      for (const name of HOP_BY_HOP) delete headers[name];
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('target unreachable');
      else res.destroy();
    });
    // A client that goes away ends the call to the target too (and the other way round).
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  }

  /** WebSocket (and any other) upgrade: the request goes on as written, then bytes flow both ways. */
  private tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const port = this.targetPort;
    if (port === null) return void client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    this.requests += 1;
    const target = netConnect(port, '127.0.0.1');
    this.tunnels.add(client);
    this.tunnels.add(target);
    const close = (): void => {
      client.destroy();
      target.destroy();
      this.tunnels.delete(client);
      this.tunnels.delete(target);
    };
    client.on('error', close).on('close', close);
    target.on('error', close).on('close', close);
    target.once('connect', () => {
      const headers = forwardedHeaders(req.headers, req.socket.remoteAddress ?? '', ['connection', 'upgrade']);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [name, value] of Object.entries(headers)) {
        for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
      }
      target.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) target.write(head);
      target.pipe(client);
      client.pipe(target);
    });
  }
}

/**
 * One https request trusting exactly `ca` (fetch cannot be given a CA): the answer's status,
 * headers and body. Fails with the TLS error (err.code) when the certificate is not accepted, and
 * after timeoutMs.
 */
export function tlsRequest(
  url: string,
  options: { ca: string; method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: options.method ?? 'GET', headers: options.headers, ca: options.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
