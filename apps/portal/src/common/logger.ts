import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/portal-config';

const SECRET_FIELD = /pass(word)?|secret|token|authori[sz]ation|cookie|credential|api[-_]?key|^keys?$|(contact|owner)[-_]?key/i;
const SECRET_VALUE = /ap2p_([oc])_[A-Za-z0-9_-]{8,}/g;
const REDACTED = '[redacted]';
const SECRET_PARAM = /pass|secret|token|session|key|auth|cookie/i;
const ALREADY_REDACTED = /\[redacted\]$/;

/**
 * Secret-looking pieces of free text (a URL, a message, a stack). Each pattern is linear in the
 * length of the text (names are bounded), so a huge string cannot stall the logger.
 */
const SECRET_TEXT: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // Owner and contact keys, wherever they are, keeping their kind.
  [SECRET_VALUE, (_match, kind) => `ap2p_${kind}_${REDACTED}`],
  // The console's cookies (session token, login device), e.g. a Cookie header quoted in a message.
  [/\b(ap2p_session|ap2p_device)=[^;,\s&"']*/g, (_match, name) => `${name}=${REDACTED}`],
  // Credential headers written out as text (a raw request, a header dump).
  [
    /\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key)([ \t]*:[ \t]*)[^\r\n]*/gi,
    (_match, name, separator) => `${name}${separator}${REDACTED}`,
  ],
  // Secret-named query parameters: ?password=…, &token=…, ?session=…, ?key=…
  [
    /([?&;])([^=&\s#?;]{1,64})=([^&\s#"';]*)/g,
    (match, separator, name, value) =>
      SECRET_PARAM.test(name) && !ALREADY_REDACTED.test(value) ? `${separator}${name}=${REDACTED}` : match,
  ],
  // Secret-named fields of JSON quoted as text, e.g. a body in a parser's message.
  [
    /"([^"\\\r\n]{1,64})"([ \t]*:[ \t]*)"((?:[^"\\]|\\.)*)("?)/g,
    (match, name, separator, value, close) =>
      SECRET_FIELD.test(name) && !ALREADY_REDACTED.test(value) ? `"${name}"${separator}"${REDACTED}${close}` : match,
  ],
];

function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replace] of SECRET_TEXT) out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
  return out;
}

/**
 * Removes secrets from anything about to be logged: secret-named fields, and in every string keys,
 * session and device cookies, credential headers, secret-named query parameters and JSON fields.
 * Only plain objects, arrays and errors are walked; any other object (a request, a socket, a buffer)
 * is logged as its class name, so nothing unexamined gets through.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  // Past this depth (or around a cycle) nothing is inspected, so nothing is passed on either.
  if (depth > 8) return '[too deep]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: scrubSecrets(value.message, depth + 1),
      stack: scrubSecrets(value.stack, depth + 1),
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return `[${(value as object).constructor?.name ?? 'object'}]`;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? REDACTED : scrubSecrets(item, depth + 1);
  }
  return out;
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  remoteAddress?: string;
}

/** What a request log line says about the request (idempotent: it may see its own output). */
function serializeRequest(req: RequestLike): Record<string, unknown> {
  return { method: req.method, url: req.url, remoteAddress: req.ip ?? req.remoteAddress };
}

function serializeReply(res: { statusCode?: number }): Record<string, unknown> {
  return { statusCode: res.statusCode };
}

/** fastify logs { req: request } and { res: reply }: summarise them before scrubbing, which skips class instances. */
function summarise(arg: unknown): unknown {
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg) || arg instanceof Error) return arg;
  const record = arg as Record<string, unknown>;
  if (!('req' in record) && !('res' in record)) return arg;
  const out = { ...record };
  if (out.req && typeof out.req === 'object') out.req = serializeRequest(out.req as RequestLike);
  if (out.res && typeof out.res === 'object') out.res = serializeReply(out.res as { statusCode?: number });
  return out;
}

/** The Portal's structured JSON logger. Secrets are redacted from every field and message. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'portal' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubSecrets(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => scrubSecrets(summarise(arg))) as Parameters<typeof method>);
        },
      },
      serializers: {
        req: serializeRequest,
        res: serializeReply,
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}

/** Routes Nest's own logging into the pino logger. */
/** Nest's start-up lines (one per module and per route) are debug: an owner's terminal shows what matters. */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'WebSocketsController',
]);

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write(context && STARTUP_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }
  /** Nest calls error(message, stack?, context?); the Portal's own code also passes ({ err, … }, 'text'). */
  error(message: unknown, trace?: string, context?: string): void {
    const stack = typeof trace === 'string' && /\n\s+at /.test(trace) ? trace : undefined;
    const text = typeof trace === 'string' && !stack ? trace : undefined;
    if (message instanceof Error) {
      this.logger.error({ context, err: message }, text ?? message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger.error({ context, ...(stack ? { trace: stack } : {}), ...message }, text ?? 'error');
    } else {
      this.logger.error({ context, ...(stack ? { trace: stack } : {}) }, text ? `${String(message)}: ${text}` : String(message));
    }
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string): void {
    if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context }, String(message));
  }
}
