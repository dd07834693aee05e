import { HttpException, HttpStatus } from '@nestjs/common';
import type { RateLimiter } from './rate-limiter';

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

/**
 * Counts one call for `key`, or refuses it with the 429 (message(wait)) when `key` is over its
 * limit. The check and the count happen together, so parallel calls cannot slip past the limit.
 */
export function countOrRefuse(limiter: RateLimiter, key: string, message: (retryAfterSeconds: number) => string): void {
  const wait = limiter.retryAfter(key);
  if (wait > 0) throw tooManyRequests(message(wait), wait);
  limiter.hit(key);
}
