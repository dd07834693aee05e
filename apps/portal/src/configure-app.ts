import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Logger as PinoLogger } from 'pino';
import { stringify } from 'yaml';
import { AppModule } from './app.module';
import { FirstStartService, type FirstStartResult } from './auth/first-start.service';
import { SECURITY_SCHEMES, SESSION_COOKIE } from './auth/principal';
import { registerConsoleSite } from './console-site/console-site';
import { sendError, toErrorBody } from './common/http-exception.filter';
import { registerJsonBodyParser } from './common/json-body';
import { createLogger, PinoNestLogger } from './common/logger';
import { sortDeep } from './common/sort-deep';
import { EventsGateway } from './events/events.gateway';
import { PortalWsAdapter } from './events/portal-ws-adapter';
import { PORTAL_VERSION } from './common/version';
import type { PortalConfig } from './config/portal-config';
import type { DataSourceExtras } from './database/data-source-options';

export interface CreatePortalOptions {
  config: PortalConfig;
  logger?: PinoLogger;
  database?: DataSourceExtras;
  /** Build the route table only: no database, no providers (used to write openapi.yaml). */
  preview?: boolean;
}

export interface RouteInfo {
  method: string;
  url: string;
}

export interface PortalApp {
  app: NestFastifyApplication;
  /** Every HTTP route fastify registered, Nest's and the infrastructure's (docs, contract). */
  routes: RouteInfo[];
  /** The published contract, exactly as /openapi.yaml serves it. */
  document: OpenAPIObject;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * What Swagger UI needs on /docs: its own scripts, its inline styles and data: images, and calls
 * ("Try it out") to this Portal only. No inline script, no eval, no other origin.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The pages that serve Swagger UI's HTML (the rest of /docs/* is its assets). */
const DOCS_PAGES = new Set(['/docs', '/docs/', '/docs/index.html']);

function setCommonHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
}

/** Builds the Portal application (not yet listening). Shared by main, the tests and the spec writer. */
export async function createPortalApp(options: CreatePortalOptions): Promise<PortalApp> {
  const { config } = options;
  mkdirSync(config.dataDir, { recursive: true });
  const logger = options.logger ?? createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.limits.maxBodyBytes,
    trustProxy: config.trustProxy,
    // Slow clients (slowloris: headers or a body trickled byte by byte) are cut off with 408.
    requestTimeout: config.server.requestTimeoutMs,
    keepAliveTimeout: config.server.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.server.headersTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default): check often enough to honour short ones.
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(config.server.headersTimeoutMs / 4))),
    },
    // The router refuses a malformed URL (400) or an over-long path parameter (414) before any hook
    // or filter runs: answer those in the standard error shape too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      setCommonHeaders(request, reply);
      sendError(reply, toErrorBody(error));
    },
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, database: options.database }), adapter, {
    logger: new PinoNestLogger(logger),
    preview: options.preview,
    abortOnError: false,
    bodyParser: false,
  });
  const routes: RouteInfo[] = [];
  const fastify = app.getHttpAdapter().getInstance();
  // Beyond the cap node closes new connections at once (WebSockets count too).
  fastify.server.maxConnections = config.server.maxConnections;
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  fastify.addHook('onRequest', async (request, reply) => setCommonHeaders(request, reply));
  // The API speaks JSON only: other bodies get 415. JSON keeps fastify's parser and bodyLimit, behind
  // a nesting-depth cap.
  fastify.removeContentTypeParser('text/plain');
  registerJsonBodyParser(fastify);
  // File chunks are streamed to disk: their routes get the request stream itself, never a buffered
  // body (so fastify's bodyLimit does not apply; the handler enforces the chunk's exact length).
  fastify.addContentTypeParser('application/octet-stream', (request, payload, done) => {
    if (/\/chunks\/:index$/.test(request.routeOptions.url ?? '')) return done(null, payload);
    const error = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    done(error, undefined);
  });
  // WS /ws shares the HTTP port; credentials are checked before the upgrade.
  app.useWebSocketAdapter(
    new PortalWsAdapter(app, {
      maxPayload: config.ws.maxFrameBytes,
      verifyUpgrade: (request) => app.get(EventsGateway).verifyUpgrade(request),
    }),
  );
  app.enableShutdownHooks();
  fastify.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0];
    if (path !== '/docs' && !path.startsWith('/docs/')) return payload;
    reply.header('content-security-policy', DOCS_CSP);
    if (!DOCS_PAGES.has(path) || typeof payload !== 'string') return payload;
    // The asset links are relative, and Nest picks their base from the URL with its query, so
    // /docs/index.html or /docs/?a=/ linked to /docs/docs/… (404). Pick it from the path instead.
    const base = path === '/docs' ? './docs/' : './';
    return payload.replace(/\b(href|src)="\.\/(?:docs\/)?/g, `$1="${base}`);
  });
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    raw: ['json'],
    customSiteTitle: 'Agent P2P Portal API',
  });
  // Served as the committed openapi.yaml is written (Swagger's own YAML is formatted differently).
  const yamlText = renderOpenApiYaml(document);
  fastify.get('/openapi.yaml', async (_request, reply) => reply.type('text/yaml; charset=utf-8').send(yamlText));
  await registerConsoleSite(app, config, logger);
  return { app, routes, document };
}

/** Starts the app's providers, runs migrations and the first-start seeding. */
export async function initPortalApp(portal: PortalApp): Promise<FirstStartResult | null> {
  await portal.app.init();
  return portal.app.get(FirstStartService).ensureInitialized();
}

/** The OpenAPI document as YAML text, exactly as the committed openapi.yaml holds it. */
export function renderOpenApiYaml(document: OpenAPIObject): string {
  return stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** The OpenAPI document, with stable ordering so the committed openapi.yaml is reproducible. */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Agent P2P Portal API')
    .setDescription(
      'The Portal of one AI agent: contacts, messages, files and events between Portals. ' +
        'Agents authenticate with an owner key (Authorization: Bearer ap2p_o_…), the owner with the console session cookie, ' +
        'peer Portals with the shared contact key on /api/federation/* only.',
    )
    .setVersion(PORTAL_VERSION)
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Owner key: ap2p_o_…' }, SECURITY_SCHEMES.ownerKey)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'Owner key, as a header' }, SECURITY_SCHEMES.ownerKeyHeader)
    .addCookieAuth(
      SESSION_COOKIE,
      { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Console session (POST /api/session)' },
      SECURITY_SCHEMES.session,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'Contact key shared by two Portals: ap2p_c_…' },
      SECURITY_SCHEMES.contactKey,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  return sortDeep(document) as OpenAPIObject;
}
