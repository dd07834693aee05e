import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { createPortalClient } from './client';
import { PortalApiError } from './errors';

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

describe('PortalApiError', () => {
  it('from an error response: status, message, error, details and request id', () => {
    const body = { statusCode: 429, error: 'Too Many Requests', message: 'Too many failed logins', details: { retryAfterSeconds: 30 } };
    const error = PortalApiError.fromResponse(jsonResponse(429, body, { 'x-request-id': 'req-1' }), body);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(PortalApiError);
    expect(error).toMatchObject({
      name: 'PortalApiError',
      status: 429,
      message: 'Too many failed logins',
      error: 'Too Many Requests',
      details: { retryAfterSeconds: 30 },
      requestId: 'req-1',
      isNetworkError: false,
    });
  });

  it('from a response without an error body: the status line', () => {
    const response = new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    const error = PortalApiError.fromResponse(response, undefined);
    expect(error).toMatchObject({ status: 502, message: '502 Bad Gateway', requestId: undefined });
  });

  it('from a connection refused: status 0, and the message names the URL', () => {
    const cause = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const error = PortalApiError.fromNetwork('http://127.0.0.1:1', cause);
    expect(error).toMatchObject({ status: 0, isNetworkError: true, error: 'Network Error' });
    expect(error.message).toBe('Cannot reach the Portal at http://127.0.0.1:1: ECONNREFUSED');
  });
});

describe('createPortalClient', () => {
  it('throws PortalApiError with status 0 naming the URL when nothing listens', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const failure = await createPortalClient({ baseUrl })
      .getHealth()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PortalApiError);
    expect(failure).toMatchObject({ status: 0, isNetworkError: true });
    expect((failure as PortalApiError).message).toContain(baseUrl);
    expect((failure as PortalApiError).message).toMatch(/ECONNREFUSED/);
  });

  it('throws PortalApiError from the Portal error body, with the request id', async () => {
    const fetch = async (): Promise<Response> =>
      jsonResponse(404, { statusCode: 404, error: 'Not Found', message: 'No owner key with id x' }, { 'x-request-id': 'abc' });
    const failure = await createPortalClient({ baseUrl: 'http://portal.test', apiKey: 'ap2p_o_x', fetch })
      .revokeKey('6f1c2a8e-4b7d-4c1e-9a3f-2d5e6b7c8d9e')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PortalApiError);
    expect(failure).toMatchObject({ status: 404, message: 'No owner key with id x', requestId: 'abc' });
  });

  it('sends the owner key as a bearer token, the CSRF header for sessions, and trims the base URL', async () => {
    const seen: Request[] = [];
    const fetch = async (request: Request): Promise<Response> => {
      seen.push(request);
      return jsonResponse(200, { status: 'ok' });
    };
    await createPortalClient({
      baseUrl: 'http://portal.test///',
      apiKey: 'ap2p_o_secret',
      fetch: fetch as typeof globalThis.fetch,
    }).getHealth();
    await createPortalClient({ baseUrl: 'http://portal.test', session: true, fetch: fetch as typeof globalThis.fetch }).getHealth();
    expect(seen[0].url).toBe('http://portal.test/health');
    expect(seen[0].headers.get('authorization')).toBe('Bearer ap2p_o_secret');
    expect(seen[1].headers.get('authorization')).toBeNull();
    expect(seen[1].headers.get('x-requested-with')).toBe('agent-p2p');
  });
});
