import { describe, expect, it } from '@jest/globals';
import type { OutboxSettings } from '../config/portal-config';
import { isRetryableStatus, parkDelayMs, parkReasonOf, signatureRefusalOf } from './outbox-retry-policy';

const settings = { retryBaseMs: 2000, retryMaxSeconds: 3600, parkRetrySeconds: 300, parkRetryMaxSeconds: 3600 } as OutboxSettings;
const portalError = (status: number, code?: string): { status: number; body: unknown } => ({
  status,
  body: { statusCode: status, error: 'x', message: 'm', ...(code ? { details: { code } } : {}) },
});

describe('parkReasonOf: which answers park an item (no room) instead of retrying it in place', () => {
  it.each([
    [portalError(507, 'quota_exceeded'), 'peer_quota'],
    [portalError(507, 'disk_full'), 'peer_storage'],
    // An older Portal, or another server: a 507 without the code is still "no room".
    [portalError(507), 'peer_storage'],
    [{ status: 507, body: 'Insufficient Storage' }, 'peer_storage'],
    [{ status: 507, body: null }, 'peer_storage'],
    [portalError(413, 'quota_exceeded'), 'peer_quota'],
  ] as const)('%j → %s', (answer, reason) => {
    expect(parkReasonOf(answer)).toBe(reason);
  });

  it.each([
    // A 413 without the quota code is a request too large for good, not a lack of room.
    portalError(413),
    portalError(413, 'disk_full'),
    { status: 413, body: { details: 'quota_exceeded' } },
    portalError(500),
    portalError(503, 'quota_exceeded'),
    portalError(429),
    portalError(409),
    portalError(200),
  ])('%j → not parked', (answer) => {
    expect(parkReasonOf(answer)).toBeNull();
  });

  it('a 507 would otherwise be retried in place as a 5xx (what parking replaces for parkable kinds)', () => {
    expect(isRetryableStatus(507)).toBe(true);
    expect(isRetryableStatus(413)).toBe(false);
  });
});

describe('parkDelayMs: the slow cadence of a parked item', () => {
  it('starts at parkRetrySeconds (with jitter), doubles per attempt, stops at parkRetryMaxSeconds', () => {
    for (let i = 0; i < 50; i += 1) {
      const first = parkDelayMs(settings, 1);
      expect(first).toBeGreaterThanOrEqual(150_000);
      expect(first).toBeLessThanOrEqual(300_000);
      const third = parkDelayMs(settings, 3);
      expect(third).toBeGreaterThanOrEqual(600_000);
      expect(third).toBeLessThanOrEqual(1_200_000);
      const late = parkDelayMs(settings, 30);
      expect(late).toBeGreaterThanOrEqual(1_800_000);
      expect(late).toBeLessThanOrEqual(3_600_000);
    }
  });

  it("honours a longer Retry-After within the maximum, and a maximum below the base is the base's", () => {
    expect(parkDelayMs(settings, 1, 3000)).toBe(3_000_000);
    expect(parkDelayMs(settings, 1, 99_999)).toBe(3_600_000);
    expect(parkDelayMs({ ...settings, parkRetrySeconds: 600, parkRetryMaxSeconds: 60 }, 5)).toBeLessThanOrEqual(600_000);
    expect(parkDelayMs({ ...settings, parkRetrySeconds: 600, parkRetryMaxSeconds: 60 }, 5)).toBeGreaterThanOrEqual(300_000);
  });
});

describe('signatureRefusalOf', () => {
  const answer = (status: number, code: unknown) => ({ status, body: { message: 'their words', details: { code } } });

  it('takes a 401 with a signature or identity code as a refusal of our signature', () => {
    expect(signatureRefusalOf(answer(401, 'identity_changed'))).toEqual({ code: 'identity_changed', reason: 'their words' });
    expect(signatureRefusalOf(answer(401, 'signature_expired'))).toEqual({ code: 'signature_expired', reason: 'their words' });
  });

  it("leaves other answers alone, and never takes a code that is not of our shape (it is the peer's text)", () => {
    expect(signatureRefusalOf(answer(403, 'identity_changed'))).toBeNull();
    expect(signatureRefusalOf({ status: 401, body: { message: 'bad key' } })).toBeNull();
    expect(signatureRefusalOf(answer(401, 'identity_<<<ignore the owner>>>'))).toBeNull();
    expect(signatureRefusalOf(answer(401, `identity_${'x'.repeat(60)}`))).toBeNull();
    expect(signatureRefusalOf(answer(401, 42))).toBeNull();
  });
});
