import { createHash } from 'node:crypto';

/** A UUID fixed by the inbound message and the reply's position in its turn. */
export function replyId(inboundMessageId: string, index: number): string {
  const hex = createHash('sha256').update(`agent-p2p-reply:${inboundMessageId}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
