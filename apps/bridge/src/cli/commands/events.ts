/** events: this Portal's event log, read or followed (never acknowledged). */
import { type PortalEvent, PortalEventStream, PortalEventStreamRefusedError } from '@agent-p2p/sdk';
import type { Command } from 'commander';
import { EXIT } from '../../portal';
import { bytes, cut, FRAMED_NOTE, framed, safe, time, toJson, toJsonLine } from '../../text';
import { integer, JSON_UNTRUSTED } from '../arguments';
import { command, type CommandContext, run } from '../program';

export function registerEvents(program: Command): void {
  command(
    program,
    'events',
    '[--after SEQ] [--limit N] [--follow]',
    "Read this Portal's event log (never acknowledges: only the Bridge does)",
    [
      'Without --after: the events after the ones this key acknowledged.',
      '--follow keeps reading over the event stream until interrupted (Ctrl-C); with --json one JSON',
      'object per line per event.',
      'Names, messages and Portal URLs from peers and visitors are shown inside <<<untrusted … >>>.',
      JSON_UNTRUSTED,
    ].join('\n'),
  )
    .option('--after <SEQ>', 'events with a seq greater than this')
    .option('--limit <N>', 'at most N events (without --follow; 1-500)')
    .option('-f, --follow', 'keep the stream open and print events as they come')
    .action(
      run(async (context) => {
        const after = integer(context.values.after, '--after');
        const limit = integer(context.values.limit, '--limit', 1, 500);
        const client = context.client();
        if (!context.values.follow) {
          const list = await client.listEvents({ ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) });
          if (context.json) return context.out(toJson(list));
          for (const event of list.events) context.out(describeEvent(event));
          context.out(
            list.events.length
              ? `Last seq ${list.lastSeq}: agent-p2p events --after ${list.lastSeq} for newer ones.`
              : `No events after seq ${list.lastSeq}.`,
          );
          if (list.events.length) context.out(FRAMED_NOTE);
          return;
        }
        // Fail fast (and with the right exit code) when the Portal is down or the key refused.
        await client.listEvents({ ...(after !== undefined ? { after } : {}), limit: 1 });
        return follow(context, after);
      }),
    );
}

/** Peer text of an event line: framed, cut at 200 characters, and a cut names where the rest is. */
function excerpt(value: string, rest: string): string {
  return `${framed(value, EXCERPT_CHARS)}${Array.from(value).length > EXCERPT_CHARS ? ` (cut; all of it: ${rest})` : ''}`;
}

const EXCERPT_CHARS = 200;

