export { backoffDelayMs, withRetries, type BackoffOptions, type RetryOptions } from './backoff';
export { MAX_FILE_NAME_BYTES, sanitizeFileName } from './file-names';
export { type ClientFrame, type ServerFrame, type WireEvent, WS_CLOSE } from './frames';
