import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs, withRetries } from './backoff';

describe('backoffDelayMs', () => {
  it('doubles from initialMs up to maxMs', () => {
    const waits = [0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, { initialMs: 100, maxMs: 1000, jitter: 'none' }));
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters between half the wait and the whole wait', () => {
    expect(backoffDelayMs(2, { initialMs: 100, maxMs: 1000, random: () => 0 })).toBe(200);
    expect(backoffDelayMs(2, { initialMs: 100, maxMs: 1000, random: () => 0.999999 })).toBe(400);
  });

  it('treats huge, negative and non-finite retry numbers as bounded', () => {
    expect(backoffDelayMs(10_000, { initialMs: 100, maxMs: 5000, jitter: 'none' })).toBe(5000);
    expect(backoffDelayMs(-3, { initialMs: 100, maxMs: 5000, jitter: 'none' })).toBe(100);
    expect(backoffDelayMs(Number.NaN, { initialMs: 100, maxMs: 5000, jitter: 'none' })).toBe(100);
  });
});

describe('withRetries', () => {
  it('retries retryable failures and returns the first success', async () => {
    const seen: number[] = [];
    const result = await withRetries(
      async (tryNumber) => {
        seen.push(tryNumber);
        if (tryNumber < 3) throw new Error('busy');
        return 'ok';
      },
      { attempts: 5, initialMs: 1, maxMs: 2, retryable: () => true },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('throws the last failure after the last attempt, and at once when not retryable', async () => {
    let tries = 0;
    await expect(
      withRetries(
        async () => {
          tries += 1;
          throw new Error(`fail ${tries}`);
        },
        { attempts: 3, initialMs: 1, maxMs: 1, retryable: () => true },
      ),
    ).rejects.toThrow('fail 3');
    tries = 0;
    await expect(
      withRetries(
        async () => {
          tries += 1;
          throw new Error('refused');
        },
        { attempts: 3, initialMs: 1, maxMs: 1, retryable: () => false },
      ),
    ).rejects.toThrow('refused');
    expect(tries).toBe(1);
  });

  it('waits what the server asked for when that is longer, capped by maxMs', async () => {
    const delays: number[] = [];
    let tries = 0;
    await withRetries(
      async () => {
        tries += 1;
        if (tries === 1) throw new Error('429');
        return tries;
      },
      {
        attempts: 2,
        initialMs: 1,
        maxMs: 30,
        jitter: 'none',
        retryable: () => true,
        retryAfterMs: () => 1000,
        onRetry: (_e, _n, d) => delays.push(d),
      },
    );
    expect(delays).toEqual([30]);
  });
});
