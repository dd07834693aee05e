import { createHash } from 'node:crypto';

/** A version-5-shaped UUID fixed by `seed` (the Portal takes client ids as UUIDs and stores each id once). */
function uuidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A UUID fixed by the inbound message and the reply's position in its turn. */
export function replyId(inboundMessageId: string, index: number): string {
  return uuidFrom(`agent-p2p-reply:${inboundMessageId}:${index}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Portal id (message or file) a send answers, when the gateway names one: the message tool's
 * sends inside a contact's turn carry the turn's inbound id as `replyToId`. Anything that is not a
 * Portal id (sends from other sessions, the CLI) gives null: such a send gets a fresh id.
 */
export function inboundIdOf(replyToId: unknown): string | null {
  return typeof replyToId === 'string' && UUID.test(replyToId.trim()) ? replyToId.trim().toLowerCase() : null;
}

/**
 * The id of a file sent in answer to an inbound message: fixed by that message, the contact and the
 * file (content and name), so a turn replayed after a crash uploads under the same id and the Portal
 * hands back the transfer it already has instead of sending the file again.
 */
export function fileSendId(inboundId: string, contactId: number, file: { sha256: string; name: string }): string {
  return uuidFrom(`agent-p2p-file:${inboundId}:${contactId}:${file.sha256.toLowerCase()}:${file.name}`);
}

/** The id of the caption sent with a file (one caption per file id). */
export function captionId(fileId: string): string {
  return uuidFrom(`agent-p2p-caption:${fileId}`);
}

/** The id of a text the message tool sends in answer to an inbound message: fixed by the message, the contact and the text. */
export function textSendId(inboundId: string, contactId: number, text: string): string {
  return uuidFrom(`agent-p2p-text:${inboundId}:${contactId}:${createHash('sha256').update(text).digest('hex')}`);
}

export const PAIRING_PREFIX = 'request-';

export function pairingIdOf(requestId: number): string {
  return `${PAIRING_PREFIX}${requestId}`;
}

/** The Portal request id of an allowlist entry (`request-7`, `agent-p2p:request-7`), or null. */
export function requestIdOfEntry(entry: string): number | null {
  const match = /^(?:agent-p2p:)?request-([1-9]\d{0,9})$/i.exec(entry.trim());
  return match ? Number(match[1]) : null;
}
