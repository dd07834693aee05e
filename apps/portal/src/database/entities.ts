import { ConsoleSession } from '../auth/entities/console-session.entity';
import { OwnerKey } from '../auth/entities/owner-key.entity';
import { Setting } from '../auth/entities/setting.entity';
import { ContactRequest } from '../contacts/entities/contact-request.entity';
import { Contact } from '../contacts/entities/contact.entity';
import { FileChunk } from '../files/entities/file-chunk.entity';
import { FileTransfer } from '../files/entities/file-transfer.entity';
import { Message } from '../messages/entities/message.entity';
import { OutboxItem } from '../federation/entities/outbox-item.entity';
import { PortalEvent } from '../events/entities/portal-event.entity';
import { AgentWake } from '../governance/entities/agent-wake.entity';
import { InboxItem } from '../governance/entities/inbox-item.entity';
import { IdentityKey } from '../identity/entities/identity-key.entity';
import { SignatureNonce } from '../identity/entities/signature-nonce.entity';
import { GuestbookEntry } from '../guestbook/entities/guestbook-entry.entity';
import { ImportRecord } from '../importer/entities/import-record.entity';
import { OwnerChatMessage } from '../owner-chat/entities/owner-chat-message.entity';
import { Profile } from '../profile/entities/profile.entity';

/** Every entity, listed explicitly (no globs: the same list works compiled and under test). */
export const ENTITIES = [
  OwnerKey,
  ConsoleSession,
  Setting,
  Profile,
  Contact,
  ContactRequest,
  PortalEvent,
  OutboxItem,
  Message,
  GuestbookEntry,
  OwnerChatMessage,
  FileTransfer,
  FileChunk,
  ImportRecord,
  InboxItem,
  AgentWake,
  IdentityKey,
  SignatureNonce,
];

/** The entities whose tables are written outside their own feature (the v0.9 importer fills them in bulk). */
export { Contact, FileChunk, FileTransfer, GuestbookEntry, Message, OwnerChatMessage };
