import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { api, expectError, TestPortal } from '@agent-p2p/testing';
const MAX_BODY_BYTES = 2048;

describe('bad input gets a clear 4xx and stores nothing', () => {
  let portal: TestPortal;
  let cookie: string;

  /** Everything a bad request could have changed. */
  async function state(): Promise<unknown> {
    const client = portal.client();
    const keys = await client.listKeys();
    return { keys: keys.map(({ lastUsedAt: _ignored, ...key }) => key), me: await client.getMe() };
  }

  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
    cookie = await portal.login();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  const bodies: Array<{ title: string; body: string; headers?: Record<string, string>; status: number; message: RegExp }> = [
    { title: 'invalid JSON', body: '{"name":', status: 400, message: /^Body is not valid JSON$/ },
    { title: 'an empty JSON body', body: '', status: 400, message: /cannot be empty/ },
    { title: 'a JSON array', body: '[{"name":"x"}]', status: 400, message: /body must be a JSON object \(got an array\)/ },
    { title: 'a JSON string', body: '"name"', status: 400, message: /body must be a JSON object \(got a string\)/ },
    { title: 'a JSON number', body: '42', status: 400, message: /body must be a JSON object \(got a number\)/ },
    { title: 'JSON null', body: 'null', status: 400, message: /body must be a JSON object \(got null\)/ },
    { title: 'a prototype-pollution attempt', body: '{"name":"x","__proto__":{"admin":true}}', status: 400, message: /JSON/ },
    { title: 'a wrong type', body: '{"name":42}', status: 400, message: /^Invalid request: name must be a string$/ },
    { title: 'a missing field', body: '{}', status: 400, message: /^Invalid request: name must be a string$/ },
    { title: 'an empty name', body: '{"name":""}', status: 400, message: /name must be longer than or equal to 1/ },
    { title: 'a control character', body: '{"name":"a\\u0000b"}', status: 400, message: /name must not contain control characters/ },
    { title: 'an unknown field', body: '{"name":"x","admin":true}', status: 400, message: /property admin should not exist/ },
    {
      title: 'an oversize body',
      body: JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) }),
      status: 413,
      message: /too large/,
    },
    {
      title: 'text/plain',
      body: 'name=x',
      headers: { 'content-type': 'text/plain' },
      status: 415,
      message: /Content-Type: application\/json/,
    },
    {
      title: 'a form',
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      message: /Content-Type/,
    },
    {
      title: 'XML',
      body: '<name>x</name>',
      headers: { 'content-type': 'application/xml' },
      status: 415,
      message: /Content-Type/,
    },
  ];

  for (const { title, body, headers, status, message } of bodies) {
    it(`POST /api/keys with ${title} → ${status}`, async () => {
      const before = await state();
      const error = await expectError(await api(portal, 'POST', '/api/keys', { body, headers }), status);
      expect(error.message).toMatch(message);
      expect(await state()).toEqual(before);
    });
  }

  it('lists every bad field at once, in details.fields', async () => {
    const before = await state();
    const error = await expectError(
      await api(portal, 'PATCH', '/api/me', { body: { agentName: 7, avatarText: 'x'.repeat(9), color: 'red' } }),
      400,
    );
    expect(Object.keys(error.details?.fields as object).sort()).toEqual(['agentName', 'avatarText', 'color']);
    expect(error.message).toMatch(/agentName must be a string/);
    expect(await state()).toEqual(before);
  });

  it('PATCH /api/me with a non-object body → 400 and the profile is unchanged', async () => {
    const before = await state();
    for (const body of ['[]', '"x"', 'true', 'null']) {
      const error = await expectError(await api(portal, 'PATCH', '/api/me', { body }), 400);
      expect(error.message).toMatch(/body must be a JSON object/);
    }
    expect(await state()).toEqual(before);
  });

  it('PUT /api/session/password with wrong types → 400 and the password is unchanged', async () => {
    const error = await expectError(
      await api(portal, 'PUT', '/api/session/password', {
        key: null,
        headers: { cookie, 'x-requested-with': 'agent-p2p' },
        body: { currentPassword: portal.password, newPassword: 123456789012345 },
      }),
      400,
    );
    expect(error.message).toMatch(/newPassword must be a string/);
    await expect(portal.login()).resolves.toMatch(/^ap2p_session=/);
  });

  it('a bad UUID path parameter → 400 "id must be a UUID"', async () => {
    const before = await state();
    for (const id of ['not-a-uuid', '123', `${'a'.repeat(8)}-aaaa-aaaa-aaaa-${'a'.repeat(13)}`]) {
      const error = await expectError(await api(portal, 'DELETE', `/api/keys/${id}`), 400);
      expect(error.message).toBe('id must be a UUID');
    }
    expect(await state()).toEqual(before);
  });

  it('an unknown but well-formed id → 404', async () => {
    const error = await expectError(await api(portal, 'DELETE', '/api/keys/6f1c2a8e-4b7d-4c1e-9a3f-2d5e6b7c8d9e'), 404);
    expect(error.message).toMatch(/No owner key/);
  });

  it('unknown routes → 404 JSON, with and without credentials', async () => {
    for (const [method, path, key] of [
      ['GET', '/api/nope', portal.ownerKey],
      ['GET', '/api/nope', null],
      ['POST', '/nope', null],
      ['DELETE', '/api/me', portal.ownerKey],
      ['GET', '/api/keys/extra/segments', portal.ownerKey],
    ] as const) {
      const error = await expectError(await api(portal, method, path, { key, body: method === 'GET' ? undefined : {} }), 404);
      expect(error.error).toBe('Not Found');
    }
  });

  it('keeps a well-formed client request id, and replaces a malformed one', async () => {
    const kept = await api(portal, 'GET', '/api/nope', { headers: { 'x-request-id': 'client-id-42' } });
    expect(kept.headers.get('x-request-id')).toBe('client-id-42');
    const replaced = await api(portal, 'GET', '/api/nope', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('an internal error', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal.destroy().catch(() => undefined);
  });

  it('→ 500 with the generic message and nothing internal', async () => {
    await portal.app.get(DataSource).destroy();
    const response = await api(portal, 'GET', '/api/me');
    const text = await response.clone().text();
    const error = await expectError(response, 500);
    expect(error).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(text).not.toMatch(/DataSource|TypeORM|sqlite|postgres|Error:|stack/i);
  });

  it('/health says the database is down (503), without internals', async () => {
    const response = await fetch(`${portal.url}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; database: { ok: boolean; message: string } };
    expect(body.status).toBe('degraded');
    expect(body.database).toEqual({ ok: false, message: 'database unreachable' });
  });
});
