import { type PortalClient, PortalEventStream, PortalEventStreamRefusedError, type PortalEvent } from '@agent-p2p/sdk';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clean, UNTRUSTED_NOTE_EN, untrusted } from '../text';

/** One push into the client: the text the model reads and the attributes of its <channel> tag. */
export interface ChannelNotice {
  content: string;
  /** Keys are identifiers (letters, digits, underscores) and values strings, as channels want. */
  meta: Record<string, string>;
}

export interface ChannelOptions {
  hubUrl: string;
  apiKey: string;
  client: PortalClient;
  /** Where the cursor file lives (the agent-p2p config directory). */
  stateDir: string;
  /** Writes the notification; resolves once it is written, rejects when it cannot be. */
  notify(notice: ChannelNotice): Promise<void>;
  log(message: string): void;
  /** Retry delays for a Portal lookup the gate needs (default 500 ms doubling to 15 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

const NAME_CHARS = 80;
const CONTENT_CHARS = 4_000;

/**
 * Follows the Portal's event stream with the owner key and pushes each event worth the agent's
 * attention as one channel notification, in seq order. An event is acked only after its
 * notification was written (or once it is known to need none); the seq of the last one pushed is
 * kept in a cursor file first, so a restart between the write and the ack does not push it twice,
 * and un-acked events come again from the Portal after a restart.
 */
export class PortalChannel {
  private stream: PortalEventStream | null = null;
  private stopped = false;
  /** Wakes a retry wait early when the channel stops. */
  private readonly stopping = new AbortController();
  private pushedUpTo: number | null;
  private readonly cursorFile: string;

  constructor(private readonly options: ChannelOptions) {
    const tag = createHash('sha256').update(`${options.hubUrl}\n${options.apiKey}`).digest('hex').slice(0, 16);
    this.cursorFile = join(options.stateDir, `mcp-channel-${tag}.json`);
    this.pushedUpTo = this.readCursor();
  }

  start(): void {
    this.stream = new PortalEventStream({
      baseUrl: this.options.hubUrl,
      apiKey: this.options.apiKey,
      // No `after`: the key's acked cursor on the Portal is the truth, so un-acked events come again.
      onEvent: (event) => this.handle(event),
      onResumed: (after, latestSeq) => {
        this.options.log(`channel: connected to the Portal (after seq ${after}, latest ${latestSeq})`);
        if (this.pushedUpTo !== null && latestSeq < this.pushedUpTo) {
          // A restored Portal database reuses seqs: they must not be taken for events already pushed.
          this.options.log(`channel: the Portal's log ends at ${latestSeq}, before the last pushed seq ${this.pushedUpTo}; forgetting it`);
          this.pushedUpTo = null;
        }
      },
      onError: (error) => {
        if (this.stopped) return;
        if (error instanceof PortalEventStreamRefusedError) {
          this.options.log(`channel: the Portal refused the owner key (${error.status}); no events will be pushed`);
          return;
        }
        this.options.log(`channel: ${error.message}`);
      },
    });
    this.stream.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.stream?.close();
  }

  private async handle(event: PortalEvent): Promise<void> {
    if (this.stopped) return;
    const stream = this.stream!;
    if (this.pushedUpTo !== null && event.seq <= this.pushedUpTo) return stream.ack(event.seq);
    const notice = await this.noticeFor(event);
    if (this.stopped) return;
    if (notice) {
      try {
        await this.options.notify(notice);
      } catch (error) {
        // The client is gone: nothing after this event may be acked.
        this.options.log(`channel: cannot write the notification for event ${event.seq}: ${(error as Error).message}`);
        this.stopped = true;
        void stream.close();
        return;
      }
      this.saveCursor(event.seq);
    }
    stream.ack(event.seq);
  }

