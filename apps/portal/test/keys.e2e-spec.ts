import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PortalApiError } from '@agent-p2p/sdk';
import { randomUUID } from 'node:crypto';
import { OWNER_KEY_PATTERN } from '../src/config/portal-config';
import { api, expectError, TestPortal } from '@agent-p2p/testing';
describe('owner keys', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('lists the seeded first key, used by this very request', async () => {
    const keys = await portal.client().listKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: 'first key', prefix: portal.ownerKey.slice(0, 11), revokedAt: null });
    expect(keys[0].lastUsedAt).not.toBeNull();
  });

  it('create returns the secret once; the list never contains a secret', async () => {
    const created = await portal.client().createKey('laptop bridge');
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'laptop bridge',
      prefix: created.key.slice(0, 11),
      key: expect.stringMatching(OWNER_KEY_PATTERN),
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
    });
    const list = await portal.client().listKeys();
    const listed = list.find((k) => k.id === created.id);
    expect(listed).toEqual({ ...created, key: undefined });
    expect(Object.keys(listed!)).not.toContain('key');
    const text = JSON.stringify(list);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(portal.ownerKey);
    expect(text).not.toMatch(/ap2p_o_[A-Za-z0-9_-]{12,}/);
  });

  it('a new key works at once, alongside the others, and its lastUsedAt is set on use', async () => {
    const a = await portal.client().createKey('a');
    const b = await portal.client().createKey('b');
    for (const key of [a.key, b.key, portal.ownerKey, a.key]) {
      await expect(portal.client(key).getMe()).resolves.toMatchObject({ agentName: expect.any(String) });
    }
    const list = await portal.client().listKeys();
    for (const id of [a.id, b.id]) {
      const lastUsedAt = list.find((k) => k.id === id)?.lastUsedAt;
      expect(lastUsedAt).not.toBeNull();
      expect(Math.abs(Date.parse(lastUsedAt!) - Date.now())).toBeLessThan(60_000);
    }
  });

  it('revoke → the key gets 401 at once; the others keep working', async () => {
    const doomed = await portal.client().createKey('doomed');
    const survivor = await portal.client().createKey('survivor');
    expect((await api(portal, 'GET', '/api/me', { key: doomed.key })).status).toBe(200);
    const revoked = await portal.client().revokeKey(doomed.id);
    expect(revoked).toMatchObject({ id: doomed.id, revokedAt: expect.any(String) });
    const error = await expectError(await api(portal, 'GET', '/api/me', { key: doomed.key }), 401);
    expect(error.message).toMatch(/revoked/);
    await expect(portal.client(survivor.key).listKeys()).resolves.toEqual(
      expect.arrayContaining([expect.objectContaining({ id: doomed.id, revokedAt: revoked.revokedAt })]),
    );
  });

  it('revoking twice is harmless and keeps the first revocation time', async () => {
    const key = await portal.client().createKey('twice');
    const first = await portal.client().revokeKey(key.id);
    const second = await portal.client().revokeKey(key.id);
    expect(second).toEqual(first);
  });

  it('a key may revoke itself, and is refused right after', async () => {
    const key = await portal.client().createKey('self');
    await expect(portal.client(key.key).revokeKey(key.id)).resolves.toMatchObject({ revokedAt: expect.any(String) });
    await expect(portal.client(key.key).getMe()).rejects.toMatchObject({ status: 401 });
  });

  it('an unknown id → 404 PortalApiError, nothing changes', async () => {
    const before = await portal.client().listKeys();
    const failure = await portal
      .client()
      .revokeKey(randomUUID())
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PortalApiError);
    expect(failure).toMatchObject({ status: 404, message: expect.stringMatching(/No owner key with id/) });
    expect((failure as PortalApiError).requestId).toBeTruthy();
    const after = await portal.client().listKeys();
    expect(after.map(({ lastUsedAt: _l, ...k }) => k)).toEqual(before.map(({ lastUsedAt: _l, ...k }) => k));
  });

  it('the console session manages keys too', async () => {
    const cookie = await portal.login();
    const headers = { cookie, 'x-requested-with': 'agent-p2p' };
    const created = await api(portal, 'POST', '/api/keys', { key: null, headers, body: { name: 'from the console' } });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    expect((await api(portal, 'GET', '/api/me', { key })).status).toBe(200);
    expect((await api(portal, 'DELETE', `/api/keys/${id}`, { key: null, headers })).status).toBe(200);
    expect((await api(portal, 'GET', '/api/me', { key })).status).toBe(401);
  });

  it('a key name with control characters or over 100 characters → 400, nothing stored', async () => {
    const before = (await portal.client().listKeys()).length;
    for (const name of ['line\nbreak', 'x'.repeat(101), '']) {
      await expect(portal.client().createKey(name)).rejects.toMatchObject({ status: 400 });
    }
    expect(await portal.client().listKeys()).toHaveLength(before);
  });
});
