import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { isNonPublicAddress } from '../common/peer-address';
import { contentDigestFromHex, contentDigestOf, signCall } from '../common/http-signatures';
import { IdentityService } from '../identity/identity.service';

export interface PeerRequest {
  /** The peer Portal's base URL (its identity). */
  portalUrl: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the base URL, starting with /api/federation/. */
  path: string;
  /** The contact key, sent as a Bearer token. */
  key?: string;
  body?: unknown;
  /** A raw body streamed instead of JSON (file chunks): opened when the call starts. */
  stream?: { open: () => Readable; length: number; contentType: string };
  /** Extra request headers (e.g. a chunk's hash). */
  headers?: Record<string, string>;
  /** Overrides the configured total timeout (long uploads). */
  timeoutMs?: number;
  /** Sign with this (retired) identity key instead of the current one: a rotation notice. */
  signWith?: string;
}

export interface PeerResponse {
  status: number;
  body: unknown;
  /** Seconds from a Retry-After header, when the peer sent one. */
  retryAfterSeconds?: number;
}

export type PeerErrorKind = 'invalid-url' | 'address-refused' | 'network' | 'timeout' | 'too-large';

/**
 * The peer could not be reached or answered unusably. Only network errors and timeouts are retried:
 * a refused URL or address stays refused, and a peer whose answer is over the cap would send it again.
 */
export class PeerError extends Error {
  constructor(
    readonly kind: PeerErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PeerError';
  }

  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'timeout';
  }
}

/**
 * Outbound HTTP to peer Portals. https only (unless PORTAL_ALLOW_INSECURE_PEERS), certificates
 * checked against the public roots and PORTAL_CA_FILE's authorities; the resolved
 * address is checked at connect time (no private ranges unless PORTAL_ALLOW_PRIVATE_PEERS, so DNS
 * rebinding cannot slip past); redirects are never followed; connect and total timeouts; the
 * response body is capped.
 */
