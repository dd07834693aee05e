export { backoffDelayMs, withRetries, type BackoffOptions, type RetryOptions } from './backoff';
export { type ClientFrame, type ServerFrame, type WireEvent, WS_CLOSE } from './frames';
