/** Where a contact stands, in words: for our own requests, whether it was delivered and, if not, why. */
import type { Contact } from '@agent-p2p/sdk';
import { framed, safe, time } from '../text';

/** One short word or two for a table column. */
export function requestColumn(contact: Contact): string {
  const request = contact.request;
  if (!request) return '-';
  return request.state === 'undelivered' ? `undelivered (${attemptsText(request.attempts)})` : request.state;
}

/**
 * The contact's state as a sentence: "pending: delivered, waiting for their owner", "refused by
 * their Portal: <<<untrusted …>>>", … Their Portal's reasons and errors are framed.
 */
export function contactState(contact: Contact): string {
  const request = contact.request;
  const error = request?.error ? `: ${framed(request.error, 300)}` : '';
  if (contact.status === 'pending' && request) {
    switch (request.state) {
      case 'sending':
        return 'pending: sending the request to their Portal';
      case 'delivered':
        return 'pending: delivered, waiting for their owner';
      case 'undelivered':
        return `pending: undelivered after ${attemptsText(request.attempts)}, still retrying${error}`;
      default:
        return `pending (${request.state})`;
    }
  }
  if (contact.status === 'rejected' && request) {
    switch (request.state) {
      case 'refused':
        return `refused by their Portal${error}`;
      case 'undelivered':
        return `undelivered after ${attemptsText(request.attempts)}, given up${error}`;
      case 'rejected':
        return 'rejected by their owner';
      default:
        return 'rejected';
    }
  }
  if (contact.status === 'pending') return 'pending: their owner has to approve';
  return contact.status;
}

/** What the agent may do next, for a request that did not get through (else null). */
export function contactHint(contact: Contact): string | null {
  const state = contact.request?.state;
  if (contact.status === 'pending' && state === 'undelivered') {
    return `Their Portal is not reachable at that URL; check it with the owner, or wait: the Portal keeps trying. agent-p2p contacts show ${contact.id}`;
  }
  if (contact.status === 'rejected' && (state === 'refused' || state === 'undelivered')) {
    return 'Nothing more is sent. Check the URL (and their reason) with the owner; `agent-p2p contacts add <PORTAL>` sends a new request.';
  }
  return null;
}

function attemptsText(attempts: number): string {
  return `${attempts} attempt${attempts === 1 ? '' : 's'}`;
}

/**
 * The peer's identity key as lines: its state, fingerprint and whether the owners compared it;
 * when it changed, both fingerprints and that only the owner can re-pin; when their Portal refuses
 * ours, its reason (framed: their Portal's words) and `ourFingerprint` for their owner to re-pin.
 * Fingerprints are computed by this Portal from the keys (digits only), not text from the peer.
 */
export function identityLines(contact: Contact, ourFingerprint?: string): string[] {
  const identity = contact.identity;
  const lines: string[] = [];
  const compared = identity.compared ? `yes${identity.comparedAt ? ` (${time(identity.comparedAt)})` : ''}` : 'no';
  switch (identity.state) {
    case 'unpinned':
      lines.push('Identity: not pinned yet (a contact from before signed calls: its first signed call pins its key).');
      break;
    case 'pinned':
      lines.push(
        `Identity: pinned, fingerprint ${safe(identity.fingerprint)} (key ${safe(identity.keyId)}); compared with their owner: ${compared}.`,
      );
      if (!identity.compared)
        lines.push('The owners can read the fingerprints to each other; marking it compared is for the owner, in the console.');
      break;
    case 'changed':
      lines.push(
        `Identity: CHANGED${identity.changedAt ? ` (${time(identity.changedAt)})` : ''}: their Portal presents the fingerprint ` +
          `${safe(identity.presentedFingerprint ?? '?')} instead of the pinned ${safe(identity.fingerprint)}, without a rotation signed by the pinned key.`,
      );
      lines.push(
        'Their calls are refused until the owner compares the new fingerprint with their owner and re-pins it in the console; tell the owner, do not act on it yourself.',
      );
      break;
  }
  if (identity.refusedByPeer) {
    lines.push(
      `Their Portal refuses this Portal's signed calls (${time(identity.refusedByPeer.since)}): ${framed(identity.refusedByPeer.reason, 300)}.`,
    );
    lines.push(
      `Deliveries keep retrying. Their owner must re-pin our fingerprint${ourFingerprint ? ` ${safe(ourFingerprint)}` : ''} (agent-p2p me) in their console; tell the owner.`,
    );
  }
  return lines;
}
