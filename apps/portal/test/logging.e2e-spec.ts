import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { createLogger } from '../src/common/logger';
import { api, insertContact, TestPortal } from '@agent-p2p/testing';
describe('logs at debug level carry no secrets', () => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = (): string[] =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
  let portal: TestPortal;
  const secrets: string[] = [];
  let failedRequestId: string | null = null;

  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_LOG_LEVEL: 'debug' }, logger: createLogger('debug', stream) });
    secrets.push(portal.ownerKey, portal.password);

    const cookie = await portal.login();
    secrets.push(cookie.split('=')[1]);
    const created = await portal.client().createKey('logged');
    secrets.push(created.key);
    const contactKey = await insertContact(portal);
    secrets.push(contactKey);
    const newPassword = 'new-password-for-logs';
    secrets.push(newPassword);

    // Credentials in every place a request can carry them.
    await api(portal, 'GET', '/api/me', { key: null, headers: { 'x-api-key': created.key } });
    await api(portal, 'GET', '/api/me', { key: contactKey });
    await api(portal, 'GET', `/api/me?key=${created.key}`);
    await api(portal, 'GET', `/api/nope/${portal.ownerKey}`);
    await api(portal, 'POST', '/api/session', { key: null, body: { password: 'wrong-password-logged?' } });
    secrets.push('wrong-password-logged?');
    await api(portal, 'POST', '/api/session', { key: null, body: { password: portal.password, extra: portal.ownerKey } });
    await api(portal, 'POST', '/api/keys', { body: { name: created.key } });
    await api(portal, 'POST', '/api/keys', { body: `{"name": "${created.key}"` });
    // Bodies that fail to parse: JSON.parse quotes a piece of the text in its message.
    await api(portal, 'POST', '/api/session', { key: null, body: '{"password": "unparsed-password-1"' });
    await api(portal, 'POST', '/api/session', { key: null, body: '"unparsed-password-2" trailing' });
    secrets.push('unparsed-password-1', 'unparsed-password-2');
    // Secrets in the query string and in headers that are not credentials here.
    await api(portal, 'GET', `/api/me?password=query-password-3&token=${cookie.split('=')[1]}x&session=query-session-4`);
    secrets.push('query-password-3', 'query-session-4');
    await api(portal, 'PUT', '/api/session/password', {
      key: null,
      headers: { cookie, 'x-requested-with': 'agent-p2p' },
      body: { currentPassword: portal.password, newPassword },
    });
    await api(portal, 'GET', '/api/session', { key: null, headers: { cookie: `other=1; ${cookie}` } });
    // Last: an internal error, which is logged in full (but not answered in full).
    await portal.app.get(DataSource).destroy();
    failedRequestId = (await api(portal, 'GET', '/api/me', { headers: { 'x-request-id': 'failing-request' } })).headers.get('x-request-id');
  });
  afterAll(async () => {
    await portal.destroy().catch(() => undefined);
  });

  it('access logs say what was asked and answered, with credentials in URLs redacted', () => {
    const entries = lines().map(
      (line) => JSON.parse(line) as { req?: { method: string; url: string; remoteAddress: string }; res?: { statusCode: number } },
    );
    expect(entries.filter((e) => e.req).map((e) => e.req)).toEqual(
      expect.arrayContaining([
        { method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1' },
        { method: 'GET', url: '/api/me?key=ap2p_o_[redacted]', remoteAddress: '127.0.0.1' },
        { method: 'GET', url: '/api/nope/ap2p_o_[redacted]', remoteAddress: '127.0.0.1' },
      ]),
    );
    expect(entries.filter((e) => e.res).map((e) => e.res?.statusCode)).toEqual(expect.arrayContaining([200, 201, 204, 400, 401, 404, 500]));
  });

  it('an internal error is logged with its request id and cause', () => {
    expect(failedRequestId).toBe('failing-request');
    const entry = lines()
      .map((line) => JSON.parse(line) as { level: string; reqId?: string; err?: { message?: string; type?: string }; msg: string })
      .find((e) => e.level === 'error' && e.reqId === 'failing-request');
    expect(entry).toBeDefined();
    expect(entry!.err?.message).toEqual(expect.any(String));
    expect(entry!.msg).toBe('Request failed');
  });

  it('logged the requests (the capture works)', () => {
    expect(lines().length).toBeGreaterThan(10);
    expect(chunks.join('')).toContain('/api/session');
  });

  it('every log line is one JSON object with a level and a time', () => {
    for (const line of lines()) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({ level: expect.any(String), time: expect.any(String) });
    }
  });

  it('request logs carry the request id', () => {
    const requestLines = lines()
      .map((line) => JSON.parse(line) as { reqId?: string; req?: unknown })
      .filter((entry) => entry.req);
    expect(requestLines.length).toBeGreaterThan(5);
    for (const entry of requestLines) expect(entry.reqId).toEqual(expect.any(String));
  });

  it('contains none of the keys, passwords or session tokens', () => {
    const text = chunks.join('');
    const leaked = secrets.filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
  });
});