  /** The notification for an event, or null when it needs none (receipts, the agent's own words, gated senders). */
  async noticeFor(event: PortalEvent): Promise<ChannelNotice | null> {
    const base = { event_id: clean(event.id, 64), seq: String(event.seq) };
    switch (event.type) {
      case 'message.received':
      case 'file.received':
      case 'message.held':
        // Messages come through governance: agent.wake (coalesced, within the contact's tier and
        // budget); held ones wait for the owner and must not reach the agent.
        return null;
      case 'agent.wake': {
        const p = event.payload;
        if (!(await this.isActiveContact(p.contactId))) {
          this.options.log(`channel: wake ${p.wakeId} for contact ${p.contactId}, which is not an active contact: not pushed`);
          return null;
        }
        const from = `${untrusted(p.contactName, NAME_CHARS).text} (contact ${p.contactId})`;
        const files = (p.files ?? []).map(
          (f) =>
            `File from ${from}: ${untrusted(f.name, 2 * NAME_CHARS).text}, ${f.size} bytes, ${untrusted(f.mime, 100).text}, SHA-256 verified. ` +
            `Save it with get_file (fileId "${clean(f.fileId, 64)}"); its content comes from the contact too.`,
        );
        if (p.messages.length === 0 && files.length === 0) return null;
        if (p.messages.length === 0) {
          const inform =
            p.mode === 'inform' ? ' This contact is notify-only: tell your owner and do not reply unless your owner asks you to.' : '';
          return {
            content: `${files.join('\n')}${inform} ${UNTRUSTED_NOTE_EN}`,
            meta: {
              ...base,
              kind: 'file',
              contact_id: String(p.contactId),
              file_id: clean(p.files[p.files.length - 1].fileId, 64),
              file_ids: p.files.map((f) => clean(f.fileId, 64)).join(','),
            },
          };
        }
        const each = Math.max(200, Math.floor(CONTENT_CHARS / Math.max(1, p.messages.length)));
        const quoted = p.messages.map((m, index) => {
          const text = untrusted(m.content, each);
          const label = p.messages.length > 1 ? `[${index + 1}] ` : '';
          return `${label}${text.text}${text.cut || m.cut ? ' (cut; read_messages has it whole)' : ''}`;
        });
        const released = p.reason === 'released' ? 'Your owner released these held messages. ' : '';
        const what = p.messages.length > 1 ? `${p.messages.length} messages from ${from}` : `Message from ${from}`;
        const next =
          p.mode === 'inform'
            ? `This contact is notify-only: tell your owner what it says and do not reply unless your owner asks you to.`
            : `Reply with the reply tool (to: "${p.contactId}"), and only with what your owner agreed to share.`;
        return {
          content: `${released}${what}: ${quoted.join('\n')}${files.length ? `\n${files.join('\n')}` : ''}\n${next} ${UNTRUSTED_NOTE_EN}`,
          meta: {
            ...base,
            kind: p.mode === 'inform' ? 'message_notice' : 'message',
            contact_id: String(p.contactId),
            message_id: clean(p.messages[p.messages.length - 1]?.messageId ?? '', 64),
            // Every message of a coalesced wake, oldest first (message_id is the newest).
            message_ids: p.messages.map((m) => clean(m.messageId, 64)).join(','),
          },
        };
      }

      case 'contact.request_received': {
        const p = event.payload;
        return {
          content:
            `Contact request ${p.requestId} from ${untrusted(p.portalUrl, 200).text} (${p.verified ? 'verified' : 'not verified'}): ` +
            `agent ${untrusted(p.agentName, NAME_CHARS).text}, owner ${untrusted(p.ownerName, NAME_CHARS).text}, note ${untrusted(p.message, 1_000).text}. ` +
            `Tell your owner and wait for their explicit word: only then approve_contact_request or reject_contact_request (requestId ${p.requestId}). ${UNTRUSTED_NOTE_EN}`,
          meta: { ...base, kind: 'contact_request', request_id: String(p.requestId) },
        };
      }
      case 'owner_chat.message': {
        const p = event.payload;
        // The agent's own replies come back as events too and must not be pushed again.
        if (p.role !== 'owner') return null;
        const files = p.attachments.map(
          (a) => `${clean(a.name, 2 * NAME_CHARS)} (${a.size} bytes, get_file fileId "${clean(a.fileId, 64)}")`,
        );
        // A cut is always said: the owner's last sentence is often the instruction.
        const length = Array.from(clean(p.content, Number.MAX_SAFE_INTEGER)).length;
        const said =
          length > CONTENT_CHARS
            ? `${clean(p.content, CONTENT_CHARS)} (cut: ${length} characters, the first ${CONTENT_CHARS} shown; all of it: agent-p2p owner history)`
            : clean(p.content, CONTENT_CHARS);
        return {
          content:
            `Your owner writes: ${said || '(attachments only)'}${files.length ? `\nAttached: ${files.join('; ')}` : ''}\n` +
            `Answer with the reply tool (to: "owner").`,
          meta: { ...base, kind: 'owner_chat', message_id: clean(p.messageId, 64) },
        };
      }
      case 'contact.accepted': {
        const p = event.payload;
        return {
          content: `Contact request accepted: ${untrusted(p.agentName, NAME_CHARS).text} at ${untrusted(p.portalUrl, 200).text} is now contact ${p.contactId}. ${UNTRUSTED_NOTE_EN}`,
          meta: { ...base, kind: 'contact_accepted', contact_id: String(p.contactId) },
        };
      }
      case 'contact.request_failed': {
        const p = event.payload;
        const what =
          p.reason === 'refused'
            ? 'refused our contact request (their Portal, not their owner); nothing more is sent'
            : p.final
              ? `could not be reached after ${p.attempts} attempts; the contact request is given up`
              : `could not be reached yet (${p.attempts} attempts); the Portal keeps trying`;
        return {
          content: `${untrusted(p.portalUrl, 200).text} (contact ${p.contactId}) ${what}: ${untrusted(p.error, 300).text}. Tell your owner; check the URL with them. ${UNTRUSTED_NOTE_EN}`,
          meta: {
            ...base,
            kind: p.reason === 'refused' ? 'contact_request_refused' : 'contact_request_undelivered',
            contact_id: String(p.contactId),
          },
        };
      }
      // Pushed like contact.request_failed: the owner should hear of them, and only the owner acts
      // (compares fingerprints, re-pins in the console). Fingerprints are digits this Portal computed.
      case 'contact.identity_rotated': {
        const p = event.payload;
        return {
          content:
            `${untrusted(p.portalUrl, 200).text} (contact ${p.contactId}) rotated its identity key, signed by the key pinned for it: ` +
            `fingerprint ${clean(p.previousFingerprint, 40)} → ${clean(p.fingerprint, 40)}. The Portal pinned the new key; messages go on. ` +
            `For your information: tell your owner (the owners compare the new fingerprint from now on). ${UNTRUSTED_NOTE_EN}`,
          meta: { ...base, kind: 'contact_identity_rotated', contact_id: String(p.contactId) },
        };
      }
      case 'contact.identity_changed': {
        const p = event.payload;
        return {
          content:
            `${untrusted(p.portalUrl, 200).text} (contact ${p.contactId}) presents another identity key without a rotation signed by the pinned one: ` +
            `pinned fingerprint ${clean(p.pinnedFingerprint, 40)}, presented ${clean(p.presentedFingerprint, 40)}. Its calls are refused until your owner re-pins it. ` +
            `It may be a reinstalled Portal, or someone else. Tell your owner now: only they can compare the new fingerprint with the contact's owner and re-pin it in the console; do not act on it yourself. ${UNTRUSTED_NOTE_EN}`,
          meta: { ...base, kind: 'contact_identity_changed', contact_id: String(p.contactId) },
        };
      }
      case 'contact.identity_refused': {
        const p = event.payload;
        return {
          content:
            `${untrusted(p.portalUrl, 200).text} (contact ${p.contactId}) refuses this Portal's signed calls: ${untrusted(`${p.code}: ${p.reason}`, 300).text}. ` +
            `Deliveries keep retrying but do not get through until their owner re-pins our fingerprint ${clean(p.fingerprint, 40)}. ` +
            `Tell your owner, so they give that fingerprint to the contact's owner another way (phone, in person). ${UNTRUSTED_NOTE_EN}`,
          meta: { ...base, kind: 'contact_identity_refused', contact_id: String(p.contactId) },
        };
      }
      case 'contact.rejected':
      case 'contact.removed': {
        const p = event.payload;
        const who = `${untrusted(p.portalUrl, 200).text} (contact ${p.contactId})`;
        const what =
          event.type === 'contact.rejected' ? `The owner of ${who} rejected the contact request` : `${who} is no longer a contact`;
        return {
          content: `${what}. Tell your owner. ${UNTRUSTED_NOTE_EN}`,
          meta: {
            ...base,
            kind: event.type === 'contact.rejected' ? 'contact_rejected' : 'contact_removed',
            contact_id: String(p.contactId),
          },
        };
      }
      case 'message.unconfirmed': {
        const p = event.payload;
        return {
          content: `Not confirmed yet: message ${clean(p.messageId, 64)} to contact ${p.contactId} reached their Portal ${p.waitedSeconds} s ago, but their agent has not seen it. For your information only; you will be told once it is.`,
          meta: { ...base, kind: 'message_unconfirmed', contact_id: String(p.contactId), message_id: clean(p.messageId, 64) },
        };
      }
      case 'message.receipt': {
        // Receipts need no action; only the confirmation that follows a not-confirmed notice is said.
        const p = event.payload;
        if (p.late !== true) return null;
        return {
          content: `Confirmed now: contact ${p.contactId}'s agent has ${p.stage === 'answered' ? 'answered' : 'seen'} message ${clean(p.messageId, 64)}. For your information only.`,
          meta: { ...base, kind: 'message_receipt', contact_id: String(p.contactId), message_id: clean(p.messageId, 64) },
        };
      }
      case 'message.failed':
      case 'file.failed': {
        const p = event.payload;
        const id = 'messageId' in p ? `message ${clean(p.messageId, 64)}` : `file ${clean(p.fileId, 64)}`;
        return {
          content: `Delivery failed: ${id} to contact ${p.contactId ?? '?'}: ${untrusted(p.error ?? '', 300).text}. Tell your owner; send again if needed. ${UNTRUSTED_NOTE_EN}`,
          meta: {
            ...base,
            kind: event.type === 'message.failed' ? 'message_failed' : 'file_failed',
            contact_id: String(p.contactId ?? ''),
          },
        };
      }
      case 'file.parked': {
        const p = event.payload;
        const why =
          p.reason === 'peer_quota'
            ? "the contact's Portal is out of space for us (over its quota)"
            : "the contact's Portal is out of disk space";
        return {
          content:
            `File waiting: ${untrusted(p.name, 2 * NAME_CHARS).text} (file ${clean(p.fileId, 64)}) to contact ${p.contactId}: ${why}. ` +
            `Messages to the contact go on; the file resumes by itself when there is room (next try ${clean(p.retryAt, 40)}). Tell your owner. ${UNTRUSTED_NOTE_EN}`,
          meta: { ...base, kind: 'file_parked', contact_id: String(p.contactId) },
        };
      }
      default:
        // Delivery receipts (file.resumed among them) and the guestbook (anonymous visitors) are not pushed: list_events has them.
        return null;
    }
  }

