import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { api, expectError, TestPortal } from '@agent-p2p/testing';
function login(portal: TestPortal, password: string, cookie?: string): Promise<Response> {
  return fetch(`${portal.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ password }),
  });
}

/** The cookie pairs (name=value) a response sets. */
function cookiesOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

const FLOOD = 200;
const BUDGET = 10;

describe('login flood', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_LOGIN_MAX_ATTEMPTS: String(BUDGET), PORTAL_LOGIN_WINDOW_SECONDS: '600' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  let deviceCookie = '';

  it('a browser that logged in before gets a login-device cookie, limited to /api/session', async () => {
    const response = await login(portal, portal.password);
    expect(response.status).toBe(200);
    const lines = response.headers.getSetCookie();
    const device = lines.find((line) => line.startsWith('ap2p_device='));
    expect(device).toBeDefined();
    const attributes = device!.split(';').map((part) => part.trim());
    expect(attributes).toEqual(expect.arrayContaining(['Path=/api/session', 'HttpOnly', 'SameSite=Strict']));
    deviceCookie = `ap2p_device=${cookiesOf(response).ap2p_device}`;
  });

  it(`${FLOOD} parallel wrong passwords: at most ${BUDGET} are checked, the rest get 429, and /health stays fast`, async () => {
    let done = false;
    const flood = Promise.all(
      Array.from({ length: FLOOD }, (_, i) => login(portal, `wrong-${i}`).then(async (r) => ({ status: r.status, body: await r.text() }))),
    ).finally(() => (done = true));
    // /health, asked again and again while the flood is answered (at most 10 times).
    const health: Array<{ status: number; ms: number }> = [];
    for (let i = 0; i < 10 && (i === 0 || !done); i++) {
      const started = Date.now();
      const response = await fetch(`${portal.url}/health`);
      health.push({ status: response.status, ms: Date.now() - started });
    }
    const results = await flood;
    expect(health.map((h) => h.status).every((s) => s === 200)).toBe(true);
    expect(Math.max(...health.map((h) => h.ms))).toBeLessThan(1000);
    const counts: Record<number, number> = {};
    for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;
    // Every 401 is a password that was hashed and compared.
    expect(counts[401] ?? 0).toBeGreaterThan(0);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(BUDGET);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(FLOOD);
    for (const { status, body } of results.filter((r) => r.status === 429)) {
      expect(JSON.parse(body)).toMatchObject({
        statusCode: status,
        error: 'Too Many Requests',
        details: { retryAfterSeconds: expect.any(Number) },
      });
    }
  });

  it('the address is locked out now, even for the right password', async () => {
    const response = await login(portal, portal.password);
    const error = await expectError(response, 429);
    expect(error.message).toMatch(/Too many failed logins/);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('the browser with its login-device cookie still logs in, with its own budget', async () => {
    const response = await login(portal, portal.password, deviceCookie);
    expect(response.status).toBe(200);
    expect(cookiesOf(response).ap2p_session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Its own budget: failures with the cookie lock the device, not some other one.
    for (let i = 0; i < BUDGET; i++) await expectError(await login(portal, 'wrong', deviceCookie), 401);
    await expectError(await login(portal, portal.password, deviceCookie), 429);
  });

  it('a forged or tampered device cookie counts as none', async () => {
    const [id, mac] = deviceCookie.split('=')[1].split('.');
    for (const forged of [`ap2p_device=${id}.${'A'.repeat(43)}`, `ap2p_device=${'B'.repeat(22)}.${mac}`, 'ap2p_device=garbage']) {
      await expectError(await login(portal, portal.password, forged), 429);
    }
  });
});

describe('password change throttle', () => {
  const ATTEMPTS = 3;
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_LOGIN_MAX_ATTEMPTS: String(ATTEMPTS), PORTAL_LOGIN_WINDOW_SECONDS: '600' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it(`a session holder gets ${ATTEMPTS} wrong current passwords, then 429 even for the right one; other sessions are unaffected`, async () => {
    const cookie = await portal.login();
    const other = await portal.login();
    const change = (session: string, currentPassword: string): Promise<Response> =>
      api(portal, 'PUT', '/api/session/password', {
        key: null,
        headers: { cookie: session, 'x-requested-with': 'agent-p2p' },
        body: { currentPassword, newPassword: 'a-new-password-123' },
      });
    const parallel = await Promise.all(Array.from({ length: 20 }, () => change(cookie, 'not-the-password')));
    const statuses = parallel.map((r) => r.status);
    expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(ATTEMPTS);
    expect(statuses.filter((s) => s !== 400 && s !== 429)).toEqual([]);
    // Some of the parallel ones may have been refused as busy (not counted): use up the rest one by one.
    let wrong = statuses.filter((s) => s === 400).length;
    for (let i = wrong; i < ATTEMPTS; i++) {
      await expectError(await change(cookie, 'not-the-password'), 400);
      wrong += 1;
    }
    expect(wrong).toBe(ATTEMPTS);
    const limited = await change(cookie, portal.password);
    const error = await expectError(limited, 429);
    expect(error.message).toMatch(/Too many wrong current passwords/);
    // Nothing changed: the old password still logs in, the other session still works.
    expect((await api(portal, 'GET', '/api/session', { key: null, headers: { cookie: other } })).status).toBe(200);
    expect((await change(other, portal.password)).status).toBe(204);
  });
});

describe('concurrent password checks', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_LOGIN_MAX_ATTEMPTS: '1000', PORTAL_LOGIN_MAX_CONCURRENT: '1' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('beyond PORTAL_LOGIN_MAX_CONCURRENT a login is refused at once with 429, not queued', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(portal, `wrong-${i}`).then(async (r) => ({ status: r.status, body: await r.text() }))),
    );
    const busy = results.filter((r) => r.status === 429);
    expect(busy.length).toBeGreaterThan(0);
    for (const { body } of busy) expect(JSON.parse(body)).toMatchObject({ message: 'Too many password checks at once; try again in 1 s' });
    expect(results.filter((r) => r.status !== 429 && r.status !== 401)).toEqual([]);
    // Refusals were not counted as attempts, and the gate is free again afterwards.
    expect((await login(portal, portal.password)).status).toBe(200);
  });
});

describe('login budget and X-Forwarded-For', () => {
  const ATTEMPTS = 3;
  const loginFrom = (portal: TestPortal, address: string, password: string): Promise<Response> =>
    fetch(`${portal.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ password }),
    });
  const env = { PORTAL_LOGIN_MAX_ATTEMPTS: String(ATTEMPTS), PORTAL_LOGIN_WINDOW_SECONDS: '600' };

  it('without PORTAL_TRUST_PROXY the header is ignored: a client cannot pick a fresh budget', async () => {
    const portal = await TestPortal.start({ env });
    try {
      for (let i = 0; i < ATTEMPTS; i++) await expectError(await loginFrom(portal, `203.0.113.${i}`, 'wrong'), 401);
      await expectError(await loginFrom(portal, '198.51.100.7', portal.password), 429);
    } finally {
      await portal.destroy();
    }
  });

  it('with PORTAL_TRUST_PROXY=true the budget is per real client address', async () => {
    const portal = await TestPortal.start({ env: { ...env, PORTAL_TRUST_PROXY: 'true' } });
    try {
      for (let i = 0; i < ATTEMPTS; i++) await expectError(await loginFrom(portal, '203.0.113.9', 'wrong'), 401);
      await expectError(await loginFrom(portal, '203.0.113.9', portal.password), 429);
      expect((await loginFrom(portal, '198.51.100.7', portal.password)).status).toBe(200);
    } finally {
      await portal.destroy();
    }
  });

  it('a password change retires every device cookie', async () => {
    const portal = await TestPortal.start({ env });
    try {
      const first = cookiesOf(await login(portal, portal.password));
      const device = `ap2p_device=${first.ap2p_device}`;
      const newPassword = 'the-new-password-42';
      const changed = await api(portal, 'PUT', '/api/session/password', {
        key: null,
        headers: { cookie: `ap2p_session=${first.ap2p_session}`, 'x-requested-with': 'agent-p2p' },
        body: { currentPassword: portal.password, newPassword },
      });
      expect(changed.status).toBe(204);
      for (let i = 0; i < ATTEMPTS; i++) await expectError(await login(portal, 'wrong'), 401);
      // The device cookie from before the change counts as none: the locked-out address's budget applies.
      await expectError(await login(portal, newPassword, device), 429);
    } finally {
      await portal.destroy();
    }
  });
});
