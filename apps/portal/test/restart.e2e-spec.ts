import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { api, TestPortal } from '@agent-p2p/testing';
describe('a restarted Portal', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start();
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('keeps keys, revocations, sessions and the profile, and seeds nothing again', async () => {
    const kept = await portal.client().createKey('kept');
    const revoked = await portal.client().createKey('revoked');
    await portal.client().revokeKey(revoked.id);
    await portal.client().updateMe({ agentName: 'Persistent' });
    const cookie = await portal.login();
    const keysBefore = await portal.client().listKeys();

    await portal.stop();
    await expect(fetch(`${portal.url}/health`)).rejects.toThrow();
    await portal.start();

    expect((await api(portal, 'GET', '/api/me', { key: kept.key })).status).toBe(200);
    expect((await api(portal, 'GET', '/api/me', { key: revoked.key })).status).toBe(401);
    expect((await api(portal, 'GET', '/api/session', { key: null, headers: { cookie } })).status).toBe(200);
    await expect(portal.client().getMe()).resolves.toMatchObject({ agentName: 'Persistent' });
    const keysAfter = await portal.client().listKeys();
    expect(keysAfter.map((k) => k.id)).toEqual(keysBefore.map((k) => k.id));
  });
});
