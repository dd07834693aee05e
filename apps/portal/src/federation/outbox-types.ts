import type { EntityManager } from 'typeorm';
import type { OutboxItem } from './entities/outbox-item.entity';
import type { ParkReason } from './outbox-retry-policy';
import type { PeerRequest, PeerResponse } from './peer-client';

/** What a feature tells the outbox about one kind of item. */
export interface OutboxHandler {
  /** The call to make for this item; null cancels the item (e.g. the contact is gone). */
  buildRequest(item: OutboxItem): Promise<PeerRequest | null>;
  /** The peer accepted (2xx). Runs in the transaction that marks the item delivered. */
  onDelivered(manager: EntityManager, item: OutboxItem, response: PeerResponse): Promise<void>;
  /**
   * Several items of one batch call were accepted: what onDelivered does for each, done for all at
   * once (fewer statements while the writer is held). Optional; onDelivered is called per item without it.
   */
  onDeliveredMany?(manager: EntityManager, items: OutboxItem[]): Promise<void>;
  /** The item will never be delivered. Runs in the transaction that marks it failed. */
  onFailed(manager: EntityManager, item: OutboxItem, reason: string, cause: OutboxFailure): Promise<void>;
  /** A retryable attempt failed (for progress shown to users). Optional. */
  onAttemptFailed?(manager: EntityManager, item: OutboxItem, reason: string): Promise<void>;
  /**
   * Kinds that implement this can be parked: when the peer answers that it has no room
   * (parkReasonOf: 507, or 413 with the quota code), the item is set aside (status parked) while
   * the peer's later items go on, and tried again at the park cadence (PORTAL_OUTBOX_PARK_RETRY_*)
   * or soon after the peer shows it has room (a delivered item of a parkable kind, or the peer
   * calling us). Called once per parking, in the transaction that parks the item. Kinds without it
   * treat these answers like any other (a 5xx is retried in place).
   */
  onParked?(manager: EntityManager, item: OutboxItem, parking: Parking): Promise<void>;
}

/** Why and until when an item is parked. */
export interface Parking {
  reason: ParkReason;
  /** Its next try (sooner if the peer shows it has room). */
  retryAt: Date;
}

/**
 * Why an item failed for good. refused: the peer answered with a permanent refusal (a 4xx other than
 * 408/425/429, or an answer the batch could not take); unsent: this Portal could not send it (the
 * address is refused, the URL is not allowed, the answer was over the cap); gave-up: retryable
 * failures until the kind's limit; cancelled: the handler no longer has anything to send.
 */
export type OutboxFailure = 'refused' | 'unsent' | 'gave-up' | 'cancelled';

/**
 * Which worker lane delivers a kind. `contacts`: calls to Portals this one chose to talk to (our
 * contacts, and the requests our owner sends). `strangers`: calls that a request from a Portal no one
 * approved makes us do (verifying a contact request, telling it no). The lanes have their own slots,
 * so no number of strangers can delay a delivery to a contact.
 */
export type OutboxLane = 'contacts' | 'strangers';

/** How the outbox treats one kind; the `strangers` lane's defaults come from PORTAL_OUTBOX_STRANGER_*. */
export interface OutboxKindOptions {
  lane?: OutboxLane;
  /** Total timeout of one attempt (the request's own timeoutMs wins). */
  timeoutMs?: number;
  /** Attempts after which the item fails. */
  maxAttempts?: number;
  /** Age after which a still-failing item fails. */
  giveUpMs?: number;
  /** Consecutive items of this kind to one contact go to the peer together (see OutboxBatcher). */
  batch?: OutboxBatcher;
}

/**
 * How a kind is sent many items per call, as Matrix federation sends transactions: the oldest items
 * of one contact, in order, in one request, retried as a unit; the peer de-duplicates and answers
 * each item on its own. Items of other kinds (file steps) end a batch, so order per peer holds.
 */
export interface OutboxBatcher {
  /** Most items in one call. */
  maxItems: number;
  /**
   * The call for a leading run of `items` (all of this kind and contact, oldest first): `count` says
   * how many it carries (at least one). Null: send these one by one.
   */
  build(items: OutboxItem[]): Promise<{ request: PeerRequest; count: number } | null>;
  /** The peer's answer for each carried item, in order (as if each had been sent alone). */
  split(response: PeerResponse, items: OutboxItem[]): PeerResponse[] | null;
}

export interface OutboxEntry {
  kind: string;
  peerUrl: string;
  contactId?: number | null;
  refId?: string | null;
  payload?: unknown;
}

export interface DeliveryState {
  status: OutboxItem['status'];
  attempts: number;
  lastError: string | null;
  /** Pending: its next attempt; parked: its next try. */
  nextAttemptAt: string | null;
  /** Set once the item was parked (the peer had no room), and kept after it resumed. */
  parkedAt: string | null;
  parkedReason: ParkReason | null;
}

/** What one pass over a run of items did: go on with the peer's next item, or wait (it backs off). */
export type AttemptOutcome = 'next' | 'wait';

/** Told how peers answer our signatures (the contacts feature records and reports refusals). */
export interface SignatureAnswerListener {
  refused(peerUrl: string, code: string, reason: string): Promise<void>;
  accepted(peerUrl: string): Promise<void>;
}

/**
 * The item cannot be delivered and never will be (buildRequest found the peer unusable, e.g. it
 * speaks an older protocol): it fails as refused, with this message.
 */
export class DeliveryRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryRefused';
  }
}