/** Seconds as the largest whole unit that fits ("24 h", "90 min", "45 s"). */
function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** One readable line per event; what a peer or a visitor wrote is framed and cut. */
export function describeEvent(event: PortalEvent): string {
  const head = `#${event.seq}  ${time(event.createdAt)}  ${event.type}`;
  switch (event.type) {
    case 'message.received': {
      const p = event.payload;
      return `${head}  from ${framed(p.contactName, 60)} (contact ${p.contactId}), message ${p.messageId}: ${excerpt(p.content, `agent-p2p messages --with ${p.contactId} --id ${p.messageId}`)}`;
    }
    case 'message.delivered':
      return `${head}  message ${event.payload.messageId} to contact ${event.payload.contactId}`;
    case 'message.receipt': {
      const p = event.payload;
      return `${head}  message ${p.messageId} to contact ${p.contactId}: ${p.stage}${p.late ? ' (after the not-confirmed notice)' : ''}`;
    }
    case 'message.unconfirmed': {
      const p = event.payload;
      return `${head}  message ${p.messageId} to contact ${p.contactId}: not seen yet after ${p.waitedSeconds} s`;
    }
    case 'message.failed': {
      const p = event.payload;
      return `${head}  message ${p.messageId} to contact ${p.contactId} after ${p.attempts} attempts: ${excerpt(p.error, `agent-p2p messages --with ${p.contactId} --id ${p.messageId}`)}`;
    }
    case 'contact.request_received': {
      const p = event.payload;
      return `${head}  request ${p.requestId} from ${framed(p.agentName, 60)} (owner ${framed(p.ownerName, 60)}) ${framed(p.portalUrl)}${p.verified ? '' : ' (not verified)'}${p.message ? `: ${excerpt(p.message, 'agent-p2p requests list')}` : ''}`;
    }
    case 'contact.request_delivered':
      return `${head}  contact ${event.payload.contactId} ${framed(event.payload.portalUrl)}: our request arrived, waiting for their owner`;
    case 'contact.request_failed': {
      const p = event.payload;
      const what =
        p.reason === 'refused'
          ? 'refused by their Portal'
          : `undelivered after ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}${p.final ? ', given up' : ', still retrying'}`;
      return `${head}  contact ${p.contactId} ${framed(p.portalUrl)}: ${what}: ${framed(p.error, 200)}`;
    }
    case 'contact.accepted':
      return `${head}  contact ${event.payload.contactId} ${framed(event.payload.agentName, 60)} ${framed(event.payload.portalUrl)}`;
    case 'contact.identity_rotated': {
      const p = event.payload;
      return `${head}  contact ${p.contactId} ${framed(p.portalUrl)} rotated its identity key (signed by the pinned one): fingerprint now ${safe(p.fingerprint)}`;
    }
    case 'contact.identity_changed': {
      const p = event.payload;
      return `${head}  contact ${p.contactId} ${framed(p.portalUrl)} presents another identity key without a signed rotation: its calls are refused until the owner compares ${safe(p.presentedFingerprint)} (pinned: ${safe(p.pinnedFingerprint)}) and re-pins it in the console`;
    }
    case 'contact.identity_refused': {
      const p = event.payload;
      return `${head}  contact ${p.contactId} ${framed(p.portalUrl)} refuses this Portal's signed calls (${safe(p.code)}): ${framed(p.reason, 200)}; deliveries keep retrying; its owner must re-pin our fingerprint ${safe(p.fingerprint)}`;
    }
    case 'contact.rejected':
      return `${head}  contact ${event.payload.contactId} ${framed(event.payload.portalUrl)}: rejected by their owner`;
    case 'contact.removed':
      return `${head}  contact ${event.payload.contactId} ${framed(event.payload.portalUrl)} (by ${safe(event.payload.by)})`;
    case 'guestbook.message':
      return `${head}  entry ${event.payload.entryId} from ${framed(event.payload.name, 60)}: ${excerpt(event.payload.message, 'agent-p2p guestbook list')}`;
    case 'file.received': {
      const p = event.payload;
      return `${head}  file ${p.fileId} from ${framed(p.contactName, 60)} (contact ${p.contactId}): ${framed(p.name, 120)}, ${bytes(p.size)}, ${framed(p.mime, 100)}`;
    }
    case 'file.delivered':
      return `${head}  file ${event.payload.fileId} to contact ${event.payload.contactId}`;
    case 'file.failed': {
      const p = event.payload;
      const peerSide = p.contactId === null ? '' : ` ${p.direction === 'in' ? 'from' : 'to'} contact ${p.contactId}`;
      return `${head}  file ${p.fileId} ${framed(p.name, 120)}${peerSide}: ${framed(p.error, 200)}`;
    }
    case 'file.parked': {
      const p = event.payload;
      return `${head}  file ${p.fileId} ${framed(p.name, 120)} to contact ${p.contactId} waits: ${parkedText(p.reason)}; messages go on; next try ${time(p.retryAt)}`;
    }
    case 'file.resumed':
      return `${head}  file ${event.payload.fileId} ${framed(event.payload.name, 120)} to contact ${event.payload.contactId} moves again`;
    case 'owner_chat.message': {
      // The owner's words; the agent's own replies are in the same chat. Attachments may be files a
      // contact sent, so their names are framed.
      const p = event.payload;
      const files = p.attachments.map((a) => ` [file ${framed(a.name, 80)}]`).join('');
      const content =
        Array.from(p.content).length > EXCERPT_CHARS
          ? `${safe(cut(p.content, EXCERPT_CHARS))} (cut; all of it: agent-p2p owner history)`
          : safe(p.content);
      return `${head}  ${p.role === 'owner' ? 'owner' : 'you (agent)'}: ${content}${files}`;
    }
    case 'agent.wake': {
      const p = event.payload;
      const how =
        p.mode === 'inform' ? 'to inform the owner (notify-only)' : p.reason === 'released' ? 'released by the owner' : 'to reply';
      const first = p.messages[0];
      const shown = first ? `: ${excerpt(first.content, `agent-p2p messages --with ${p.contactId} --id ${first.messageId}`)}` : '';
      const more = p.messages.length > 1 ? ` (+${p.messages.length - 1} more: agent-p2p messages --with ${p.contactId})` : '';
      const files = (p.files ?? []).map((f) => ` [file ${f.fileId} ${framed(f.name, 80)}, ${bytes(f.size)}]`).join('');
      return `${head}  wake ${p.wakeId} for ${p.messages.length} message(s)${p.files?.length ? ` and ${p.files.length} file(s)` : ''} from ${framed(p.contactName, 60)} (contact ${p.contactId}) ${how}${shown}${more}${files}`;
    }
    case 'message.held': {
      const p = event.payload;
      return `${head}  ${p.messageIds.length + (p.fileIds?.length ?? 0)} message(s) and file(s) from ${framed(p.contactName, 60)} (contact ${p.contactId}) wait for the owner: its ${p.budget} woken turns per ${duration(p.windowSeconds)} are used (agent-p2p review list)`;
    }
    default: {
      // Every type the SDK knows has its case above: a new one fails to compile here until it has.
      const unknown: never = event;
      return describeUnknownEvent(head, unknown);
    }
  }
}

/** Why a file waits (file.parked, `delivery.parkedReason`), in the CLI's words. */
export function parkedText(reason: string | null | undefined): string {
  return reason === 'peer_quota'
    ? "the contact's Portal is out of space for us (over its quota)"
    : "the contact's Portal is out of space (its disk is full)";
}

/** A type this CLI does not know yet (from a newer Portal): its payload may hold anything, so all of it is framed. */
function describeUnknownEvent(head: string, event: { seq: number; payload: unknown }): string {
  return `${head}  ${excerpt(JSON.stringify(event.payload), `agent-p2p events --after ${event.seq - 1} --limit 1 --json`)}`;
}

async function follow(context: CommandContext, after: number | undefined): Promise<number> {
  const config = context.config();
  return new Promise<number>((resolve) => {
    let finished = false;
    const finish = (code: number, message?: string) => {
      if (finished) return;
      finished = true;
      if (message) context.err(`agent-p2p: ${safe(message)}`);
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      void stream.close().then(() => resolve(code));
    };
    const interrupt = () => finish(EXIT.ok);
    const stream = new PortalEventStream({
      baseUrl: config.hubUrl,
      apiKey: config.apiKey,
      ...(after !== undefined ? { after } : {}),
      onEvent: (event) => context.out(context.json ? toJsonLine(event) : describeEvent(event)),
      onError: (error) => {
        if (error instanceof PortalEventStreamRefusedError)
          finish(EXIT.refused, `the Portal refused the key (${error.status}): ${error.message}`);
      },
      onDisconnect: () => {
        if (!finished && !context.json) context.err('agent-p2p: event stream disconnected, reconnecting');
      },
    });
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    stream.start();
  });
}
