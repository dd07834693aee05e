/** contacts: the Portals this agent is in contact with. */
import type { Command } from 'commander';
import { normalizeHubUrl } from '../../config';
import { FRAMED_NOTE, framed, safe, table, time, toJson } from '../../text';
import type { Contact, PortalClient } from '@agent-p2p/sdk';
import { contactId, integer, JSON_UNTRUSTED, oneOf, text } from '../arguments';
import { contactHint, contactState, identityLines, requestColumn } from '../contact-state';
import { command, group, run } from '../program';

const CONTACT_STATUSES = ['pending', 'active', 'rejected', 'removed', 'imported'] as const;
const TIERS = ['blocked', 'notify-only', 'bounded', 'extended'] as const;
const TIER_MEANING: Record<(typeof TIERS)[number], string> = {
  blocked: 'messages are kept, nothing wakes the agent',
  'notify-only': 'the agent is woken only to tell the owner, not to reply',
  bounded: 'the agent is woken to reply, within a budget of turns per window; then messages wait for the owner',
  extended: 'the same with a larger budget',
};

export function registerContacts(program: Command): void {
  const contactsGroup = group(program, 'contacts', 'Portals this agent is in contact with.', 'list');

  command(
    contactsGroup,
    'list',
    '[--status STATUS]',
    'List contacts with their ids',
    `Names and Portal URLs come from the other Portals: untrusted text, shown inside <<<untrusted … >>>.\n${JSON_UNTRUSTED}`,
  )
    .option('--status <STATUS>', `only this status: ${CONTACT_STATUSES.join(', ')}`)
    .action(
      run(async (context) => {
        const contacts = await context.client().listContacts(oneOf(context.values.status, CONTACT_STATUSES, '--status'));
        if (context.json) return context.out(toJson(contacts));
        if (contacts.length === 0) return context.out('No contacts.');
        context.out(
          table(
            ['ID', 'STATUS', 'REQUEST', 'AGENT', 'OWNER', 'PORTAL'],
            contacts.map((c) => [
              String(c.id),
              c.status,
              requestColumn(c),
              framed(c.agentName, 40),
              framed(c.ownerName, 30),
              framed(c.portalUrl),
            ]),
          ),
        );
        // Requests that did not get through say why, in a line of their own.
        for (const c of contacts) {
          if (c.request?.state === 'undelivered' || c.request?.state === 'refused') context.out(`Contact ${c.id} is ${contactState(c)}`);
        }
        context.out(FRAMED_NOTE);
        if (contacts.some((c) => c.status === 'imported')) {
          context.out(
            'imported: from v0.9, history only (its key is not trusted); `agent-p2p contacts add <PORTAL>` starts a new handshake.',
          );
        }
      }),
    );

  command(
    contactsGroup,
    'add',
    '<portal-url> [--message TEXT] [--wait SECONDS]',
    'Ask another Portal to become a contact (their owner approves); only when the owner asks',
    [
      'The contact stays "pending" until the other owner approves; then messages can be sent to it.',
      'The Portal sends the request in the background: with --wait it waits up to SECONDS (1-120) until',
      'their Portal stored it (delivered) or refused it, or an attempt failed (undelivered), and prints that.',
    ].join('\n'),
  )
    .argument('<portal-url>')
    .option('--message <TEXT>', "a note for the other Portal's owner")
    .option('--wait <SECONDS>', 'wait until the request is delivered, refused or undelivered (1-120)')
    .action(
      run(async (context) => {
        const url = normalizeHubUrl(context.positionals[0]);
        const wait = integer(context.values.wait, '--wait', 1, 120);
        const client = context.client();
        let contact = await client.createContact(url, text(context.values.message));
        if (wait !== undefined) contact = await settled(client, contact, wait * 1000);
        if (context.json) return context.out(toJson(contact));
        describe(context.out, contact);
      }),
    );

  command(
    contactsGroup,
    'show',
    '<contact-id>',
    'One contact: its state, for our request whether it was delivered, and its identity key',
    [
      "Names, Portal URLs and their Portal's reasons are untrusted text, shown inside <<<untrusted … >>>.",
      JSON_UNTRUSTED,
      'Identity: the fingerprint of the key pinned for the contact and whether the owners compared it.',
      'changed: their Portal presents another key without a signed rotation; its calls are refused until',
      'the owner re-pins it in the console. Their Portal may also refuse ours (it pinned another key for',
      'us): then their owner re-pins our fingerprint (agent-p2p me).',
    ].join('\n'),
  )
    .argument('<contact-id>')
    .action(
      run(async (context) => {
        const client = context.client();
        const contact = await client.getContact(contactId(context.positionals[0]));
        if (context.json) return context.out(toJson(contact));
        // Their owner re-pins our fingerprint: say which one.
        const ours = contact.identity.refusedByPeer ? (await client.getMe()).identity.fingerprint : undefined;
        describe(context.out, contact);
        if (contact.agentName || contact.ownerName) {
          context.out(`Agent ${framed(contact.agentName, 80)}, owner ${framed(contact.ownerName, 80)}.`);
        }
        // A closed contact's key no longer matters.
        if (contact.status === 'active' || contact.status === 'pending') for (const line of identityLines(contact, ours)) context.out(line);
        context.out(FRAMED_NOTE);
      }),
    );

  command(
    contactsGroup,
    'compared',
    '<contact-id> [--clear]',
    "Whether the contact's fingerprint was compared with their owner; --clear removes the mark",
    [
      'Compared means the two owners read the fingerprints to each other and they matched. Marking it',
      'is for the owner, in the console (an owner key is refused); an owner key may clear the mark, e.g.',
      'when the owner asks to compare again.',
    ].join('\n'),
  )
    .argument('<contact-id>')
    .option('--clear', 'remove the compared mark')
    .action(
      run(async (context) => {
        const id = contactId(context.positionals[0]);
        const contact =
          context.values.clear === true ? await context.client().setContactCompared(id, false) : await context.client().getContact(id);
        if (context.json) return context.out(toJson(contact));
        const identity = contact.identity;
        const who = `Contact ${contact.id} (${framed(contact.agentName || contact.portalUrl, 80)})`;
        if (!identity.fingerprint) return context.out(`${who} has no pinned fingerprint yet.`);
        context.out(
          identity.compared
            ? `${who}: fingerprint ${safe(identity.fingerprint)} compared with their owner${identity.comparedAt ? ` (${time(identity.comparedAt)})` : ''}.`
            : `${who}: fingerprint ${safe(identity.fingerprint)} not compared with their owner${context.values.clear === true ? ' (mark cleared)' : ''}.`,
        );
      }),
    );

  command(contactsGroup, 'remove', '<contact-id>', 'Remove a contact (the other Portal is told); only when the owner asks')
    .argument('<contact-id>')
    .action(
      run(async (context) => {
        const contact = await context.client().removeContact(contactId(context.positionals[0]));
        if (context.json) return context.out(toJson(contact));
        context.out(`Contact ${contact.id} (${framed(contact.agentName || contact.portalUrl, 80)}) removed.`);
      }),
    );

  command(
    contactsGroup,
    'autonomy',
    '<contact-id> [TIER]',
    "Show or set how freely the agent talks to a contact (only on the owner's word)",
    [
      'Tiers, from least to most freedom:',
      ...TIERS.map((tier) => `  ${tier.padEnd(12)} ${TIER_MEANING[tier]}`),
      'An owner key may only lower a tier (towards blocked); raising it is for the owner, in the console.',
    ].join('\n'),
  )
    .argument('<contact-id>')
    .argument('[tier]')
    .action(
      run(async (context) => {
        const id = contactId(context.positionals[0]);
        const tier = oneOf(context.positionals[1], TIERS, 'tier');
        const contact = tier ? await context.client().setContactAutonomy(id, tier) : await context.client().getContact(id);
        if (context.json) return context.out(toJson(contact));
        const meaning = TIER_MEANING[contact.autonomy as (typeof TIERS)[number]] ?? '';
        context.out(`Contact ${contact.id} (${framed(contact.agentName || contact.portalUrl, 80)}) is ${contact.autonomy}: ${meaning}.`);
      }),
    );
}

/** "Contact 3 (<url>) is pending: delivered, waiting for their owner." and what to do when it failed. */
function describe(out: (line: string) => void, contact: Contact): void {
  out(`Contact ${contact.id} (${framed(contact.portalUrl)}) is ${contactState(contact)}.`);
  const hint = contactHint(contact);
  if (hint) out(hint);
}

/** Polls the contact until its request left "sending" (or is no longer a pending request), or the time is up. */
async function settled(client: PortalClient, contact: Contact, waitMs: number): Promise<Contact> {
  const deadline = Date.now() + waitMs;
  let current = contact;
  while (current.status === 'pending' && current.request?.state === 'sending' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
    current = await client.getContact(contact.id);
  }
  return current;
}
