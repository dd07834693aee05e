import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { contentDigestFromHex } from '@agent-p2p/portal/src/common/http-signatures';
import { generateContactKey, sha256Hex } from '@agent-p2p/portal/src/common/secrets';
import { Contact } from '@agent-p2p/portal/src/contacts/entities/contact.entity';
import { type CallSigner, signedHeaders, testIdentity } from './signed-fetch';
import type { TestPortal } from './test-portal';

/**
 * The identity of the Portals behind contacts that insertContact() makes: their key is pinned there,
 * so a test speaking as such a contact signs with it (api() and putRaw() do so on federation routes).
 */
export const insertedPeer = testIdentity();

const isFederation = (pathOrUrl: string): boolean => /^(?:https?:\/\/[^/]+)?\/api\/federation\//.test(pathOrUrl);

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Asserts a Portal error answer: exact status, the JSON error shape, a request id; returns the body. */
export async function expectError(response: Response, status: number): Promise<ErrorBody> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toEqual({ status, body: expect.any(String) });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('x-request-id')).toMatch(/\S/);
  const body = JSON.parse(text) as ErrorBody;
  expect(body).toEqual({
    statusCode: status,
    error: expect.any(String),
    message: expect.any(String),
    ...(body.details ? { details: expect.any(Object) } : {}),
  });
  expect(body.message.length).toBeGreaterThan(0);
  // No internals: no stack frames, no file paths.
  expect(text).not.toMatch(/\bat .+\(.*:\d+:\d+\)|node_modules|\/src\//);
  return body;
}

/**
 * A JSON request to the Portal with an owner key (or other headers). A call to a federation route is
 * signed like a Portal signs it, by `signAs` (default: insertedPeer, the Portal behind insertContact's
 * contacts; null: not signed).
 */
export async function api(
  portal: TestPortal,
  method: string,
  path: string,
  options: {
    body?: string | object;
    headers?: Record<string, string>;
    key?: string | null;
    signal?: AbortSignal;
    signAs?: CallSigner | null;
  } = {},
): Promise<Response> {
  let headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? portal.ownerKey : options.key;
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const url = `${portal.url}${path}`;
  const signer = options.signAs === undefined ? insertedPeer : options.signAs;
  if (signer && isFederation(path)) headers = await signedHeaders(signer, url, { method, headers, body });
  return fetch(url, { method, headers, body, signal: options.signal });
}

/**
 * The headers of a federation call as a Portal signs it: like signedHeaders(), but a file chunk
 * (application/octet-stream with a well-formed X-Chunk-Sha256) has a Content-Digest naming that hash,
 * as PeerClient sends it, so that bytes changed on the way still reach the Portal's chunk check.
 */
export async function peerCallHeaders(
  signer: CallSigner,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Record<string, string>> {
  const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const chunkHash = header('x-chunk-sha256');
  const isChunk = /^application\/octet-stream/.test(header('content-type') ?? '') && chunkHash && /^[0-9a-f]{64}$/i.test(chunkHash);
  const digest: Record<string, string> = isChunk ? { 'content-digest': contentDigestFromHex(chunkHash) } : {};
  return signedHeaders(signer, url, { method, headers: { ...headers, ...digest }, body });
}

/**
 * A raw chunk PUT (protocol edge cases): the body is sent as given, with the headers given. To a
 * federation route it is signed by `signAs` (default insertedPeer; null: not signed), its
 * Content-Digest naming X-Chunk-Sha256 as a Portal's does (so bytes changed on the way still reach
 * the chunk check).
 */
export async function putRaw(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
  key: string,
  signAs: CallSigner | null = insertedPeer,
): Promise<Response> {
  let sent: Record<string, string> = { authorization: `Bearer ${key}`, ...headers };
  if (signAs && isFederation(url))
    sent = await peerCallHeaders(signAs, url, 'PUT', sent, typeof body === 'string' ? Buffer.from(body) : Buffer.from(body));
  return fetch(url, { method: 'PUT', headers: sent, body: body as BodyInit });
}

/** Inserts a contact with a fresh shared key and insertedPeer's identity pinned; returns the key. */
export async function insertContact(portal: TestPortal, status: Contact['status'] = 'active'): Promise<string> {
  const key = generateContactKey();
  const now = new Date();
  await portal.app
    .get(DataSource)
    .getRepository(Contact)
    .insert({
      portalUrl: `https://peer-${sha256Hex(key).slice(0, 8)}.example.test`,
      status,
      agentName: 'Peer agent',
      ownerName: 'Peer owner',
      keyHash: sha256Hex(key),
      // Pinned to insertedPeer's key, as if the handshake had fetched it: calls signed with it pass.
      peerKeyState: 'pinned',
      peerKeyId: insertedPeer.identity.keyId,
      peerPublicKey: insertedPeer.identity.publicKey,
      peerKeyPinnedAt: now,
      createdAt: now,
      updatedAt: now,
    });
  return key;
}
