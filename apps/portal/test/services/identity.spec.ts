import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { ServicePortal } from '@agent-p2p/testing';
import { publicIdentityOf, verifyRotation } from '../../src/common/identity-keys';
import { IdentityKey } from '../../src/identity/entities/identity-key.entity';
import { SignatureNonce } from '../../src/identity/entities/signature-nonce.entity';
import { IdentityService, RETIRED_PRIVATE_KEY_DAYS } from '../../src/identity/identity.service';
import { NonceStore } from '../../src/identity/nonce-store.service';

/** The Portal's own identity key and the nonce store, on a real database (SQLite, and PostgreSQL in CI). */
describe('Identity keys and nonces (services on a real database)', () => {
  let portal: ServicePortal;
  let identity: IdentityService;

  beforeAll(async () => {
    portal = await ServicePortal.open();
    identity = portal.get(IdentityService);
  });

  afterAll(async () => {
    await portal?.destroy();
  });

  it('makes one key on first start, sealed (the database holds no plain private key), with a readable fingerprint', async () => {
    const rows = await portal.dataSource.getRepository(IdentityKey).find();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ slot: 'current', source: 'generated' });
    expect(rows[0].privateSealed).toMatch(/^v1\./);
    const described = await identity.describe();
    expect(described).toMatchObject({
      alg: 'ed25519',
      keyId: rows[0].keyId,
      publicKey: rows[0].publicKey,
      source: 'generated',
      rotations: [],
    });
    expect(described.fingerprint).toMatch(/^\d{5}( \d{5}){5}$/);
    expect(publicIdentityOf(Buffer.from(described.publicKey, 'base64url'))).toMatchObject({
      keyId: described.keyId,
      fingerprint: described.fingerprint,
    });
  });

  it('rotates: a new current key, the old one signs the statement, and the chain is published', async () => {
    const before = await identity.identity();
    const rotation = await identity.rotate(async () => undefined);
    const after = await identity.describe();
    expect(after.keyId).not.toBe(before.keyId);
    expect(rotation.from.keyId).toBe(before.keyId);
    expect(after.rotations).toEqual([
      expect.objectContaining({ fromKeyId: before.keyId, fromPublicKey: before.publicKey, toKeyId: after.keyId }),
    ]);
    expect(verifyRotation(portal.config.publicUrl, before, after, after.rotations[0].proof)).toBe(true);
    // The proof is bound to this Portal's URL and to both keys.
    expect(verifyRotation('https://other.example', before, after, after.rotations[0].proof)).toBe(false);
    // The old key still signs (the notices), the new one is used for everything else.
    expect((await identity.signingKey(before.keyId)).keyId).toBe(before.keyId);
    expect((await identity.signingKey()).keyId).toBe(after.keyId);
    expect(await identity.rotationTo(after.keyId)).toMatchObject({ from: { keyId: before.keyId }, to: { keyId: after.keyId } });
  });

  it('a failed rotation changes nothing (the notices are queued in the same transaction)', async () => {
    const before = await identity.identity();
    await expect(identity.rotate(async () => Promise.reject(new Error('queue failed')))).rejects.toThrow('queue failed');
    expect((await identity.identity()).keyId).toBe(before.keyId);
    expect(await portal.dataSource.getRepository(IdentityKey).countBy({ slot: 'current' })).toBe(1);
  });

  it('wipes the private half of keys retired long ago, keeping the public half for the chain', async () => {
    const later = new Date(Date.now() + (RETIRED_PRIVATE_KEY_DAYS + 1) * 86_400_000);
    expect(await identity.wipeRetiredPrivateKeys(later)).toBeGreaterThan(0);
    const retired = await portal.dataSource.getRepository(IdentityKey).findBy({ source: 'generated' });
    expect(retired.filter((row) => row.slot === null).every((row) => row.privateSealed === null)).toBe(true);
    expect(retired.find((row) => row.slot === 'current')?.privateSealed).toMatch(/^v1\./);
    expect((await identity.describe()).rotations).toHaveLength(1);
  });

  it('refuses a replayed nonce, also when both copies arrive at once, and prunes expired ones', async () => {
    const nonces = portal.get(NonceStore);
    const until = new Date(Date.now() + 60_000);
    const results = await Promise.all([
      nonces.record('k1', 'nonce-a', until),
      nonces.record('k1', 'nonce-a', until),
      nonces.record('k1', 'nonce-b', until),
    ]);
    expect(results.sort()).toEqual([false, true, true]);
    expect(await nonces.record('k2', 'nonce-a', until)).toBe(true); // per key
    expect(await nonces.record('k1', 'nonce-a', until)).toBe(false);
    expect(await nonces.prune(new Date(Date.now() + 120_000))).toBe(3);
    expect(await portal.dataSource.getRepository(SignatureNonce).count()).toBe(0);
  });
});

describe('PORTAL_IDENTITY_KEY', () => {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  let portal: ServicePortal;

  beforeAll(async () => {
    portal = await ServicePortal.open({ PORTAL_IDENTITY_KEY: pem });
  });

  afterAll(async () => {
    await portal?.destroy();
  });

  it('is used as given and never stored; rotating it is refused with what to do instead', async () => {
    const identity = portal.get(IdentityService);
    expect(await identity.describe()).toMatchObject({ source: 'configured' });
    const row = await portal.dataSource.getRepository(IdentityKey).findOneByOrFail({ slot: 'current' });
    expect(row.privateSealed).toBeNull();
    await expect(identity.rotate(async () => undefined)).rejects.toThrow(/PORTAL_IDENTITY_KEY/);
  });
});
