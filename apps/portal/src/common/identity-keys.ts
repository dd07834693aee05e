import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';

/** The signature algorithm of Portal identity keys (RFC 9421 §3.3.6 name). */
export const IDENTITY_ALG = 'ed25519';

/** A Portal's public identity: what it publishes and what its contacts pin. */
export interface PublicIdentity {
  alg: typeof IDENTITY_ALG;
  /** Short id of the key: base64url of the first 16 bytes of SHA-256 over the raw public key. */
  keyId: string;
  /** The raw 32-byte Ed25519 public key, base64url. */
  publicKey: string;
  /** Digits two owners can read to each other to compare the key (fingerprintOf). */
  fingerprint: string;
}

/** A private identity key with its public half. */
export interface IdentityKeyPair {
  privateKey: KeyObject;
  identity: PublicIdentity;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function generateIdentityKey(): IdentityKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  return keyPairOf(privateKey);
}

export function keyPairOf(privateKey: KeyObject): IdentityKeyPair {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('an identity key must be an Ed25519 key');
  return { privateKey, identity: publicIdentityOf(rawPublicKey(createPublicKey(privateKey))) };
}

/** The private key as PKCS#8 DER, base64url (how it is sealed in the database). */
export function exportPrivateKey(privateKey: KeyObject): string {
  return privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url');
}

/**
 * Reads a private key given as PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or as PKCS#8 DER in
 * base64 / base64url (PORTAL_IDENTITY_KEY, the sealed column). Throws when it is not Ed25519.
 */
export function importPrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----BEGIN')
    ? createPrivateKey({ key: trimmed, format: 'pem' })
    : createPrivateKey({ key: Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an identity key must be Ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

export function rawPublicKey(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32);
}

/** A public key object from the raw 32 bytes (base64url); null when it is not 32 bytes. */
export function publicKeyFromRaw(publicKey: string): KeyObject | null {
  const raw = Buffer.from(publicKey, 'base64url');
  if (raw.length !== 32 || raw.toString('base64url') !== publicKey) return null;
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function publicIdentityOf(raw: Buffer): PublicIdentity {
  const digest = createHash('sha256').update(raw).digest();
  return {
    alg: IDENTITY_ALG,
    keyId: digest.subarray(0, 16).toString('base64url'),
    publicKey: raw.toString('base64url'),
    fingerprint: fingerprintOf(digest),
  };
}

/** The public identity of a raw key as published and stored (base64url). */
export function identityOfPublicKey(publicKey: string): PublicIdentity {
  return publicIdentityOf(Buffer.from(publicKey, 'base64url'));
}

/**
 * Six groups of five digits from the SHA-256 of the public key: each group is five bytes of the hash
 * read as a number, modulo 100000 (as Signal's safety numbers are made). About 100 bits, short enough
 * to read aloud, long enough that no one can make a second key with the same digits.
 */
export function fingerprintOf(sha256OfKey: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 6; i += 1) {
    const value = sha256OfKey.readUIntBE(i * 5, 5) % 100_000;
    groups.push(String(value).padStart(5, '0'));
  }
  return groups.join(' ');
}

/** The same fingerprint written with or without spaces compares equal. */
export function sameFingerprint(a: string, b: string): boolean {
  const strip = (s: string): string => s.replace(/[\s-]/g, '');
  return strip(a) === strip(b) && strip(a).length === 30;
}

export function signBytes(privateKey: KeyObject, data: Uint8Array): Uint8Array {
  return sign(null, data, privateKey);
}

export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return verify(null, data, publicKey, signature);
}

/**
 * What the old key signs when a Portal rotates its identity: the Portal's URL and both key ids, so a
 * statement cannot be replayed for another Portal or another key.
 */
export function rotationStatement(portalUrl: string, from: PublicIdentity, to: PublicIdentity): Buffer {
  return Buffer.from(
    ['agent-p2p identity rotation v1', portalUrl, `${from.keyId} ${from.publicKey}`, `${to.keyId} ${to.publicKey}`].join('\n'),
    'utf8',
  );
}

/** True when `proof` (base64url) is `from`'s signature of the rotation statement to `to`. */
export function verifyRotation(portalUrl: string, from: PublicIdentity, to: PublicIdentity, proof: string): boolean {
  const key = publicKeyFromRaw(from.publicKey);
  if (!key) return false;
  return verifyBytes(key, rotationStatement(portalUrl, from, to), Buffer.from(proof, 'base64url'));
}
