import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { AUTH_METADATA } from '../src/auth/auth.decorator';
import { CSRF_HEADER_VALUE, type PrincipalKind, SECURITY_SCHEMES } from '../src/auth/principal';
import { api, insertContact, TestPortal } from '@agent-p2p/testing';
/** Routes that are not Nest handlers: Swagger UI, the contract, the console's static assets and the homepage. Always public. */
const INFRASTRUCTURE = [/^\/docs(\/.*)?$/, /^\/openapi\.(json|yaml)$/, /^\/console(\/.*)?$/, /^\/$/, /^\/favicon\.ico$/];

type CredentialName = 'none' | 'owner key' | 'revoked owner key' | 'contact key' | 'console session' | 'garbage';
const CREDENTIALS: CredentialName[] = ['none', 'owner key', 'revoked owner key', 'contact key', 'console session', 'garbage'];
/** The principal each valid credential authenticates as. */
const KIND_OF: Partial<Record<CredentialName, PrincipalKind>> = {
  'owner key': 'agent',
  'contact key': 'contact',
  'console session': 'owner',
};

interface NestRoute {
  method: string;
  url: string;
  handler: string;
  kinds: PrincipalKind[] | undefined;
}

function joinPath(...parts: string[]): string {
  const joined = `/${parts.filter(Boolean).join('/')}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Every Nest route handler with the principals its @Auth declares (undefined when it declares none). */
function nestRoutes(portal: TestPortal): NestRoute[] {
  const reflector = new Reflector();
  const routes: NestRoute[] = [];
  for (const module of portal.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const base = [Reflect.getMetadata(PATH_METADATA, controller) ?? ''].flat()[0] as string;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        for (const p of [path].flat()) {
          routes.push({
            method,
            url: joinPath(base, p),
            handler: `${controller.name}.${name}`,
            kinds: reflector.getAllAndOverride<PrincipalKind[] | undefined>(AUTH_METADATA, [handler as () => unknown, controller]),
          });
        }
      }
    }
  }
  return routes;
}

/** The OpenAPI security schemes a set of principals must produce. */
function expectedSchemes(kinds: PrincipalKind[]): string[] {
  if (kinds.includes('public')) return [];
  const schemes: string[] = [];
  if (kinds.includes('agent')) schemes.push(SECURITY_SCHEMES.ownerKey, SECURITY_SCHEMES.ownerKeyHeader);
  if (kinds.includes('owner')) schemes.push(SECURITY_SCHEMES.session);
  if (kinds.includes('contact')) schemes.push(SECURITY_SCHEMES.contactKey);
  return schemes.sort();
}

/** A request not answered within this time was let through by the guard. */
const HELD_OPEN_MS = 3000;

const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('auth matrix: every route × every kind of credential', () => {
  let portal: TestPortal;
  let revokedKey: string;
  let contactKey: string;

  beforeAll(async () => {
    portal = await TestPortal.start();
    const created = await portal.client().createKey('to be revoked');
    await portal.client().revokeKey(created.id);
    revokedKey = created.key;
    contactKey = await insertContact(portal, 'active');
  });
  afterAll(async () => {
    await portal.destroy();
  });

  it('sees the routes fastify registered, Nest routes and infrastructure alike', () => {
    const urls = portal.portal!.routes.map((r) => `${r.method} ${r.url}`);
    expect(urls).toEqual(expect.arrayContaining(['GET /health', 'GET /api/me', 'GET /openapi.yaml', 'GET /docs']));
  });

  it('every Nest route declares its principals with @Auth', () => {
    const routes = nestRoutes(portal);
    expect(routes.length).toBeGreaterThan(5);
    expect(routes.filter((r) => !r.kinds || r.kinds.length === 0).map((r) => r.handler)).toEqual([]);
  });

  it('every registered route is either a Nest route or public infrastructure', () => {
    const nest = new Set(nestRoutes(portal).map((r) => `${r.method} ${r.url}`));
    const unknown = portal
      .portal!.routes.filter((r) => !nest.has(`${r.method} ${r.url}`) && !INFRASTRUCTURE.some((re) => re.test(r.url)))
      .map((r) => `${r.method} ${r.url}`);
    expect(unknown).toEqual([]);
  });

  it('every Nest route is in the OpenAPI document, with the security its @Auth declares', () => {
    const paths = portal.portal!.document.paths as Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>;
    const mismatches: string[] = [];
    for (const route of nestRoutes(portal)) {
      const operation = paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()];
      if (!operation) {
        mismatches.push(`${route.method} ${route.url} is missing from the OpenAPI document`);
        continue;
      }
      const schemes = (operation.security ?? []).flatMap((s) => Object.keys(s)).sort();
      const expected = expectedSchemes(route.kinds ?? []);
      if (JSON.stringify(schemes) !== JSON.stringify(expected)) {
        mismatches.push(`${route.method} ${route.url}: security ${schemes.join(',')} but @Auth(${route.kinds?.join(',')})`);
      }
    }
    // And nothing in the document that the app does not serve.
    const served = new Set(nestRoutes(portal).map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.url)}`));
    for (const [path, item] of Object.entries(paths)) {
      for (const method of Object.keys(item)) {
        if (!served.has(`${method} ${path}`)) mismatches.push(`${method} ${path} is documented but not served`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  async function headersFor(credential: CredentialName): Promise<Record<string, string>> {
    switch (credential) {
      case 'none':
        return {};
      case 'owner key':
        return { authorization: `Bearer ${portal.ownerKey}` };
      case 'revoked owner key':
        return { authorization: `Bearer ${revokedKey}` };
      case 'contact key':
        // A fresh contact each time: DELETE /api/federation/contact removes the one it is sent with.
        return { authorization: `Bearer ${await insertContact(portal, 'active')}` };
      case 'console session':
        // A fresh session each time: DELETE /api/session ends the one it is sent with.
        return { cookie: await portal.login(), 'x-requested-with': CSRF_HEADER_VALUE };
      case 'garbage':
        return { authorization: 'Bearer not-a-key-at-all' };
    }
  }

  function concretePath(url: string): string {
    return url.replace(/:[A-Za-z0-9_]+/g, () => randomUUID()).replace(/\*$/, 'index.html');
  }

  it('answers 401 / 403 / neither exactly as each route declares', async () => {
    const kindsByRoute = new Map(nestRoutes(portal).map((r) => [`${r.method} ${r.url}`, r.kinds ?? []]));
    const failures: string[] = [];
    let checked = 0;
    for (const route of portal.portal!.routes) {
      const infrastructure = INFRASTRUCTURE.some((re) => re.test(route.url));
      const kinds: PrincipalKind[] = infrastructure ? ['public'] : (kindsByRoute.get(`${route.method} ${route.url}`) ?? []);
      for (const credential of CREDENTIALS) {
        const headers = await headersFor(credential);
        const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(route.method);
        // The guard answers at once; a route that holds the request open (long poll, stream) has
        // let it through. Its body is never read.
        let status: number | 'held open';
        try {
          const response = await api(portal, route.method, concretePath(route.url), {
            key: null,
            headers,
            ...(hasBody ? { body: {} } : {}),
            signal: AbortSignal.timeout(HELD_OPEN_MS),
          });
          status = response.status;
          await response.body?.cancel();
        } catch (error) {
          if ((error as Error).name !== 'TimeoutError') throw error;
          status = 'held open';
        }
        let expected: string;
        let ok: boolean;
        if (kinds.includes('public')) {
          expected = 'neither 401 nor 403';
          ok = status !== 401 && status !== 403;
        } else {
          const kind = KIND_OF[credential];
          if (!kind) {
            expected = '401';
            ok = status === 401;
          } else if (kinds.includes(kind)) {
            expected = 'neither 401 nor 403';
            ok = status !== 401 && status !== 403;
          } else {
            expected = '403';
            ok = status === 403;
          }
        }
        checked += 1;
        if (!ok) failures.push(`${route.method} ${route.url} with ${credential}: ${status}, expected ${expected}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(portal.portal!.routes.length * CREDENTIALS.length);
  });

  it('refuses a cookie-authenticated change without X-Requested-With (403) and changes nothing', async () => {
    const cookie = await portal.login();
    const before = await portal.client().getMe();
    const response = await api(portal, 'PATCH', '/api/me', { key: null, headers: { cookie }, body: { agentName: 'csrf' } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { message: string }).message).toMatch(/X-Requested-With/);
    await expect(portal.client().getMe()).resolves.toEqual(before);
    const wrongValue = await api(portal, 'PATCH', '/api/me', {
      key: null,
      headers: { cookie, 'x-requested-with': 'XMLHttpRequest' },
      body: { agentName: 'csrf' },
    });
    expect(wrongValue.status).toBe(403);
    await expect(portal.client().getMe()).resolves.toEqual(before);
    // Reading needs no header, and with the header the same session may change the profile.
    expect((await api(portal, 'GET', '/api/me', { key: null, headers: { cookie } })).status).toBe(200);
    const allowed = await api(portal, 'PATCH', '/api/me', {
      key: null,
      headers: { cookie, 'x-requested-with': 'agent-p2p' },
      body: { agentName: before.agentName },
    });
    expect(allowed.status).toBe(200);
  });

  it('refuses an agent key on the console password change (403), and the password stays', async () => {
    const response = await api(portal, 'PUT', '/api/session/password', {
      body: { currentPassword: portal.password, newPassword: 'a-brand-new-password' },
    });
    expect(response.status).toBe(403);
    await expect(portal.login()).resolves.toMatch(/^ap2p_session=/);
  });

  it('accepts the owner key as X-Api-Key too, and refuses a contact key there on owner routes', async () => {
    expect((await api(portal, 'GET', '/api/me', { key: null, headers: { 'x-api-key': portal.ownerKey } })).status).toBe(200);
    expect((await api(portal, 'GET', '/api/me', { key: null, headers: { 'x-api-key': contactKey } })).status).toBe(403);
    expect((await api(portal, 'GET', '/api/me', { key: null, headers: { 'x-api-key': revokedKey } })).status).toBe(401);
  });

  it('guards the HEAD twins of GET routes like the GET routes', async () => {
    expect((await api(portal, 'HEAD', '/api/keys', { key: null })).status).toBe(401);
    expect((await api(portal, 'HEAD', '/api/keys', { key: contactKey })).status).toBe(403);
    expect((await api(portal, 'HEAD', '/api/keys')).status).toBe(200);
    expect((await api(portal, 'HEAD', '/health', { key: null })).status).toBe(200);
  });

  it('a malformed Authorization header is no credential at all (401), even next to a valid session', async () => {
    const cookie = await portal.login();
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${portal.ownerKey} extra`, `Token ${portal.ownerKey}`]) {
      const response = await api(portal, 'GET', '/api/me', { key: null, headers: { authorization, cookie } });
      expect({ authorization, status: response.status }).toEqual({ authorization, status: 401 });
    }
    expect((await api(portal, 'GET', '/api/me', { key: null, headers: { authorization: `bearer   ${portal.ownerKey}` } })).status).toBe(
      200,
    );
  });

  it('treats a contact that is no longer in force as no credential (401)', async () => {
    const removedKey = await insertContact(portal, 'removed');
    expect((await api(portal, 'GET', '/api/me', { key: removedKey })).status).toBe(401);
  });
});