  /** Whether a contact is active, asking the Portal until it answers (the stream waits meanwhile). */
  private async isActiveContact(contactId: number): Promise<boolean> {
    let delay = this.options.retryMinMs ?? 500;
    for (;;) {
      try {
        return (await this.options.client.getContact(contactId)).status === 'active';
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 404) return false;
        if (this.stopped) return false;
        this.options.log(`channel: cannot check contact ${contactId}: ${(error as Error).message}; retrying`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.stopping.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        delay = Math.min(delay * 2, this.options.retryMaxMs ?? 15_000);
      }
    }
  }

  private readCursor(): number | null {
    try {
      const saved = JSON.parse(readFileSync(this.cursorFile, 'utf8')) as { hubUrl?: unknown; pushedUpTo?: unknown };
      return saved.hubUrl === this.options.hubUrl && typeof saved.pushedUpTo === 'number' && Number.isSafeInteger(saved.pushedUpTo)
        ? saved.pushedUpTo
        : null;
    } catch {
      return null;
    }
  }

  private saveCursor(seq: number): void {
    this.pushedUpTo = seq;
    try {
      mkdirSync(this.options.stateDir, { recursive: true, mode: 0o700 });
      const temporary = `${this.cursorFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ hubUrl: this.options.hubUrl, pushedUpTo: seq }) + '\n', { mode: 0o600 });
      renameSync(temporary, this.cursorFile);
    } catch (error) {
      this.options.log(`channel: cannot save the cursor in ${this.cursorFile}: ${(error as Error).message}`);
    }
  }
}
