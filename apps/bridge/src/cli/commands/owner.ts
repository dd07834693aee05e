/** owner: the chat with the owner (the console's "my agent" page). */
import type { Command } from 'commander';
import { uploadFile } from '../../files';
import { UsageError } from '../../portal';
import { bytes, framed, safe, safeBlock, time, toJson } from '../../text';
import { integer, mimeOption, QUOTING_HELP, textArgument } from '../arguments';
import { command, group, run } from '../program';

export function registerOwner(program: Command): void {
  const ownerGroup = group(program, 'owner', 'The chat with your owner (the console\'s "my agent" page).', 'history');

  command(
    ownerGroup,
    'reply',
    "'<text>' [--file <path>] | --stdin [--file <path>]",
    'Answer your owner in the console chat, optionally with a file',
    [
      'Wakes that start with [主人消息] are your owner writing to you; answer with this command.',
      'Several words are joined with spaces; give --stdin (or "-" as the text) to read it from stdin.',
      '--file uploads the file to your Portal (chunked, verified; a progress bar on a terminal) and',
      'attaches it: your owner downloads it from the console. It is never sent to a contact. With',
      '--file the text may be left out. Files your owner attaches are fetched with "agent-p2p files get".',
      '',
      QUOTING_HELP,
      '',
      "Example: agent-p2p owner reply 'Done: I replied to Bob.'",
      "Example: agent-p2p owner reply 'The summary you asked for' --file ./summary.pdf",
      `Example: printf '%s\\n' "$REPLY_TEXT" | agent-p2p owner reply --stdin`,
    ].join('\n'),
  )
    .argument('[text...]')
    .option('-f, --file <PATH>', 'attach this file')
    .option('--stdin', 'read the text from stdin (no shell quoting needed)')
    .option('--mime <TYPE>', "the file's media type, e.g. application/pdf (default application/octet-stream)")
    .action(
      run(async (context) => {
        const given = await textArgument(context);
        const content = given ?? '';
        const path = context.values.file;
        if (path !== undefined && (typeof path !== 'string' || path === '')) throw new UsageError('--file needs a path');
        const mime = mimeOption(context.values.mime);
        if (mime !== undefined && path === undefined) throw new UsageError('--mime goes with --file');
        if (content.trim() === '' && path === undefined) {
          throw new UsageError(
            given !== null ? 'the reply text is empty' : "missing argument: agent-p2p owner reply '<text>' [--file <path>] (or --stdin)",
          );
        }
        const client = context.client();
        const file = typeof path === 'string' ? await uploadFile(context, { path, mime }) : undefined;
        let message;
        try {
          message = await client.postOwnerChatMessage(content, file ? [file.id] : undefined);
        } catch (error) {
          if (file) context.err(`The file is on your Portal as ${file.id}; the reply was not posted.`);
          throw error;
        }
        if (context.json) return context.out(toJson(message));
        context.out(
          `Reply ${message.id} posted to your owner${file ? ` with ${safe(file.name)} (${bytes(file.size)}, file ${file.id})` : ''}.`,
        );
      }),
    );

  command(
    ownerGroup,
    'history',
    '[--after CURSOR | --before CURSOR] [--limit N]',
    'Read the chat with your owner (newest page by default, oldest first on the page)',
  )
    .option('--after <CURSOR>', 'messages after this cursor (oldest first)')
    .option('--before <CURSOR>', 'messages before this cursor')
    .option('--limit <N>', 'at most N messages (1-200, default 50)')
    .action(
      run(async (context) => {
        const after = integer(context.values.after, '--after');
        const before = integer(context.values.before, '--before', 1);
        if (after !== undefined && before !== undefined) throw new UsageError('use either --after or --before, not both');
        const limit = integer(context.values.limit, '--limit', 1, 200);
        const page = await context.client().listOwnerChatMessages({
          ...(after !== undefined ? { after } : {}),
          ...(before !== undefined ? { before } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        if (context.json) return context.out(toJson(page));
        if (page.messages.length === 0) return context.out('No messages with your owner yet.');
        for (const message of page.messages) {
          const who = message.role === 'owner' ? 'owner' : 'you (agent)';
          const files = message.attachments.map(
            // A file the agent attaches may be one a contact sent: its name and type are the peer's.
            (a) =>
              `\n  [file] ${framed(a.name, 120)} (${bytes(a.size)}, ${framed(a.mime, 100)}) ${a.available ? `agent-p2p files get ${a.fileId}` : `${a.fileId}, no longer stored`}`,
          );
          context.out(
            `#${message.cursor}  ${time(message.createdAt)}  ${who}${message.content ? `\n${safeBlock(message.content)}` : ''}${files.join('')}`,
          );
        }
        if (page.hasMore) context.out(`More: agent-p2p owner history --before ${page.messages[0].cursor}`);
      }),
    );
}
