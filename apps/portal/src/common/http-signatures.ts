import { createHash, type KeyObject, randomBytes } from 'node:crypto';
import { createSignatureSync, isSignatureError, type RequestDescriptor, SignatureErrorCode, verifySignature } from 'http-message-sig';
import { IDENTITY_ALG, signBytes, verifyBytes } from './identity-keys';

/**
 * RFC 9421 HTTP Message Signatures over Portal-to-Portal calls, with the http-message-sig library
 * (RFC 9421 itself, not a draft) and Ed25519 from node:crypto.
 *
 * Every call is signed under the label "sig1" covering "@method", "@target-uri", "content-digest"
 * (when there is a body: RFC 9530, sha-256) and "authorization" (when a contact key is sent), with
 * created, expires, nonce, keyid and alg. What an attacker could swap — the method, the full URI
 * (another Portal, another route), the body, the bearer key — is in the signature base.
 */
export const SIGNATURE_LABEL = 'sig1';
/** Lifetime of a signature: expires = created + this. */
export const SIGNATURE_LIFETIME_SECONDS = 60;
/** The longest lifetime a receiver accepts (bounds how long nonces are kept). */
export const MAX_SIGNATURE_LIFETIME_SECONDS = 300;

/** What the signer needs of an outgoing call. */
export interface OutgoingCall {
  method: string;
  /** The full URL called. */
  url: string;
  /** Headers already set (lowercase names): content-digest and authorization are covered when present. */
  headers: Record<string, string>;
}

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
}

/** `sha-256=:<base64>:` of the bytes (RFC 9530). */
export function contentDigestOf(body: Uint8Array): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

/** Content-Digest from a SHA-256 given in hex (file chunks, whose hash is known before they are read). */
export function contentDigestFromHex(sha256Hex: string): string {
  return `sha-256=:${Buffer.from(sha256Hex, 'hex').toString('base64')}:`;
}

/** The sha-256 member of a Content-Digest header, as raw bytes; null when there is none. */
export function sha256OfContentDigest(header: string | undefined): Buffer | null {
  if (!header) return null;
  const match = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]+={0,2}):\s*(?:,|$)/.exec(header);
  if (!match) return null;
  const bytes = Buffer.from(match[1], 'base64');
  return bytes.length === 32 ? bytes : null;
}

/** Signature and Signature-Input headers for a call; `nowSeconds` and `nonce` are for tests. */
export function signCall(
  call: OutgoingCall,
  key: SigningKey,
  nowSeconds = Math.floor(Date.now() / 1000),
  nonce = randomBytes(16).toString('base64url'),
): Record<string, string> {
  const components = ['@method', '@target-uri'];
  if (call.headers['content-digest'] !== undefined) components.push('content-digest');
  if (call.headers.authorization !== undefined) components.push('authorization');
  const fields = createSignatureSync(describeOutgoing(call), {
    label: SIGNATURE_LABEL,
    components,
    parameters: { created: nowSeconds, expires: nowSeconds + SIGNATURE_LIFETIME_SECONDS, nonce, keyid: key.keyId, alg: IDENTITY_ALG },
    signer: { algorithm: IDENTITY_ALG, sign: (data) => signBytes(key.privateKey, data) },
  });
  return { signature: fields.signature, 'signature-input': fields.signatureInput };
}

function describeOutgoing(call: OutgoingCall): RequestDescriptor {
  return {
    kind: 'request',
    method: call.method,
    targetUri: call.url,
    fields: Object.entries(call.headers).map(([name, value]) => ({ name, value })),
  };
}

/** Why a signed call is refused. Each code has one meaning, shown to the caller in the 401's details. */
export type SignatureRefusalCode =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_incomplete'
  | 'signature_expired'
  | 'signature_invalid'
  | 'signature_replayed'
  | 'digest_mismatch'
  | 'identity_unknown'
  | 'identity_changed'
  | 'protocol_version';

export class SignatureRefusal extends Error {
  constructor(
    readonly code: SignatureRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'SignatureRefusal';
  }
}

/** An incoming call as the verifier sees it. */
export interface IncomingCall {
  method: string;
  /** The URI the caller must have signed: this Portal's public URL + the request's path and query. */
  targetUri: string;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The SHA-256 of the body as received (raw bytes), or 'none' when the call has no body. A streamed
   * body (file chunks) passes the hash the stream will be checked against (its X-Chunk-Sha256): the
   * store refuses bytes that do not match it.
   */
  bodySha256: Buffer | 'none';
}

/** The verified parameters of a call's signature. */
export interface VerifiedCall {
  keyId: string;
  nonce: string;
  created: number;
  expires: number;
}

export interface VerifyOptions {
  /** The public key for a keyid, or throws a SignatureRefusal (unknown key, changed identity). */
  resolveKey: (keyId: string) => Promise<KeyObject>;
  nowSeconds: number;
  /** Allowed clock difference between the two Portals, in seconds. */
  clockSkewSeconds: number;
}

