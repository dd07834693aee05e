import { contentDigestOf, signCall, type SigningKey } from '@agent-p2p/portal/src/common/http-signatures';
import { generateIdentityKey, type IdentityKeyPair } from '@agent-p2p/portal/src/common/identity-keys';
import { IdentityService } from '@agent-p2p/portal/src/identity/identity.service';
import type { TestPortal } from './test-portal';

/** Who signs a test's federation call: a running test Portal (its own identity key) or a bare key. */
export type CallSigner = TestPortal | SigningKey | IdentityKeyPair;

export interface SignedInit {
  method?: string;
  headers?: Record<string, string>;
  /** JSON text or raw bytes; its Content-Digest is added. */
  body?: string | Buffer;
  /** Sign for this URL instead of the one called (a call signed for another Portal). */
  signedUrl?: string;
  /** Sign as if at this time (seconds since the epoch). */
  nowSeconds?: number;
  /** Use this nonce (to replay one on purpose). */
  nonce?: string;
}

/** The key a signer signs with. */
export async function signingKeyOf(signer: CallSigner): Promise<SigningKey> {
  if ('app' in signer) return signer.app.get(IdentityService).signingKey();
  if ('identity' in signer) return { keyId: signer.identity.keyId, privateKey: signer.privateKey };
  return signer;
}

/** The headers of a signed federation call (Content-Digest, Signature-Input, Signature), as a Portal sends them. */
export async function signedHeaders(signer: CallSigner, url: string, init: SignedInit = {}): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;
  if (init.body !== undefined) {
    headers['content-digest'] ??= contentDigestOf(typeof init.body === 'string' ? Buffer.from(init.body) : init.body);
  }
  const signature = signCall(
    { method: init.method ?? 'GET', url: init.signedUrl ?? url, headers },
    await signingKeyOf(signer),
    init.nowSeconds,
    init.nonce,
  );
  return { ...headers, ...signature };
}

/**
 * fetch() of a federation route signed like a Portal signs it (RFC 9421 with the signer's identity
 * key): for tests that call another Portal's federation API directly, as a peer would.
 */
export async function signedFetch(signer: CallSigner, url: string, init: SignedInit = {}): Promise<Response> {
  const headers = await signedHeaders(signer, url, init);
  const body = typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body);
  return fetch(url, { method: init.method ?? 'GET', headers, body });
}

/** A fresh identity for a fake Portal. */
export function testIdentity(): IdentityKeyPair {
  return generateIdentityKey();
}
