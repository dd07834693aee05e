import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MAX_JSON_DEPTH } from '../src/common/json-body';
import { Message } from '../src/messages/entities/message.entity';
import { api, expectError, insertContact, TestPortal } from '@agent-p2p/testing';
const nestedArrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('input hardening at the request layer', () => {
  let portal: TestPortal;
  let contactKey: string;

  beforeAll(async () => {
    portal = await TestPortal.start();
    contactKey = await insertContact(portal);
  });
  afterAll(async () => {
    await portal.destroy();
  });

  describe('JSON nested thousands of levels deep', () => {
    const routes: Array<{ title: string; method: string; path: string; key?: string | null }> = [
      { title: 'an owner route', method: 'POST', path: '/api/keys' },
      { title: 'a public route', method: 'POST', path: '/api/guestbook', key: null },
      { title: 'the login', method: 'POST', path: '/api/session', key: null },
      { title: 'a federation route', method: 'POST', path: '/api/federation/messages', key: 'contact' },
      { title: 'a PATCH', method: 'PATCH', path: '/api/me' },
    ];
    for (const route of routes) {
      it(`is a 400 on ${route.title} (${route.method} ${route.path}), and nothing is stored`, async () => {
        const key = route.key === 'contact' ? contactKey : route.key;
        const keysBefore = await portal.client().listKeys();
        const meBefore = await portal.client().getMe();
        for (const body of [nestedObjects(3000), nestedArrays(3000), `{"name":${nestedArrays(3000)}}`]) {
          const error = await expectError(await api(portal, route.method, route.path, { key, body }), 400);
          expect(error.message).toBe(`The JSON body nests arrays and objects too deeply (at most ${MAX_JSON_DEPTH} levels)`);
        }
        expect(await portal.client().listKeys()).toHaveLength(keysBefore.length);
        expect(await portal.client().getMe()).toEqual(meBefore);
      });
    }

    it(`stops at ${MAX_JSON_DEPTH} levels: one more is refused by the parser, up to it by validation`, async () => {
      const deepest = await expectError(
        await api(portal, 'POST', '/api/keys', { body: `{"name":${nestedArrays(MAX_JSON_DEPTH - 1)}}` }),
        400,
      );
      expect(deepest.message).toBe('Invalid request: name must be a string');
      const tooDeep = await expectError(await api(portal, 'POST', '/api/keys', { body: `{"name":${nestedArrays(MAX_JSON_DEPTH)}}` }), 400);
      expect(tooDeep.message).toMatch(/too deeply/);
      // Brackets inside strings are text, not nesting.
      const created = await api(portal, 'POST', '/api/keys', { body: { name: '['.repeat(90) } });
      expect(created.status).toBe(201);
    });
  });

  describe('date-time fields take RFC 3339 only', () => {
    const federate = (sentAt: unknown): Promise<Response> =>
      api(portal, 'POST', '/api/federation/messages', { key: contactKey, body: { id: randomUUID(), content: 'hi', type: 'text', sentAt } });

    it.each([
      '2024-W01-1',
      '2024-001',
      '20240101T000000Z',
      '2024-01-01',
      '2026-02-30T00:00:00Z',
      '2026-01-01T00:00:60Z',
      '+275760-09-13T00:00:00.000Z',
      '0000-06-01T00:00:00Z',
    ])('sentAt %j is a 400 naming the field, and no message is stored', async (sentAt) => {
      const before = await portal.app.get(DataSource).getRepository(Message).count();
      const error = await expectError(await federate(sentAt), 400);
      expect(error.message).toBe('Invalid request: sentAt must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z');
      expect(error.details).toEqual({ fields: { sentAt: ['sentAt must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z'] } });
      expect(await portal.app.get(DataSource).getRepository(Message).count()).toBe(before);
    });

    it('an RFC 3339 time with an offset is accepted and stored as UTC', async () => {
      const response = await federate('2026-01-31T12:00:00.5+02:00');
      expect(response.status).toBe(200);
      const { id } = (await response.json()) as { id: string };
      const stored = await portal.app.get(DataSource).getRepository(Message).findOneByOrFail({ remoteId: id });
      expect(stored.sentAt.toISOString()).toBe('2026-01-31T10:00:00.500Z');
    });
  });

  describe('text with a NUL character (PostgreSQL cannot store one)', () => {
    it('is a 400 naming the field in a body, and nothing changes', async () => {
      const before = await portal.client().getMe();
      const error = await expectError(await api(portal, 'PATCH', '/api/me', { body: { bio: 'a\u0000b' } }), 400);
      expect(error).toMatchObject({
        message: 'Invalid request: bio must not contain NUL characters',
        details: { fields: { bio: ['bio must not contain NUL characters'] } },
      });
      expect(await portal.client().getMe()).toEqual(before);
    });

    it('is a 400 on a federation message, and no message is stored', async () => {
      const before = await portal.app.get(DataSource).getRepository(Message).count();
      const body = { id: randomUUID(), content: 'nul \u0000 here', type: 'text', sentAt: '2026-01-31T12:00:00Z' };
      const error = await expectError(await api(portal, 'POST', '/api/federation/messages', { key: contactKey, body }), 400);
      expect(error.message).toBe('Invalid request: content must not contain NUL characters');
      expect(await portal.app.get(DataSource).getRepository(Message).count()).toBe(before);
    });

    it('is a 400 in a query', async () => {
      const error = await expectError(await api(portal, 'GET', '/api/messages?q=%00'), 400);
      expect(error.message).toBe('Invalid request: q must not contain NUL characters');
    });
  });

  describe('ids and cursors in queries beyond an INTEGER column', () => {
    it.each([
      '/api/messages?contactId=99999999999999999999',
      '/api/messages?after=2147483648',
      '/api/messages?before=99999999999999999999',
      '/api/files?contactId=2147483648',
    ])('%s is a 400 naming the parameter', async (path) => {
      const error = await expectError(await api(portal, 'GET', path), 400);
      expect(error.message).toMatch(/^Invalid request: (contactId|after|before) must not be greater than 2147483647$/);
    });

    it('the largest id is a valid query: no such contact (404), no such cursor (an empty page)', async () => {
      await expectError(await api(portal, 'GET', '/api/messages?contactId=2147483647'), 404);
      expect(await portal.client().listMessages({ after: 2_147_483_647 })).toEqual({ messages: [], hasMore: false });
      await expectError(await api(portal, 'GET', '/api/files?contactId=2147483647'), 404);
    });
  });

  describe('URLs the router cannot take', () => {
    it.each(['/api/contacts/%FF', '/api/files/%C0%AF', '/api/messages/%E2%82'])(
      '%s (bad percent-encoding) is a 400 in the standard shape',
      async (path) => {
        const response = await api(portal, 'GET', path);
        const error = await expectError(response, 400);
        expect(error.message).toBe('The URL is not valid: bad percent-encoding');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      },
    );

    it('an over-long path parameter is a 414 in the standard shape', async () => {
      const error = await expectError(await api(portal, 'GET', `/api/files/${'x'.repeat(3000)}`), 414);
      expect(error).toEqual({ statusCode: 414, error: 'URI Too Long', message: 'A path parameter is too long' });
    });
  });
});
