import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { api, expectError, TestPortal } from '@agent-p2p/testing';
describe('profile and /.well-known/agent-p2p', () => {
  let portal: TestPortal;
  beforeAll(async () => {
    portal = await TestPortal.start({ env: { PORTAL_AGENT_NAME: 'Ada', PORTAL_OWNER_NAME: 'Grace' } });
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('starts with the first-start names and this Portal URL', async () => {
    await expect(portal.client().getMe()).resolves.toEqual({
      agentName: 'Ada',
      ownerName: 'Grace',
      avatarText: '',
      bio: '',
      publicUrl: portal.url,
      updatedAt: expect.any(String),
      identity: {
        alg: 'ed25519',
        keyId: expect.stringMatching(/^[\w-]{22}$/),
        publicKey: expect.stringMatching(/^[\w-]{43}$/),
        fingerprint: expect.stringMatching(/^\d{5}( \d{5}){5}$/),
        rotations: [],
        createdAt: expect.any(String),
        source: 'generated',
      },
    });
  });

  it('PATCH changes only the given fields; GET and the well-known document reflect it', async () => {
    const updated = await portal.client().updateMe({ agentName: 'Ada Two', avatarText: '🤖', bio: 'Line one\nline two' });
    expect(updated).toMatchObject({ agentName: 'Ada Two', ownerName: 'Grace', avatarText: '🤖', bio: 'Line one\nline two' });
    await expect(portal.client().getMe()).resolves.toEqual(updated);
    await expect(portal.client().updateMe({})).resolves.toMatchObject({ agentName: 'Ada Two', ownerName: 'Grace' });
    const wellKnown = await fetch(`${portal.url}/.well-known/agent-p2p`);
    expect(wellKnown.status).toBe(200);
    // The well-known document publishes the public half of the identity key (not when or how it was made).
    const { createdAt: _createdAt, source: _source, ...identity } = updated.identity;
    expect(await wellKnown.json()).toEqual({
      protocol: 'agent-p2p',
      protocolVersion: 2,
      portalUrl: portal.url,
      agentName: 'Ada Two',
      ownerName: 'Grace',
      avatarText: '🤖',
      bio: 'Line one\nline two',
      identity,
    });
  });

  it('the owner name may be cleared', async () => {
    await expect(portal.client().updateMe({ ownerName: '' })).resolves.toMatchObject({ ownerName: '' });
    await portal.client().updateMe({ ownerName: 'Grace' });
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an empty agent name', { agentName: '' }, /agentName must be longer than or equal to 1/],
    ['a 101-character agent name', { agentName: 'x'.repeat(101) }, /agentName must be shorter than or equal to 100/],
    ['a 101-character owner name', { ownerName: 'x'.repeat(101) }, /ownerName must be shorter than or equal to 100/],
    ['a 9-character avatar', { avatarText: 'x'.repeat(9) }, /avatarText must be shorter than or equal to 8/],
    ['a 1001-character bio', { bio: 'x'.repeat(1001) }, /bio must be shorter than or equal to 1000/],
    ['a newline in the agent name', { agentName: 'Ada\nEvil' }, /agentName must not contain control characters/],
    ['an escape in the owner name', { ownerName: 'Grace\u001b[31m' }, /ownerName must not contain control characters/],
    ['a NUL in the avatar', { avatarText: 'a\u0000' }, /avatarText must not contain control characters/],
    ['DEL in the agent name', { agentName: 'Ada\u007f' }, /agentName must not contain control characters/],
    ['a number as agent name', { agentName: 42 }, /agentName must be a string/],
    ['null as owner name', { ownerName: null }, /ownerName must be a string/],
    ['null as agent name', { agentName: null }, /agentName must be a string/],
    ['null as avatar', { avatarText: null }, /avatarText must be a string/],
    ['null as bio', { bio: null }, /bio must be a string/],
    ['publicUrl (not editable here)', { publicUrl: 'https://evil.example' }, /property publicUrl should not exist/],
    ['updatedAt', { updatedAt: '2000-01-01T00:00:00Z' }, /property updatedAt should not exist/],
  ];
  for (const [title, body, message] of invalid) {
    it(`PATCH with ${title} → 400, nothing changes`, async () => {
      const before = await portal.client().getMe();
      const error = await expectError(await api(portal, 'PATCH', '/api/me', { body }), 400);
      expect(error.message).toMatch(message);
      await expect(portal.client().getMe()).resolves.toEqual(before);
    });
  }

  it('/.well-known/agent-p2p is public, carries no secrets and ignores credentials', async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${portal.ownerKey}` },
      { authorization: 'Bearer garbage' },
    ];
    for (const headers of variants) {
      const response = await fetch(`${portal.url}/.well-known/agent-p2p`, { headers });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toContain(portal.ownerKey);
      expect(text).not.toContain(portal.password);
      expect(text).not.toMatch(/ap2p_[oc]_|keyHash|password|scrypt/i);
      expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(
        ['agentName', 'avatarText', 'bio', 'identity', 'ownerName', 'portalUrl', 'protocol', 'protocolVersion'].sort(),
      );
      // Only the public half of the identity key: no private key, sealed or not.
      expect(Object.keys((JSON.parse(text) as { identity: object }).identity).sort()).toEqual(
        ['alg', 'fingerprint', 'keyId', 'publicKey', 'rotations'].sort(),
      );
    }
  });

  it('the SDK reads the well-known document without a key', async () => {
    const { createPortalClient } = await import('@agent-p2p/sdk');
    await expect(createPortalClient({ baseUrl: portal.url }).getWellKnown()).resolves.toMatchObject({ protocol: 'agent-p2p' });
  });
});
