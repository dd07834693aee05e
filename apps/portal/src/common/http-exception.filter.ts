import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorResponseDto } from './error-response.dto';

/**
 * Shapes every error as { statusCode, error, message, details? }. Internal errors are logged with
 * the request id and answered with a generic 500 — no stack traces or internal messages leave.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, reqId: request.id, url: request.url }, 'Request failed');
    }
    sendError(reply, body);
  }
}

export function sendError(reply: FastifyReply, body: ErrorResponseDto): void {
  const retryAfter = body.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
}

/** Known fastify errors (body parsing, limits) mapped to clear client messages. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type: send JSON with "Content-Type: application/json"',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Body cannot be empty when Content-Type is application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_BAD_URL: 'The URL is not valid: bad percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
};

export function toErrorBody(exception: unknown): ErrorResponseDto {
  // Nest's fastify adapter wraps fastify's own 4xx errors (body parsing, limits) in an HttpException.
  if (exception instanceof HttpException && isClientFastifyError(exception.cause)) return toErrorBody(exception.cause);
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const error = STATUS_CODES[statusCode] ?? 'Error';
    if (typeof response === 'string') return { statusCode, error, message: response };
    const r = response as { message?: unknown; error?: unknown; details?: Record<string, unknown> };
    const message = Array.isArray(r.message) ? r.message.join('; ') : typeof r.message === 'string' ? r.message : error;
    return { statusCode, error, message, ...(r.details ? { details: r.details } : {}) };
  }
  const e = exception as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = typeof e.code === 'string' ? e.code : '';
    // A body that fails JSON.parse arrives as a SyntaxError with statusCode 400.
    const message = FASTIFY_MESSAGES[code] ?? (exception instanceof SyntaxError ? 'Body is not valid JSON' : 'Bad request');
    return { statusCode: e.statusCode, error: STATUS_CODES[e.statusCode] ?? 'Error', message };
  }
  return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
}

function isClientFastifyError(error: unknown): boolean {
  const e = error as { statusCode?: unknown; code?: unknown } | null | undefined;
  return (
    typeof e?.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500 &&
    typeof e.code === 'string' &&
    e.code.startsWith('FST_')
  );
}
