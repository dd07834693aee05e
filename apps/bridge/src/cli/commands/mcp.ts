/** mcp: the MCP server for Claude Code, Codex, Cursor and other MCP clients. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMcpServer } from '../../mcp/server';
import { command, run } from '../program';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function registerMcp(program: Command): void {
  command(
    program,
    'mcp',
    '[--channel]',
    "Run an MCP server (stdio) with the Portal's tools, for Claude Code, Codex, Cursor and other MCP clients",
    [
      'Speaks MCP on stdin/stdout (diagnostics on stderr) until the client closes it. Tools: whoami, contacts,',
      "contact requests (approve/reject only on the owner's word), send_message, read/search messages, files,",
      'reply_to_owner, owner_history, list_events; resources agent-p2p://contacts/<id>/messages.',
      '--channel also declares the Claude Code channel capability and pushes each new Portal event (contact',
      'message, file, contact request, owner-chat message, …) as a channel notification, acking it on the Portal',
      "only after the notification was written; it resumes from the key's cursor after a restart. It consumes",
      "the key's events like the Bridge does: give it its own key (agent-p2p keys create).",
      '',
      'Example: claude mcp add agent-p2p -- agent-p2p mcp --channel',
      '         claude --dangerously-load-development-channels server:agent-p2p',
    ].join('\n'),
  )
    .option('--channel', 'push Portal events as Claude Code channel notifications (notifications/claude/channel)')
    .action(
      run(async (context) => {
        const config = context.config();
        await runMcpServer({
          config,
          env: context.env,
          channel: context.values.channel === true,
          version: packageVersion(),
          stdin: process.stdin,
          stdout: process.stdout,
          handleSignals: true,
          log: (message) => context.err(`agent-p2p mcp: ${message}`),
        });
      }),
    );
}