@Injectable()
export class PeerClient implements OnModuleDestroy {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @Optional() private readonly identity?: IdentityService,
  ) {
    const lookup = this.guardedLookup();
    const options = { keepAlive: true, maxSockets: 8, maxFreeSockets: 4, timeout: config.peers.totalTimeoutMs, lookup };
    this.httpAgent = new HttpAgent(options);
    // Node's `ca` replaces the roots it trusts, so the extra authorities of PORTAL_CA_FILE are added
    // to its built-in public roots; without the setting Node's defaults apply unchanged. (Node 20
    // cannot list its whole default store, so with the setting NODE_EXTRA_CA_CERTS no longer
    // applies to peers: such certificates belong in the file too.)
    const extraCa = config.peers.extraCa?.certificates;
    this.httpsAgent = new HttpsAgent(extraCa ? { ...options, ca: [...rootCertificates, ...extraCa] } : options);
  }

  onModuleDestroy(): void {
    this.abortAll();
  }

  /** Ends every connection, which fails the calls in flight. */
  abortAll(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async send(request: PeerRequest): Promise<PeerResponse> {
    const url = this.buildUrl(request);
    const secure = url.protocol === 'https:';
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const headers: Record<string, string> = { ...request.headers, accept: 'application/json', 'user-agent': 'agent-p2p-portal' };
    if (request.stream) {
      headers['content-type'] = request.stream.contentType;
      headers['content-length'] = String(request.stream.length);
    } else if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (request.key) headers.authorization = `Bearer ${request.key}`;
    if (request.path.startsWith('/api/federation/')) await this.sign(request, url, headers, payload);
    const limits = { ...this.config.peers, totalTimeoutMs: request.timeoutMs ?? this.config.peers.totalTimeoutMs };

    return new Promise<PeerResponse>((resolve, reject) => {
      const send = secure ? httpsRequest : httpRequest;
      const req = send(url, { method: request.method, headers, agent: secure ? this.httpsAgent : this.httpAgent });
      const total = setTimeout(
        () => req.destroy(new PeerError('timeout', `no answer from ${url.host} within ${limits.totalTimeoutMs} ms`)),
        limits.totalTimeoutMs,
      );
      let connectTimer: NodeJS.Timeout | undefined;
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(
          () => req.destroy(new PeerError('timeout', `could not connect to ${url.host} within ${limits.connectTimeoutMs} ms`)),
          limits.connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (error: Error) => {
        clearTimeout(total);
        clearTimeout(connectTimer);
        reject(error instanceof PeerError ? error : new PeerError('network', `${url.host}: ${describe(error)}`));
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const tooLarge = (): void =>
          void req.destroy(
            new PeerError('too-large', `${url.host} answered more than ${limits.maxResponseBytes} bytes, the limit for a peer's answer`),
          );
        // A declared length over the cap is refused before any of the body is read.
        if (Number(res.headers['content-length'] ?? 0) > limits.maxResponseBytes) return tooLarge();
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxResponseBytes) {
            tooLarge();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(total);
          resolve({
            status: res.statusCode ?? 0,
            body: parseJson(Buffer.concat(chunks).toString('utf8')),
            retryAfterSeconds: parseRetryAfter(res.headers['retry-after']),
          });
        });
        res.on('error', (error) => req.destroy(error));
      });
      if (request.stream) {
        let source: Readable;
        try {
          source = request.stream.open();
        } catch (error) {
          req.destroy(new PeerError('network', `could not read the body: ${describe(error as Error)}`));
          return;
        }
        source.once('error', (error) => req.destroy(new PeerError('network', `could not read the body: ${describe(error)}`)));
        req.once('close', () => source.destroy());
        source.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  /**
   * Signs a federation call with this Portal's identity key (RFC 9421): method, full URL, the body's
   * Content-Digest (a streamed chunk's from its known SHA-256, so it is not read twice) and the key.
   */
  private async sign(request: PeerRequest, url: URL, headers: Record<string, string>, payload: Buffer | undefined): Promise<void> {
    if (!this.identity) return;
    if (request.stream) {
      const hex = headers['x-chunk-sha256'];
      if (!hex || !/^[0-9a-f]{64}$/i.test(hex)) throw new Error('a streamed federation body needs its X-Chunk-Sha256 to be signed');
      headers['content-digest'] = contentDigestFromHex(hex);
    } else if (payload) {
      headers['content-digest'] = contentDigestOf(payload);
    }
    const key = await this.identity.signingKey(request.signWith);
    Object.assign(headers, signCall({ method: request.method, url: url.href, headers }, key));
  }

  private buildUrl(request: PeerRequest): URL {
    let url: URL;
    try {
      url = new URL(request.portalUrl.replace(/\/+$/, '') + request.path);
    } catch {
      throw new PeerError('invalid-url', `not a URL: ${request.portalUrl}`);
    }
    if (url.protocol !== 'https:' && !(this.config.peers.allowInsecure && url.protocol === 'http:')) {
      throw new PeerError('invalid-url', `peer URLs must use https (${url.origin})`);
    }
    // IP literals never go through the lookup below, so they are checked here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.config.peers.allowPrivate && isNonPublicAddress(host)) {
      throw new PeerError('address-refused', `${host} is a private or local address`);
    }
    return url;
  }

  /** DNS lookup that refuses non-public addresses unless allowed: the address checked is the one connected to. */
  private guardedLookup(): LookupFunction {
    const allowPrivate = this.config.peers.allowPrivate;
    return ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error);
        const usable = allowPrivate ? addresses : addresses.filter((a) => !isNonPublicAddress(a.address));
        if (usable.length === 0) {
          return callback(new PeerError('address-refused', `${hostname} resolves only to private or local addresses`));
        }
        if ((options as { all?: boolean }).all) return callback(null, usable);
        return callback(null, usable[0].address, usable[0].family);
      });
    }) as LookupFunction;
  }
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 86_400);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** OpenSSL's verification failures (and Node's host-name check) as Node reports them. */
const CERTIFICATE_ERRORS =
  /^(CERT_|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE|DECRYPT_CERT_SIGNATURE|DECODE_ISSUER_PUBLIC_KEY)|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE)/;

function describe(error: Error): string {
  const code = (error as { code?: string }).code;
  // A certificate the peer's Portal shows that we do not trust is named as such: the owner reading
  // a contact's request state needs to know it is the peer's certificate (or our PORTAL_CA_FILE),
  // not the network.
  if (code && CERTIFICATE_ERRORS.test(code)) return `TLS certificate not accepted (${code}: ${error.message})`;
  return code ? `${code}` : error.message;
}
