import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { EventType } from '../event-types';

/** Payload of `message.received`: a contact's message arrived. */
export class MessageReceivedPayloadDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty() contactName: string;
  @ApiProperty() content: string;
  @ApiProperty({ format: 'date-time', description: "The sender's time of sending." }) sentAt: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
}

/** Payload of `message.delivered`: the peer Portal accepted one of our messages. */
export class MessageDeliveredPayloadDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'date-time' }) deliveredAt: string;
}

/** Payload of `message.failed`: delivery of one of our messages was given up. */
export class MessageFailedPayloadDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ description: 'Why delivery failed.' }) error: string;
  @ApiProperty({ type: 'integer', description: 'Delivery attempts made.' }) attempts: number;
}

/** Payload of `message.receipt`: the contact's Portal reported a new stage of one of our messages. */
export class MessageReceiptPayloadDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({
    enum: ['held', 'seen', 'answered'],
    description:
      "held: waiting for the contact's owner; seen: the contact's agent was woken with it; answered: the contact's agent replied in the conversation.",
  })
  stage: 'held' | 'seen' | 'answered';
  @ApiProperty({ format: 'date-time', description: "When the contact's Portal recorded the stage (its clock, never later than ours)." })
  at: string;
  @ApiPropertyOptional({
    description: 'True on the first confirmation (seen or answered) of a message that message.unconfirmed reported earlier.',
  })
  late?: boolean;
}

/** Payload of `message.unconfirmed`: a delivered message of ours has not been seen by the contact within PORTAL_RECEIPT_UNCONFIRMED_SECONDS. */
export class MessageUnconfirmedPayloadDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'date-time' }) sentAt: string;
  @ApiProperty({ type: 'integer', description: "Seconds since the contact's Portal stored it." }) waitedSeconds: number;
}

/** Payload of `contact.request_received`: another Portal asks to become a contact. */
export class ContactRequestReceivedPayloadDto {
  @ApiProperty({ type: 'integer', description: 'Local id of the incoming request (POST /api/contact-requests/{id}/approve).' })
  requestId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty() agentName: string;
  @ApiProperty() ownerName: string;
  @ApiProperty() message: string;
  @ApiProperty({ description: 'True when the requesting Portal confirmed that it sent the request.' }) verified: boolean;
}

/** Payload of `contact.accepted`: a Portal we asked accepted; the contact is active. */
export class ContactAcceptedPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty() agentName: string;
}

/** Payload of `contact.request_delivered`: the Portal we asked stored our request; its owner decides. */
export class ContactRequestDeliveredPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty({ type: 'integer', description: 'Delivery attempts it took.' }) attempts: number;
}

/**
 * Payload of `contact.request_failed`: our request did not reach the other owner. undelivered: the
 * Portal could not be reached (written once after a few failed attempts while retries go on, and
 * once when they end); refused: that Portal refused it for good (its policy, a 4xx), with its reason.
 */
export class ContactRequestFailedPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty({ enum: ['undelivered', 'refused'] }) reason: 'undelivered' | 'refused';
  @ApiProperty({ description: "The last delivery error, or the other Portal's reason (untrusted text)." }) error: string;
  @ApiProperty({ type: 'integer', description: 'Delivery attempts so far.' }) attempts: number;
  @ApiProperty({ description: 'True when nothing more is tried: the contact is closed (rejected); a new request may be sent.' })
  final: boolean;
}

/**
 * Payload of `contact.identity_rotated`: the contact's Portal rotated its identity key with a
 * rotation signed by the key pinned here, so the new key is pinned in its place (nothing to do).
 */
export class ContactIdentityRotatedPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty({ description: 'The fingerprint pinned now.' }) fingerprint: string;
  @ApiProperty({ description: 'The fingerprint pinned before.' }) previousFingerprint: string;
}

/**
 * Payload of `contact.identity_changed`: the contact's Portal presents another identity key without
 * a rotation signed by the pinned one. Its calls are refused until the owner compares the new
 * fingerprint with the contact's owner and re-pins it (console, contact page).
 */
export class ContactIdentityChangedPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty({ description: 'The fingerprint pinned here.' }) pinnedFingerprint: string;
  @ApiProperty({ description: 'The fingerprint the Portal presents now.' }) presentedFingerprint: string;
}

/**
 * Payload of `contact.identity_refused`: the contact's Portal refuses this Portal's signed calls
 * (for instance it has another key pinned for us after our key changed without a rotation).
 * Deliveries keep retrying; its owner must re-pin our key. Written once until a call goes through.
 */
export class ContactIdentityRefusedPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty({ description: 'Why, as the other Portal says it (details.code of its 401), e.g. identity_changed.' }) code: string;
  @ApiProperty({ description: "The other Portal's words (untrusted text)." }) reason: string;
  @ApiProperty({ description: "This Portal's fingerprint, for the owners to compare." }) fingerprint: string;
}

