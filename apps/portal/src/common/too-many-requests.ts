import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * The one 429 answer: the standard error body with details.retryAfterSeconds, which the exception
 * filter also sends as the Retry-After header.
 */
export function tooManyRequests(message: string, retryAfterSeconds: number): HttpException {
  return new HttpException(
    { statusCode: 429, error: 'Too Many Requests', message, details: { retryAfterSeconds } },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
