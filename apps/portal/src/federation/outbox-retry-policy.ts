import type { PeerResponse } from './peer-client';
import { backoffDelayMs } from '@agent-p2p/protocol';
import type { OutboxSettings } from '../config/portal-config';
import type { OutboxItem } from './entities/outbox-item.entity';
import type { KindOptions } from './outbox-kinds';

/**
 * When a failed delivery is tried again, and when it is given up: the answers worth another try,
 * the back-off between tries (the one schedule of @agent-p2p/protocol), and the limits per kind.
 */

/** Answers that say "not now" rather than "no": the item is tried again later. */
export function isRetryableStatus(status: number): boolean {
  return [408, 425, 429].includes(status) || status >= 500;
}

/** Why a peer has no room for an item now: over the quota it gives us, or out of disk space. */
export type ParkReason = 'peer_quota' | 'peer_storage';

/**
 * Answers that say "no room, for now" (RFC 4918 507, or the quota code): the item is parked (set
 * aside while the peer's later items go on) when its kind can be parked, instead of being retried
 * at the head of the queue. A Portal answers 507 with `details.code` `quota_exceeded` or
 * `disk_full`; a 413 is only "no room" with the quota code (otherwise the item is too large, for good).
 */
export function parkReasonOf(response: { status: number; body: unknown }): ParkReason | null {
  const details = (response.body as { details?: unknown } | null)?.details;
  const code = details && typeof details === 'object' ? (details as { code?: unknown }).code : undefined;
  if (response.status === 507) return code === 'quota_exceeded' ? 'peer_quota' : 'peer_storage';
  if (response.status === 413 && code === 'quota_exceeded') return 'peer_quota';
  return null;
}

/**
 * The wait before a parked item is tried again, after `attempts` attempts so far: from
 * parkRetrySeconds doubling (with jitter) up to parkRetryMaxSeconds, or a longer Retry-After
 * within that maximum.
 */
export function parkDelayMs(settings: OutboxSettings, attempts: number, retryAfterSeconds?: number): number {
  const maxMs = Math.max(settings.parkRetryMaxSeconds, settings.parkRetrySeconds) * 1000;
  const backoff = backoffDelayMs(Math.max(0, attempts - 1), { initialMs: settings.parkRetrySeconds * 1000, maxMs });
  return Math.min(maxMs, Math.max(backoff, (retryAfterSeconds ?? 0) * 1000));
}

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * The wait before the next attempt of an item that has failed `attempts` times so far: from
 * retryBaseMs doubling per attempt, with jitter, up to retryMaxSeconds. A longer Retry-After from the
 * peer is honoured, but never beyond retryMaxSeconds either.
 */
export function retryDelayMs(settings: OutboxSettings, attempts: number, retryAfterSeconds?: number): number {
  const maxMs = settings.retryMaxSeconds * 1000;
  const backoff = backoffDelayMs(attempts, { initialMs: settings.retryBaseMs, maxMs });
  return Math.min(maxMs, Math.max(backoff, (retryAfterSeconds ?? 0) * 1000));
}

/**
 * Whether an item whose attempt number `attempts` just failed is given up: it is older than its
 * kind's giveUpMs (PORTAL_OUTBOX_GIVE_UP_DAYS by default) or has used its kind's maxAttempts.
 */
export function hasGivenUp(settings: OutboxSettings, options: KindOptions | undefined, item: OutboxItem, attempts: number): boolean {
  const giveUpMs = options?.giveUpMs ?? settings.giveUpDays * 86_400_000;
  return Date.now() >= item.createdAt.getTime() + giveUpMs || attempts >= (options?.maxAttempts ?? Infinity);
}

/** The peer's reason in a few words: its error message, or the start of a text body. */
export function describeBody(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return String((body as { message: string }).message).slice(0, 300);
  }
  return typeof body === 'string' ? body.slice(0, 300) : '';
}

/** The reason recorded for a failed answer. */
export function describeAnswer(response: { status: number; body: unknown }): string {
  return `${response.status} ${describeBody(response.body)}`;
}

/**
 * A peer's 401 that refuses our signature rather than our key (its details.code names why: our
 * identity key is not the one it pinned, a clock out of the skew allowance...). Such an answer is
 * retried like a 5xx (the peer's owner may re-pin, the clock may be fixed) and reported once; a 401
 * without such a code (a wrong contact key) stays a refusal.
 */
export function signatureRefusalOf(response: PeerResponse): { code: string; reason: string } | null {
  if (response.status !== 401) return null;
  const body = response.body as { message?: unknown; details?: { code?: unknown } } | null;
  const code = typeof body?.details?.code === 'string' ? body.details.code : '';
  // The code is the peer's text: only our own codes' shape is taken (it reaches events and the console).
  if (!/^(signature|identity|digest|protocol)_[a-z_]{1,40}$/.test(code)) return null;
  return { code, reason: typeof body?.message === 'string' ? body.message.slice(0, 500) : '' };
}
