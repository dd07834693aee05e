import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION } from '@agent-p2p/portal/src/common/version';
import { generateIdentityKey, type IdentityKeyPair } from '@agent-p2p/portal/src/common/identity-keys';
import { waitFor } from './pair';
import { signedFetch, type SignedInit } from './signed-fetch';

/** One call a fake peer received. */
export interface PeerCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  authorization: string | undefined;
  /** The body as JSON, or null when it is empty or not JSON. */
  body: Record<string, unknown> | null;
  /** The body as sent. */
  bytes: Buffer;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** What a fake peer answers: JSON `body` (default {}), with extra headers. */
export interface PeerAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Another Portal as far as a test needs one: an HTTP server on 127.0.0.1 that records every call and
 * answers it with `answer(call)` (by default 200 {}). The answer may be a promise, to hold a call
 * open until the test lets it go. The URL may carry a path of the test's own (`${peer.url}/alice`)
 * so that one server speaks for several Portals.
 */
export class FakePeer {
  readonly calls: PeerCall[] = [];
  /** Its identity key: published at /.well-known/agent-p2p (under any path prefix) and used by fetch(). */
  identity: IdentityKeyPair = generateIdentityKey();
  /** GETs of its well-known document (answered by the fake itself, not recorded in `calls`). */
  documentCalls = 0;
  /** What the well-known document says; a test may change it (another protocol version, another key). */
  document: (portalUrl: string) => unknown = (portalUrl) => ({
    protocol: 'agent-p2p',
    protocolVersion: PROTOCOL_VERSION,
    portalUrl,
    agentName: 'Fake peer',
    ownerName: '',
    avatarText: '',
    bio: '',
    identity: { ...this.identity.identity, rotations: [] },
  });
  answer: (call: PeerCall) => PeerAnswer | Promise<PeerAnswer> = () => ({ status: 200, body: {} });

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(answer?: FakePeer['answer']): Promise<FakePeer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const peer = new FakePeer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (answer) peer.answer = answer;
    server.on('request', (request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (part: Buffer) => parts.push(part));
      request.on('end', () => {
        const bytes = Buffer.concat(parts);
        const path = request.url ?? '';
        if (request.method === 'GET' && path.endsWith('/.well-known/agent-p2p')) {
          peer.documentCalls += 1;
          const portalUrl = peer.url + path.slice(0, -'/.well-known/agent-p2p'.length);
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(peer.document(portalUrl)));
          return;
        }
        const call: PeerCall = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          authorization: request.headers.authorization,
          body: parseJson(bytes),
          bytes,
          at: Date.now(),
        };
        peer.calls.push(call);
        void Promise.resolve(peer.answer(call)).then(
          ({ status, body = {}, headers = {} }) =>
            response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body)),
          () => response.writeHead(500).end(),
        );
      });
    });
    return peer;
  }

  /** A federation call to a Portal, signed with this fake's identity key. */
  fetch(url: string, init: SignedInit = {}): Promise<Response> {
    return signedFetch(this.identity, url, init);
  }

  /** The first call to a path, once it came. */
  callTo(path: string): Promise<PeerCall> {
    return waitFor(`a call to ${path}`, async () => this.calls.find((call) => call.path === path));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function parseJson(bytes: Buffer): Record<string, unknown> | null {
  if (bytes.length === 0) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