/** Payload of `contact.rejected`: the owner of the Portal we asked declined. */
export class ContactRejectedPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
}

/** Payload of `contact.removed`: a contact ended, by us or by the peer. */
export class ContactRemovedPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty({ enum: ['me', 'peer'], description: 'Who removed the contact.' }) by: 'me' | 'peer';
}

/** Payload of `guestbook.message`: a visitor left a message on the public guestbook. */
export class GuestbookMessagePayloadDto {
  @ApiProperty({ type: 'integer', description: 'Id of the guestbook entry.' }) entryId: number;
  @ApiProperty({ description: "The visitor's name, as typed (plain text, never HTML)." }) name: string;
  @ApiProperty({ description: 'The message, as typed (plain text, never HTML).' }) message: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

/** A file attached to an owner-chat message, as it was when attached. */
export class OwnerChatAttachmentDto {
  @ApiProperty({ format: 'uuid', description: 'The file (GET /api/files/{id}/content).' }) fileId: string;
  @ApiProperty({ description: 'Sanitised file name.' }) name: string;
  @ApiProperty({ type: 'integer', description: 'Bytes.' }) size: number;
  @ApiProperty() mime: string;
  @ApiProperty({ description: 'SHA-256 of the content, lowercase hex.' }) sha256: string;
}

/** Payload of `owner_chat.message`: the owner (console) or the agent (owner key) wrote in the owner chat. */
export class OwnerChatMessagePayloadDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ enum: ['owner', 'agent'], description: 'owner: written in the console; agent: written with an owner key.' }) role:
    'owner' | 'agent';
  @ApiProperty({ description: 'Plain text, never HTML. Empty when the message only carries files.' }) content: string;
  @ApiProperty({
    type: [OwnerChatAttachmentDto],
    description: 'Attached files (may be empty): fetch them with GET /api/files/{fileId}/content.',
  })
  attachments: OwnerChatAttachmentDto[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

/** Payload of `file.received`: a contact's file arrived complete and its SHA-256 matched. */
export class FileReceivedPayloadDto {
  @ApiProperty({ format: 'uuid', description: 'Local id of the file (GET /api/files/{id}/content).' }) fileId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty() contactName: string;
  @ApiProperty({ description: 'Sanitised file name (untrusted text chosen by the peer).' }) name: string;
  @ApiProperty({ type: 'integer', description: 'Bytes.' }) size: number;
  @ApiProperty() mime: string;
  @ApiProperty({ description: 'SHA-256 of the content (lowercase hex), verified.' }) sha256: string;
}

/** Payload of `file.delivered`: the contact's Portal holds our whole file and verified it. */
export class FileDeliveredPayloadDto {
  @ApiProperty({ format: 'uuid' }) fileId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ format: 'date-time' }) deliveredAt: string;
}

/** Payload of `file.failed`: a transfer was given up (sent or received). */
export class FileFailedPayloadDto {
  @ApiProperty({ format: 'uuid' }) fileId: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The contact; null for a local file.' }) contactId: number | null;
  @ApiProperty({
    enum: ['out', 'in', 'local'],
    description: 'out: a file we sent; in: a file we were receiving; local: a file being uploaded for the owner chat.',
  })
  direction: 'out' | 'in' | 'local';
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Why the transfer failed.' }) error: string;
}

/** One message in a wake, as far as the wake shows it. */
export class WakeMessageDto {
  @ApiProperty({ format: 'uuid', description: 'Local id of the message (GET /api/messages/{id} has all of it).' }) messageId: string;
  @ApiProperty({ description: 'The content (untrusted text chosen by the peer), cut to 4000 characters.' }) content: string;
  @ApiProperty({ description: 'True when content is cut: read the message for the rest.' }) cut: boolean;
  @ApiProperty({ format: 'date-time', description: "The sender's time of sending." }) sentAt: string;
}

/** One received file in a wake (complete, its SHA-256 verified). */
export class WakeFileDto {
  @ApiProperty({ format: 'uuid', description: 'Local id of the file (GET /api/files/{id}/content).' }) fileId: string;
  @ApiProperty({ description: 'Sanitised file name (untrusted text chosen by the peer).' }) name: string;
  @ApiProperty({ type: 'integer', description: 'Bytes.' }) size: number;
  @ApiProperty() mime: string;
  @ApiProperty({ description: 'SHA-256 of the content (lowercase hex), verified.' }) sha256: string;
}

/**
 * Payload of `agent.wake`: the agent is to be woken for a contact's messages and received files.
 * Governance emits it after coalescing, quiet hours, the contact's tier and budget (or when the
 * owner releases held ones); agent integrations wake on this event, never on `message.received` or
 * `file.received`.
 */
