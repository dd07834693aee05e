import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPortalClient, PortalApiError } from '@agent-p2p/sdk';
import { DataSource } from 'typeorm';
import { ConsoleSession } from '../src/auth/entities/console-session.entity';
import { sha256Hex } from '../src/common/secrets';
import { api, expectError, TestPortal } from '@agent-p2p/testing';
function login(portal: TestPortal, password: string): Promise<Response> {
  return fetch(`${portal.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
}

const asOwner = (cookie: string): Record<string, string> => ({ cookie, 'x-requested-with': 'agent-p2p' });

describe('console session', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('sets an HttpOnly, SameSite=Strict cookie on Path=/, not Secure over http', async () => {
    const response = await login(portal, portal.password);
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie') ?? '';
    const [pair, ...attributes] = cookie.split(';').map((part) => part.trim());
    expect(pair).toMatch(/^ap2p_session=[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    expect(attributes.some((a) => /^Max-Age=\d+$/.test(a) && Number(a.split('=')[1]) > 3600)).toBe(true);
    expect(attributes.map((a) => a.toLowerCase())).not.toContain('secure');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: expect.any(String),
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      csrfHeader: { 'X-Requested-With': 'agent-p2p' },
    });
    expect(JSON.stringify(body)).not.toContain(pair.split('=')[1]);
  });

  it('the session works for GET without X-Requested-With, and GET /api/session describes it', async () => {
    const cookie = await portal.login();
    const response = await api(portal, 'GET', '/api/session', { key: null, headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ csrfHeader: { 'X-Requested-With': 'agent-p2p' } });
  });

  it('a wrong password → 401 and no cookie', async () => {
    const response = await login(portal, 'not the password');
    const error = await expectError(response, 401);
    expect(error.message).toBe('Wrong password');
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('a password over 256 characters or of the wrong type → 400 (not a login attempt)', async () => {
    await expectError(await login(portal, 'x'.repeat(257)), 400);
    const response = await fetch(`${portal.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: ['a'] }),
    });
    expect((await expectError(response, 400)).message).toMatch(/password must be a string/);
  });

  it('the SDK logs in and reports a wrong password as PortalApiError 401', async () => {
    const client = createPortalClient({ baseUrl: portal.url });
    await expect(client.login(portal.password)).resolves.toMatchObject({ csrfHeader: { 'X-Requested-With': 'agent-p2p' } });
    const failure = await client.login('wrong password').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PortalApiError);
    expect(failure).toMatchObject({ status: 401, message: 'Wrong password' });
  });

  it('logout invalidates the cookie at once and clears it in the browser', async () => {
    const cookie = await portal.login();
    const logout = await api(portal, 'DELETE', '/api/session', { key: null, headers: asOwner(cookie) });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^ap2p_session=;.*Max-Age=0/);
    await expectError(await api(portal, 'GET', '/api/me', { key: null, headers: { cookie } }), 401);
    await expectError(await api(portal, 'DELETE', '/api/session', { key: null, headers: asOwner(cookie) }), 401);
  });

  it('an expired session → 401', async () => {
    const cookie = await portal.login();
    expect((await api(portal, 'GET', '/api/me', { key: null, headers: { cookie } })).status).toBe(200);
    const token = cookie.split('=')[1];
    const result = await portal.app
      .get(DataSource)
      .getRepository(ConsoleSession)
      .update({ tokenHash: sha256Hex(token) }, { expiresAt: new Date(Date.now() - 1000) });
    expect(result.affected).toBe(1);
    const error = await expectError(await api(portal, 'GET', '/api/me', { key: null, headers: { cookie } }), 401);
    expect(error.message).toMatch(/expired/);
  });

  it('a made-up or oversize session cookie → 401', async () => {
    for (const cookie of ['ap2p_session=made-up', `ap2p_session=${'x'.repeat(5000)}`]) {
      await expectError(await api(portal, 'GET', '/api/me', { key: null, headers: { cookie } }), 401);
    }
  });

  describe('password change', () => {
    let current: string;
    let other: string;
    const newPassword = 'a-much-better-password';

    beforeAll(async () => {
      current = await portal.login();
      other = await portal.login();
    });

    it('a wrong current password → 400, nothing changes', async () => {
      const error = await expectError(
        await api(portal, 'PUT', '/api/session/password', {
          key: null,
          headers: asOwner(current),
          body: { currentPassword: 'wrong', newPassword },
        }),
        400,
      );
      expect(error.message).toBe('currentPassword is wrong');
      expect((await login(portal, portal.password)).status).toBe(200);
      expect((await api(portal, 'GET', '/api/me', { key: null, headers: { cookie: other } })).status).toBe(200);
    });

    it('a short new password → 400 naming the rule, nothing changes', async () => {
      const error = await expectError(
        await api(portal, 'PUT', '/api/session/password', {
          key: null,
          headers: asOwner(current),
          body: { currentPassword: portal.password, newPassword: 'short' },
        }),
        400,
      );
      expect(error.message).toMatch(/newPassword must be 12 to 256 characters long/);
      expect((await login(portal, portal.password)).status).toBe(200);
      expect((await login(portal, 'short')).status).toBe(401);
    });

    it('ends every other session, keeps the current one, and the new password works', async () => {
      const response = await api(portal, 'PUT', '/api/session/password', {
        key: null,
        headers: asOwner(current),
        body: { currentPassword: portal.password, newPassword },
      });
      expect(response.status).toBe(204);
      expect((await api(portal, 'GET', '/api/session', { key: null, headers: { cookie: current } })).status).toBe(200);
      await expectError(await api(portal, 'GET', '/api/session', { key: null, headers: { cookie: other } }), 401);
      await expectError(await login(portal, portal.password), 401);
      expect((await login(portal, newPassword)).status).toBe(200);
      // Owner keys are not sessions: they keep working.
      expect((await api(portal, 'GET', '/api/me')).status).toBe(200);
    });
  });
});

