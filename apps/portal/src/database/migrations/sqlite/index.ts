import type { MigrationInterface } from 'typeorm';
import { Foundation1795597729175 } from './1795597729175-foundation';
import { EventLog1795597946799 } from './1795597946799-event-log';
import { ContactsHandshakeOutbox1795598305714 } from './1795598305714-contacts-handshake-outbox';
import { Guestbook1795598323694 } from './1795598323694-guestbook';
import { Messages1795598421688 } from './1795598421688-messages';
import { OwnerChat1795600147549 } from './1795600147549-owner-chat';
import { Files1795600231128 } from './1795600231128-files';
import { OwnerChatAttachments1795607896657 } from './1795607896657-owner-chat-attachments';
import { ImportRecords1796180822159 } from './1796180822159-import-records';
import { OutboxLeaseOwner1796182263767 } from './1796182263767-outbox-lease-owner';
import { ContactRequestDelivery1796190000000 } from './1796190000000-contact-request-delivery';
import { Governance1796214986421 } from './1796214986421-governance';
import { OutboxParking1796190100000 } from './1796190100000-outbox-parking';
import { MessageReceipts1796190200000 } from './1796190200000-message-receipts';
import { SignedIdentity1796226626043 } from './1796226626043-signed-identity';
import { AckHooksCursor1796322322376 } from './1796322322376-ack-hooks-cursor';

/** Migrations, oldest first. Listed explicitly (no globs); scripts/generate-migration.cjs appends here. */
export const SQLITE_MIGRATIONS: Array<new () => MigrationInterface> = [Foundation1795597729175, EventLog1795597946799, ContactsHandshakeOutbox1795598305714, Guestbook1795598323694, Messages1795598421688, OwnerChat1795600147549, Files1795600231128, OwnerChatAttachments1795607896657, ImportRecords1796180822159, OutboxLeaseOwner1796182263767, ContactRequestDelivery1796190000000, OutboxParking1796190100000, MessageReceipts1796190200000, Governance1796214986421, SignedIdentity1796226626043, AckHooksCursor1796322322376];
