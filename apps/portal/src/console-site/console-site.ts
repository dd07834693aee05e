import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import type { PortalConfig } from '../config/portal-config';

/** Where the console is served, and the public homepage. */
export const CONSOLE_PREFIX = '/console/';
export const HOMEPAGE_PATH = '/';

/**
 * The console and the homepage run only code and styles from this Portal: no inline script or
 * style, no other origin, never framed. Fetches and the WebSocket go to this origin only.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The built console: PORTAL_CONSOLE_DIR, else apps/console/dist of this installation. */
export function findConsoleDir(config: PortalConfig): string {
  if (config.consoleDir) return config.consoleDir;
  const candidates = [
    // node apps/portal/dist/main.js
    resolve(dirname(process.argv[1] ?? '.'), '..', '..', 'console', 'dist'),
    resolve(process.cwd(), 'apps', 'console', 'dist'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[candidates.length - 1];
}

/** Serves the console's static assets under /console/ and the homepage at /, both with the strict CSP. */
export async function registerConsoleSite(app: NestFastifyApplication, config: PortalConfig, logger: PinoLogger): Promise<void> {
  const root = findConsoleDir(config);
  const built = existsSync(join(root, 'index.html'));
  if (!built) logger.warn({ consoleDir: root }, 'The console is not built (npm run build): /console and / answer 404');
  await app.register(fastifyStatic, {
    root: built ? root : process.cwd(),
    prefix: CONSOLE_PREFIX,
    decorateReply: false,
    index: ['index.html'],
    cacheControl: false,
    dotfiles: 'deny',
    allowedPath: (pathName: string) => built && !pathName.startsWith('/.'),
    setHeaders: (reply) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      // Not content-hashed: revalidate every time (ETag / Last-Modified keep it cheap).
      reply.header('cache-control', 'no-cache');
    },
  });
  const homepage = built ? readFileSync(join(root, 'home.html')) : null;
  const favicon = built && existsSync(join(root, 'favicon.svg')) ? readFileSync(join(root, 'favicon.svg')) : null;
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get(CONSOLE_PREFIX.slice(0, -1), async (_request, reply) => reply.redirect(CONSOLE_PREFIX, 301));
  // Browsers ask for /favicon.ico whatever the pages link to: answer with the console's icon.
  fastify.get('/favicon.ico', async (_request, reply) => {
    if (!favicon) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'The console is not built' });
    return reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(favicon);
  });
  fastify.get(HOMEPAGE_PATH, async (_request, reply) => {
    if (!homepage) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'The homepage is not built' });
    return reply
      .header('content-security-policy', CONSOLE_CSP)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(homepage);
  });
}