export class AgentWakePayloadDto {
  @ApiProperty({ type: 'integer' }) wakeId: number;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty() contactName: string;
  @ApiProperty({
    enum: ['reply', 'inform'],
    description: 'reply: the agent may answer; inform: notify-only contact, the agent only tells its owner and does not reply.',
  })
  mode: 'reply' | 'inform';
  @ApiProperty({ enum: ['new', 'released'], description: 'new: messages as they came; released: held messages the owner released.' })
  reason: 'new' | 'released';
  @ApiProperty({ type: [WakeMessageDto], description: 'The messages, oldest first (may be empty when the wake is for files).' })
  messages: WakeMessageDto[];
  @ApiProperty({ type: [WakeFileDto], description: 'Files received (complete and verified), oldest first (may be empty).' })
  files: WakeFileDto[];
}

/** Payload of `message.held`: a contact's messages (and files) wait in the review queue for the owner (no wake). */
export class MessageHeldPayloadDto {
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty() contactName: string;
  @ApiProperty({ enum: ['budget'], description: "budget: the contact's woken turns for the window are used up." }) reason: 'budget';
  @ApiProperty({ type: [String], description: 'Local ids of the held messages.' }) messageIds: string[];
  @ApiProperty({ type: [String], description: 'Local ids of the held files.' }) fileIds: string[];
  @ApiProperty({ type: 'integer', description: 'Turns allowed per window for this contact.' }) budget: number;
  @ApiProperty({ type: 'integer', description: 'The window, in seconds.' }) windowSeconds: number;
}

/**
 * Payload of `file.parked`: the contact's Portal has no room for a file we send (507: over the
 * quota it gives us, or out of disk space). The transfer waits, messages to the contact go on, and
 * it is tried again at retryAt (sooner when the contact calls); file.resumed when it moves again.
 */
export class FileParkedPayloadDto {
  @ApiProperty({ format: 'uuid' }) fileId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ description: 'Sanitised file name (untrusted text: chosen by the agent, or by a contact for a forwarded file).' })
  name: string;
  @ApiProperty({ type: 'integer', description: 'Bytes.' }) size: number;
  @ApiProperty({
    enum: ['peer_quota', 'peer_storage'],
    description: "peer_quota: over the quota the contact's Portal gives us; peer_storage: that Portal is out of disk space.",
  })
  reason: 'peer_quota' | 'peer_storage';
  @ApiProperty({ format: 'date-time', description: 'The next try (sooner when the contact calls).' }) retryAt: string;
}

/** Payload of `file.resumed`: the contact's Portal took the next step of a parked file; the transfer goes on. */
export class FileResumedPayloadDto {
  @ApiProperty({ format: 'uuid' }) fileId: string;
  @ApiProperty({ type: 'integer' }) contactId: number;
  @ApiProperty({ description: 'Sanitised file name (untrusted text).' }) name: string;
  @ApiProperty({ format: 'date-time', description: 'When it had been parked.' }) parkedAt: string;
}

/** The payload schema of every event type: one entry per type in event-types.ts (the compiler checks it). */
export const EVENT_PAYLOAD_DTOS = {
  'message.received': MessageReceivedPayloadDto,
  'message.delivered': MessageDeliveredPayloadDto,
  'message.failed': MessageFailedPayloadDto,
  'message.receipt': MessageReceiptPayloadDto,
  'message.unconfirmed': MessageUnconfirmedPayloadDto,
  'contact.request_received': ContactRequestReceivedPayloadDto,
  'contact.accepted': ContactAcceptedPayloadDto,
  'contact.request_delivered': ContactRequestDeliveredPayloadDto,
  'contact.request_failed': ContactRequestFailedPayloadDto,
  'contact.identity_rotated': ContactIdentityRotatedPayloadDto,
  'contact.identity_changed': ContactIdentityChangedPayloadDto,
  'contact.identity_refused': ContactIdentityRefusedPayloadDto,
  'contact.rejected': ContactRejectedPayloadDto,
  'contact.removed': ContactRemovedPayloadDto,
  'guestbook.message': GuestbookMessagePayloadDto,
  'owner_chat.message': OwnerChatMessagePayloadDto,
  'file.received': FileReceivedPayloadDto,
  'file.delivered': FileDeliveredPayloadDto,
  'file.failed': FileFailedPayloadDto,
  'agent.wake': AgentWakePayloadDto,
  'message.held': MessageHeldPayloadDto,
  'file.parked': FileParkedPayloadDto,
  'file.resumed': FileResumedPayloadDto,
} satisfies Record<EventType, new () => object>;

/** The payload of an event of type K, as EVENT_PAYLOAD_DTOS documents it. */
export type EventPayloadOf<K extends EventType> = InstanceType<(typeof EVENT_PAYLOAD_DTOS)[K]>;
