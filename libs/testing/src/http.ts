import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { generateContactKey, sha256Hex } from '@agent-p2p/portal/src/common/secrets';
import { Contact } from '@agent-p2p/portal/src/contacts/entities/contact.entity';
import type { TestPortal } from './test-portal';

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

/** A JSON request to the Portal with an owner key (or other headers). */
export function api(
  portal: TestPortal,
  method: string,
  path: string,
  options: { body?: string | object; headers?: Record<string, string>; key?: string | null; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? portal.ownerKey : options.key;
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  return fetch(`${portal.url}${path}`, { method, headers, body, signal: options.signal });
}

/** Inserts a contact with a fresh shared key; returns the key. */
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
      createdAt: now,
      updatedAt: now,
    });
  return key;
}
