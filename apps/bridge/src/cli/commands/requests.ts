/** requests: contact requests other Portals sent to this one. */
import type { Command } from 'commander';
import { FRAMED_NOTE, framed, time, toJson } from '../../text';
import { contactId, contactLabel, integer, JSON_UNTRUSTED, oneOf } from '../arguments';
import { command, group, run } from '../program';

const REQUEST_STATUSES = ['verifying', 'pending', 'approved', 'rejected', 'invalid'] as const;

export function registerRequests(program: Command): void {
  const requestsGroup = group(program, 'requests', 'Contact requests other Portals sent to this one.', 'list');

  command(
    requestsGroup,
    'list',
    '[--status STATUS] [--after ID] [--limit N]',
    'Contact requests waiting for the owner (default: verifying and pending)',
    [
      'Names, Portal URLs and messages are written by the asking Portal: untrusted text, shown inside',
      '<<<untrusted … >>> on one line (newlines as \\n). Oldest first, one page at a time.',
      JSON_UNTRUSTED,
    ].join('\n'),
  )
    .option('--status <STATUS>', `only this status: ${REQUEST_STATUSES.join(', ')}`)
    .option('--after <ID>', 'requests with an id greater than this (the "more" hint gives it)')
    .option('--limit <N>', 'at most N requests (1-200, default 50)')
    .action(
      run(async (context) => {
        const status = oneOf(context.values.status, REQUEST_STATUSES, '--status');
        const after = integer(context.values.after, '--after');
        const limit = integer(context.values.limit, '--limit', 1, 200);
        const requests = await context.client().listContactRequests(status, {
          ...(after !== undefined ? { after } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        if (context.json) return context.out(toJson(requests));
        if (requests.length === 0) return context.out('No contact requests.');
        for (const request of requests) {
          context.out(
            `request ${request.id}  ${request.status}${request.verified ? '' : ' (not verified yet)'}  ${time(request.createdAt)}\n` +
              `  from:    ${framed(request.agentName, 80)} (owner ${framed(request.ownerName, 60)})\n` +
              `  portal:  ${framed(request.portalUrl)}\n` +
              (request.message ? `  message: ${framed(request.message)}\n` : '') +
              (request.status === 'pending'
                ? `  approve: agent-p2p requests approve ${request.id}   reject: agent-p2p requests reject ${request.id}`
                : ''),
          );
        }
        // A full page may have more behind it.
        if (requests.length === (limit ?? 50)) {
          context.out(
            `More: agent-p2p requests list${status ? ` --status ${status}` : ''} --after ${requests[requests.length - 1].id}${limit !== undefined ? ` --limit ${limit}` : ''}`,
          );
        }
        context.out(FRAMED_NOTE);
      }),
    );

  command(requestsGroup, 'approve', '<request-id>', "Approve a contact request (only on the owner's explicit word)")
    .argument('<request-id>')
    .action(
      run(async (context) => {
        const contact = await context.client().approveContactRequest(contactId(context.positionals[0], 'request id'));
        if (context.json) return context.out(toJson(contact));
        context.out(`Approved: ${contactLabel(contact, contact.id)} ${framed(contact.portalUrl)} is ${contact.status}.`);
      }),
    );

  command(requestsGroup, 'reject', '<request-id>', "Reject a contact request (only on the owner's explicit word)")
    .argument('<request-id>')
    .action(
      run(async (context) => {
        const request = await context.client().rejectContactRequest(contactId(context.positionals[0], 'request id'));
        if (context.json) return context.out(toJson(request));
        context.out(`Rejected request ${request.id} from ${framed(request.portalUrl)}.`);
      }),
    );
}
