/** Where a contact stands, in words: for our own requests, whether it was delivered and, if not, why. */
import type { Contact } from '@agent-p2p/sdk';
import { framed } from '../text';

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
