import { describe, expect, it } from '@jest/globals';
import { createSignatureSync, verifySignature } from 'http-message-sig';
import { generateIdentityKey, importPrivateKey, publicKeyFromRaw, rawPublicKey, signBytes, verifyBytes } from './identity-keys';
import { contentDigestOf, type IncomingCall, signCall, SignatureRefusal, verifyCall } from './http-signatures';
import { createHash, createPublicKey } from 'node:crypto';

// RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2.6 (signing a request with Ed25519).
const RFC_PRIVATE_KEY = 'MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF';
const RFC_PUBLIC_KEY_SPKI = 'MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=';
const RFC_REQUEST = {
  kind: 'request' as const,
  method: 'POST',
  targetUri: 'https://example.com/foo?param=Value&Pet=dog',
  fields: [
    { name: 'host', value: 'example.com' },
    { name: 'date', value: 'Tue, 20 Apr 2021 02:07:55 GMT' },
    { name: 'content-type', value: 'application/json' },
    { name: 'content-digest', value: 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:' },
    { name: 'content-length', value: '18' },
  ],
};
const RFC_SIGNATURE_INPUT =
  'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const RFC_SIGNATURE = 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';

describe('RFC 9421 test vectors (Ed25519, Appendix B.2.6)', () => {
  const privateKey = importPrivateKey(RFC_PRIVATE_KEY);
  const publicKey = createPublicKey({ key: Buffer.from(RFC_PUBLIC_KEY_SPKI, 'base64'), format: 'der', type: 'spki' });

  it('produces the RFC signature byte for byte (Ed25519 is deterministic)', () => {
    const fields = createSignatureSync(RFC_REQUEST, {
      label: 'sig-b26',
      components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
      parameters: { created: 1618884473, keyid: 'test-key-ed25519' },
      signer: { algorithm: 'ed25519', sign: (data) => signBytes(privateKey, data) },
    });
    expect(fields.signatureInput).toBe(RFC_SIGNATURE_INPUT);
    expect(fields.signature).toBe(RFC_SIGNATURE);
  });

  it("verifies the RFC's signature with the RFC's public key, and refuses it once a covered field changes", async () => {
    const withSignature = (fields: typeof RFC_REQUEST.fields) => ({
      ...RFC_REQUEST,
      fields: [...fields, { name: 'signature-input', value: RFC_SIGNATURE_INPUT }, { name: 'signature', value: RFC_SIGNATURE }],
    });
    const options = {
      policy: { algorithms: ['ed25519'], requiredComponents: ['@method', '@authority'], requiredParameters: ['created'], now: 1618884473 },
      resolveVerifier: () => ({ algorithm: 'ed25519', verify: (data: Uint8Array, sig: Uint8Array) => verifyBytes(publicKey, data, sig) }),
    };
    await expect(verifySignature(withSignature(RFC_REQUEST.fields), options)).resolves.toMatchObject({ label: 'sig-b26' });
    const tampered = RFC_REQUEST.fields.map((f) => (f.name === 'content-length' ? { ...f, value: '19' } : f));
    await expect(verifySignature(withSignature(tampered), options)).rejects.toMatchObject({ code: 'VerificationFailed' });
  });

  it('reads the raw public key the Portal publishes out of the SPKI form', () => {
    expect(rawPublicKey(publicKey).toString('base64url')).toBe(
      Buffer.from(RFC_PUBLIC_KEY_SPKI, 'base64').subarray(12).toString('base64url'),
    );
    expect(
      publicKeyFromRaw(rawPublicKey(publicKey).toString('base64url'))?.export({ format: 'der', type: 'spki' }).toString('base64'),
    ).toBe(RFC_PUBLIC_KEY_SPKI);
  });
});

describe('RFC 9530 Content-Digest', () => {
  it('matches the RFC example for {"hello": "world"}', () => {
    expect(contentDigestOf(Buffer.from('{"hello": "world"}'))).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
  });
});

describe('Portal call signatures', () => {
  const me = generateIdentityKey();
  const other = generateIdentityKey();
  const now = 1_800_000_000;
  const body = Buffer.from('{"messages":[]}');
  const url = 'https://b.example/api/federation/messages/batch';

  function signed(overrides: { url?: string; now?: number; nonce?: string; key?: typeof me } = {}): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-digest': contentDigestOf(body),
      authorization: 'Bearer k1',
    };
    const key = overrides.key ?? me;
    return {
      ...headers,
      ...signCall(
        { method: 'POST', url: overrides.url ?? url, headers },
        { keyId: key.identity.keyId, privateKey: key.privateKey },
        overrides.now ?? now,
        overrides.nonce,
      ),
    };
  }

  function incoming(headers: Record<string, string>, bytes: Buffer | 'none' = body, target = url, method = 'POST'): IncomingCall {
    return { method, targetUri: target, headers, bodySha256: bytes === 'none' ? 'none' : createHash('sha256').update(bytes).digest() };
  }

  const options = {
    nowSeconds: now,
    clockSkewSeconds: 30,
    resolveKey: async (keyId: string) => {
      if (keyId !== me.identity.keyId) throw new SignatureRefusal('identity_unknown', 'not pinned');
      return publicKeyFromRaw(me.identity.publicKey)!;
    },
  };

  async function refusal(call: IncomingCall, opts = options): Promise<string> {
    try {
      await verifyCall(call, opts);
      return 'accepted';
    } catch (error) {
      return (error as SignatureRefusal).code;
    }
  }

  it('accepts a call signed over method, URI, digest and key, and names its key and nonce', async () => {
    const verified = await verifyCall(incoming(signed({ nonce: 'nonce-123456' })), options);
    expect(verified).toEqual({ keyId: me.identity.keyId, nonce: 'nonce-123456', created: now, expires: now + 60 });
  });

  it('covers every component the Portal relies on', () => {
    const input = signed()['signature-input'];
    expect(input).toContain('("@method" "@target-uri" "content-digest" "authorization")');
    expect(input).toMatch(/;created=\d+;expires=\d+;nonce="[^"]+";keyid="[^"]+";alg="ed25519"$/);
  });

  it('refuses what an attacker could change', async () => {
    expect(await refusal(incoming({ 'content-type': 'application/json', 'content-digest': contentDigestOf(body) }))).toBe(
      'signature_missing',
    );
    // The body swapped (and the digest with it) under a valid signature.
    const swapped = Buffer.from('{"messages":[1]}');
    expect(await refusal(incoming(signed(), swapped))).toBe('digest_mismatch');
    expect(await refusal(incoming({ ...signed(), 'content-digest': contentDigestOf(swapped) }, swapped))).toBe('signature_invalid');
    // Another Portal's URI (a relayed call), another route, another method, another key.
    expect(await refusal(incoming(signed({ url: 'https://c.example/api/federation/messages/batch' })))).toBe('signature_invalid');
    expect(await refusal(incoming(signed(), body, 'https://b.example/api/federation/receipts'))).toBe('signature_invalid');
    expect(await refusal(incoming(signed(), body, url, 'PUT'))).toBe('signature_invalid');
    expect(await refusal(incoming({ ...signed(), authorization: 'Bearer k2' }))).toBe('signature_invalid');
    // Dropping the body's digest from a call with a body.
    const { 'content-digest': _digest, ...noDigest } = signed();
    expect(await refusal(incoming(noDigest))).toBe('signature_incomplete');
    // Signed by a key that is not the caller's.
    expect(await refusal(incoming(signed({ key: other })))).toBe('identity_unknown');
  });

  it('refuses a stale or future signature beyond the clock-skew allowance, and accepts one inside it', async () => {
    expect(await refusal(incoming(signed({ now: now - 120 })))).toBe('signature_expired');
    expect(await refusal(incoming(signed({ now: now + 31 })))).toBe('signature_expired');
    expect(await refusal(incoming(signed({ now: now + 25 })))).toBe('accepted');
    expect(await refusal(incoming(signed({ now: now - 80 })))).toBe('accepted'); // expired 20 s ago, inside the 30 s skew
  });

  it('refuses an unsigned body-less call, and a digest on a call without a body must be the empty digest', async () => {
    const headers = { authorization: 'Bearer k1' };
    const sig = signCall({ method: 'DELETE', url, headers }, { keyId: me.identity.keyId, privateKey: me.privateKey }, now);
    expect(await refusal(incoming({ ...headers, ...sig }, 'none', url, 'DELETE'))).toBe('accepted');
    expect(await refusal(incoming(headers, 'none', url, 'DELETE'))).toBe('signature_missing');
  });
});
