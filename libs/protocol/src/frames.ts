/**
 * The frames of the event stream WS /ws (docs/events.md), as JSON text. The Portal sends
 * ServerFrame, clients send ClientFrame. `E` is the event record: the Portal's and the SDK's types
 * of it describe the same JSON (the SDK's comes from openapi.yaml).
 */

/** The shape every event record has on the wire. */
export interface WireEvent {
  seq: number;
  id: string;
  type: string;
  createdAt: string;
  payload: object;
}

/** What the Portal sends on /ws. */
export type ServerFrame<E extends WireEvent = WireEvent> =
  /** One event of the log, in seq order. */
  | { type: 'event'; event: E }
  /** Answer to `resume`: events with seq > `after` follow; `latestSeq` is the newest seq at that moment. */
  | { type: 'resumed'; after: number; latestSeq: number }
  /** Answer to `ack`: the owner key's cursor once stored (null for a console session, which never acks). */
  | { type: 'acked'; seq: number; ackedSeq: number | null }
  | { type: 'pong' }
  /** A frame the Portal could not take; the connection stays open. */
  | { type: 'error'; message: string };

/** What a client sends on /ws. */
export type ClientFrame =
  /** Start reading: after `after`, else (owner key) after the key's acked cursor, else (console) from now. Once per connection. */
  | { type: 'resume'; after?: number }
  /** Owner keys: every event up to `seq` is handled. */
  | { type: 'ack'; seq: number }
  | { type: 'ping' };

/** Close codes on /ws (besides the ones the WebSocket library sends itself, e.g. 1009 for a too-large frame). */
export const WS_CLOSE = {
  /** The client is done. */
  normal: 1000,
  /** The Portal is shutting down: reconnect. */
  goingAway: 1001,
  /** Too many sockets for this credential. */
  policyViolation: 1008,
  /** Delivery failed on the Portal: reconnect. */
  internalError: 1011,
  /** The client read too slowly: reconnect and resume. */
  tryAgainLater: 1013,
  /** No valid credential, or it was revoked or expired: do not reconnect with it. */
  unauthorized: 4401,
  /** The credential may not read events: do not reconnect with it. Clients treat it like 4401. */
  forbidden: 4403,
} as const;