describe('console session cookie behind https', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_PUBLIC_URL: 'https://portal.example.test', PORTAL_SESSION_TTL_HOURS: '1' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('is Secure when PORTAL_PUBLIC_URL is https', async () => {
    const response = await login(portal, portal.password);
    expect(response.status).toBe(200);
    const attributes = (response.headers.get('set-cookie') ?? '').split(';').map((a) => a.trim());
    expect(attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']));
  });

  it('lives PORTAL_SESSION_TTL_HOURS, in the cookie and in the session', async () => {
    const response = await login(portal, portal.password);
    const maxAge = Number(/Max-Age=(\d+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(3590);
    expect(maxAge).toBeLessThanOrEqual(3600);
    const body = (await response.json()) as { createdAt: string; expiresAt: string };
    expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt)).toBe(3_600_000);
  });
});

describe('login rate limit', () => {
  const MAX_ATTEMPTS = 3;
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_LOGIN_MAX_ATTEMPTS: String(MAX_ATTEMPTS), PORTAL_LOGIN_WINDOW_SECONDS: '600' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('a success resets the count of failures', async () => {
    for (let i = 0; i < MAX_ATTEMPTS - 1; i++) await expectError(await login(portal, 'wrong'), 401);
    expect((await login(portal, portal.password)).status).toBe(200);
    for (let i = 0; i < MAX_ATTEMPTS; i++) await expectError(await login(portal, 'wrong'), 401);
  });

  it(`after ${MAX_ATTEMPTS} failures → 429 with Retry-After, even for the right password`, async () => {
    const tooMany = await login(portal, 'wrong');
    const retryAfter = Number(tooMany.headers.get('retry-after'));
    const error = await expectError(tooMany, 429);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(error.details).toEqual({ retryAfterSeconds: retryAfter });
    expect(error.message).toMatch(/Too many failed logins/);
    const right = await login(portal, portal.password);
    await expectError(right, 429);
    expect(right.headers.get('set-cookie')).toBeNull();
  });

  it('does not block owner keys or existing sessions', async () => {
    expect((await api(portal, 'GET', '/api/me')).status).toBe(200);
  });
});
