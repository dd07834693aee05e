export { backoffDelayMs, withRetries, type BackoffOptions, type RetryOptions } from './backoff';