/**
 * Throws signature_missing when the call carries neither Signature nor Signature-Input. Checked
 * before anything else of the call (its body digest included), so an unsigned call is told that
 * signatures are required rather than what else it lacks.
 */
export function requireSignature(headers: IncomingCall['headers']): void {
  if (headers.signature === undefined && headers['signature-input'] === undefined) {
    throw new SignatureRefusal(
      'signature_missing',
      'This Portal accepts only signed federation requests (RFC 9421 HTTP Message Signatures with Ed25519); the request carries no Signature',
    );
  }
}

/**
 * Verifies a call's signature (RFC 9421) and its Content-Digest against the body's hash. Does not
 * check the nonce: the caller records it (NonceStore) once the signature is known to be good.
 */
export async function verifyCall(call: IncomingCall, options: VerifyOptions): Promise<VerifiedCall> {
  const header = (name: string): string | undefined => {
    const value = call.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  requireSignature(call.headers);
  const hasBody = call.bodySha256 !== 'none';
  const digestHeader = header('content-digest');
  if (hasBody || digestHeader !== undefined) {
    const claimed = sha256OfContentDigest(digestHeader);
    if (!claimed)
      throw new SignatureRefusal(
        'signature_incomplete',
        'A request with a body must carry Content-Digest with a sha-256 member (RFC 9530)',
      );
    const actual = call.bodySha256 === 'none' ? createHash('sha256').digest() : call.bodySha256;
    if (!claimed.equals(actual)) throw new SignatureRefusal('digest_mismatch', 'The body does not match its Content-Digest');
  }
  const required = ['@method', '@target-uri'];
  if (digestHeader !== undefined) required.push('content-digest');
  if (header('authorization') !== undefined) required.push('authorization');
  const fields: Array<{ name: string; value: string }> = [];
  for (const [name, value] of Object.entries(call.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) fields.push({ name, value: v });
  }
  let keyId = '';
  try {
    const verified = await verifySignature(
      { kind: 'request', method: call.method, targetUri: call.targetUri, fields },
      {
        label: SIGNATURE_LABEL,
        policy: {
          algorithms: [IDENTITY_ALG],
          requiredComponents: required,
          requiredParameters: ['created', 'expires', 'nonce', 'keyid', 'alg'],
          maxAge: MAX_SIGNATURE_LIFETIME_SECONDS,
          clockSkew: options.clockSkewSeconds,
          now: options.nowSeconds,
        },
        resolveVerifier: async (candidate) => {
          keyId = String(candidate.parameters.keyid ?? '');
          const publicKey = await options.resolveKey(keyId);
          return { algorithm: IDENTITY_ALG, verify: (data, signature) => verifyBytes(publicKey, data, signature) };
        },
      },
    );
    const p = verified.parameters;
    const created = Number(p.created);
    const expires = Number(p.expires);
    const nonce = String(p.nonce);
    if (
      !Number.isInteger(created) ||
      !Number.isInteger(expires) ||
      expires < created ||
      expires - created > MAX_SIGNATURE_LIFETIME_SECONDS
    ) {
      throw new SignatureRefusal(
        'signature_expired',
        `A signature must expire after it was created and live at most ${MAX_SIGNATURE_LIFETIME_SECONDS} s`,
      );
    }
    if (typeof p.nonce !== 'string' || nonce.length < 8 || nonce.length > 64) {
      throw new SignatureRefusal('signature_malformed', 'The signature nonce must be a string of 8 to 64 characters');
    }
    return { keyId, nonce, created, expires };
  } catch (error) {
    throw refusalOf(error, options.clockSkewSeconds);
  }
}

function refusalOf(error: unknown, skew: number): SignatureRefusal {
  if (error instanceof SignatureRefusal) return error;
  if (!isSignatureError(error)) return new SignatureRefusal('signature_malformed', 'The signature could not be read');
  if (error.code === SignatureErrorCode.ResolverFailed && error.cause instanceof SignatureRefusal) return error.cause;
  if (error.code === SignatureErrorCode.VerificationFailed) {
    return new SignatureRefusal(
      'signature_invalid',
      "The signature does not verify: it must cover this request's method, full URI (this Portal's public URL), body digest and key with the caller's identity key",
    );
  }
  if (error.code === SignatureErrorCode.MissingField) {
    return new SignatureRefusal('signature_missing', 'The request needs both Signature and Signature-Input headers');
  }
  if (error.code === SignatureErrorCode.PolicyViolation) {
    if (/future|expired|too old/.test(error.message)) {
      return new SignatureRefusal(
        'signature_expired',
        `The signature is outside its lifetime or the clock-skew allowance of ${skew} s (${error.message.toLowerCase()}); check the Portals' clocks`,
      );
    }
    if (/Required/.test(error.message))
      return new SignatureRefusal(
        'signature_incomplete',
        `${error.message}: sign at least @method, @target-uri, content-digest (with a body) and authorization (with a key), with created, expires, nonce, keyid and alg`,
      );
    return new SignatureRefusal('signature_malformed', error.message);
  }
  return new SignatureRefusal('signature_malformed', `The signature headers are malformed (${error.message})`);
}
