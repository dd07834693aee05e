/**
 * The one retry schedule of Agent P2P: the Portal's outbox and background loops, the Bridge, the
 * SDK's event stream, the CLI, the console and the OpenClaw channel all wait the same way.
 *
 * Retry n (0-based) waits min(maxMs, initialMs · 2ⁿ): exactly that with `jitter: 'none'`, or a
 * random time between half of it and all of it with `jitter: 'half'` (the default), so many clients
 * that failed together do not come back together.
 */
export interface BackoffOptions {
  /** The wait before the first retry (n = 0), before jitter. */
  initialMs: number;
  /** No wait is longer than this. */
  maxMs: number;
  /** 'half' (default): uniformly between half the wait and the whole wait. 'none': the wait itself. */
  jitter?: 'half' | 'none';
  /** Replaces Math.random (tests). */
  random?: () => number;
}

export function backoffDelayMs(retry: number, options: BackoffOptions): number {
  const n = Math.max(0, Math.min(Number.isFinite(retry) ? Math.floor(retry) : 0, 40));
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** n);
  if (options.jitter === 'none') return ceiling;
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface RetryOptions extends BackoffOptions {
  /** How many tries in all, the first included (at least 1). */
  attempts: number;
  /** Whether this failure is worth another try; the last failure is thrown either way. */
  retryable: (error: unknown) => boolean;
  /** How long the server asked to wait (Retry-After), in ms, or null: used instead of the backoff when longer. */
  retryAfterMs?: (error: unknown) => number | null;
  /** Called before each wait (progress, logs). */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  /** Stops the waiting early: the last failure is thrown at once. */
  signal?: AbortSignal;
}

/** Runs `attempt` until it succeeds, the failure is not retryable, or `attempts` tries are used. */
export async function withRetries<T>(attempt: (tryNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const tries = Math.max(1, Math.floor(options.attempts));
  for (let tryNumber = 1; ; tryNumber += 1) {
    try {
      return await attempt(tryNumber);
    } catch (error) {
      if (tryNumber >= tries || !options.retryable(error) || options.signal?.aborted) throw error;
      const asked = options.retryAfterMs?.(error) ?? null;
      const delay = Math.min(options.maxMs, Math.max(backoffDelayMs(tryNumber - 1, options), asked ?? 0));
      options.onRetry?.(error, tryNumber - 1, delay);
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
