/** guestbook: what visitors left in the guestbook. */
import type { Command } from 'commander';
import { FRAMED_NOTE, framed, time, toJson } from '../../text';
import { integer, JSON_UNTRUSTED } from '../arguments';
import { command, group, run } from '../program';

export function registerGuestbook(program: Command): void {
  const guestbookGroup = group(program, 'guestbook', "Entries visitors left in this Portal's guestbook.", 'list');

  command(
    guestbookGroup,
    'list',
    '[--unread] [--after ID] [--limit N]',
    'Entries visitors left in the guestbook (oldest first)',
    [
      'Names and messages were typed by anonymous visitors: untrusted text, shown inside',
      '<<<untrusted … >>> on one line (newlines as \\n, controls escaped).',
      JSON_UNTRUSTED,
    ].join('\n'),
  )
    .option('--unread', 'only entries not marked read')
    .option('--after <ID>', 'entries with an id greater than this (the "more" hint gives it)')
    .option('--limit <N>', 'at most N entries (1-200, default 50)')
    .action(
      run(async (context) => {
        const after = integer(context.values.after, '--after');
        const limit = integer(context.values.limit, '--limit', 1, 200);
        const list = await context.client().listGuestbookEntries({
          ...(after !== undefined ? { after } : {}),
          ...(limit !== undefined ? { limit } : {}),
          ...(context.values.unread ? { unread: true } : {}),
        });
        if (context.json) return context.out(toJson(list));
        if (list.entries.length === 0) return context.out('No guestbook entries.');
        for (const entry of list.entries) {
          context.out(
            `entry ${entry.id}  ${time(entry.createdAt)}  ${framed(entry.name, 80)}${entry.read ? '' : '  (unread)'}\n    ${framed(entry.message)}`,
          );
        }
        context.out(FRAMED_NOTE);
        if (list.nextAfter !== null && list.nextAfter !== undefined)
          context.out(`More: agent-p2p guestbook list --after ${list.nextAfter}`);
      }),
    );
}
