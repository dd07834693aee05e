/** review: contacts' messages held for the owner (a used-up budget) or waiting for their wake (quiet hours). */
import { PortalApiError, type ReviewAction } from '@agent-p2p/sdk';
import type { Command } from 'commander';
import { CliError, EXIT, UsageError } from '../../portal';
import { FRAMED_NOTE, framed, time, toJson } from '../../text';
import { contactId, integer, JSON_UNTRUSTED } from '../arguments';
import { type CommandContext, command, group, run } from '../program';

const OWNER_ONLY =
  'only the owner can release or drop held messages, in the console (Review); an owner key may list them (agent-p2p review list)';

export function registerReview(program: Command): void {
  const reviewGroup = group(program, 'review', "Contacts' messages that wait for the owner before they wake the agent.", 'list');

  command(
    reviewGroup,
    'list',
    '[--contact ID] [--after ID] [--limit N]',
    'Messages held for the owner or waiting for their wake',
    [
      'held: the contact used up its budget of woken turns (its autonomy tier); the owner releases or drops them.',
      'waiting: quiet hours (or a burst being gathered); they wake the agent on their own.',
      'Contents are written by the contact: untrusted text, shown inside <<<untrusted … >>>.',
      JSON_UNTRUSTED,
    ].join('\n'),
  )
    .option('--contact <ID>', "only this contact's messages")
    .option('--after <ID>', 'items with an id greater than this (the "more" hint gives it)')
    .option('--limit <N>', 'at most N items (1-200, default 50)')
    .action(
      run(async (context) => {
        const contact = context.values.contact === undefined ? undefined : contactId(context.values.contact as string);
        const after = integer(context.values.after, '--after');
        const limit = integer(context.values.limit, '--limit', 1, 200);
        const page = await context.client().listReview({
          ...(contact !== undefined ? { contactId: contact } : {}),
          ...(after !== undefined ? { after } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        if (context.json) return context.out(toJson(page));
        const quiet = page.quietHours;
        if (quiet.active) context.out(`Quiet hours (${quiet.span} ${quiet.timeZone}) until ${time(quiet.endsAt)}: wakes wait.`);
        if (page.items.length === 0) return context.out('Nothing waits for review.');
        for (const item of page.items) {
          const why =
            item.reason === 'budget'
              ? 'held: budget used up'
              : item.reason === 'quiet_hours'
                ? 'waiting: quiet hours'
                : 'waiting: about to wake';
          context.out(
            `item ${item.id}  ${why}  from ${framed(item.contactName, 60)} (contact ${item.contactId})  ${time(item.receivedAt)}\n` +
              `  message ${item.messageId}: ${framed(item.content, 300)}${item.cut || Array.from(item.content).length > 300 ? ` (cut; all of it: agent-p2p messages --with ${item.contactId} --id ${item.messageId})` : ''}`,
          );
        }
        if (page.hasMore) context.out(`More: agent-p2p review list --after ${page.items[page.items.length - 1].id}`);
        context.out(FRAMED_NOTE);
        if (page.items.some((item) => item.state === 'held')) {
          context.out('The owner releases them in the console (Review), or with `agent-p2p review release` from a console session.');
        }
      }),
    );

  for (const [name, summary] of [
    ['release', 'Wake the agent with held messages now (owner only)'],
    ['drop', 'Let held messages wake nobody; they stay in the history (owner only)'],
  ] as const) {
    command(reviewGroup, name, '<item-id...> | --contact ID', summary, `Refused for an owner key (agents): ${OWNER_ONLY}.`)
      .argument('[item-id...]')
      .option('--contact <ID>', "all of this contact's held and waiting messages")
      .action(
        run(async (context) => {
          const action = reviewAction(context);
          try {
            const client = context.client();
            const result = name === 'release' ? await client.releaseReview(action) : await client.dropReview(action);
            if (context.json) return context.out(toJson(result));
            context.out(
              name === 'release'
                ? `Released ${result.count} message(s): the agent was woken ${result.wakes} time(s).`
                : `Dropped ${result.count} message(s): they wake nobody (still in the history).`,
            );
          } catch (error) {
            if (error instanceof PortalApiError && error.status === 403) throw new CliError(OWNER_ONLY, EXIT.refused);
            throw error;
          }
        }),
      );
  }
}

function reviewAction(context: CommandContext): ReviewAction {
  const ids = context.positionals.map((value) => contactId(value, 'item id'));
  const contact = context.values.contact === undefined ? undefined : contactId(context.values.contact as string);
  if ((ids.length === 0) === (contact === undefined)) throw new UsageError('give item ids (from agent-p2p review list) or --contact ID');
  return contact !== undefined ? { contactId: contact } : { ids };
}
