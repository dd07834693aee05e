import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './pair';

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
