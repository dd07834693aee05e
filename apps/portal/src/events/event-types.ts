/** Every event type the Portal emits. Payload schemas live in dto/event-payloads.dto.ts. */
export const EVENT_TYPES = [
  'message.received',
  'message.delivered',
  'message.failed',
  'message.receipt',
  'message.unconfirmed',
  'contact.request_received',
  'contact.request_delivered',
  'contact.request_failed',
  'contact.accepted',
  'contact.rejected',
  'contact.removed',
  'guestbook.message',
  'owner_chat.message',
  'file.received',
  'file.delivered',
  'file.failed',
  'agent.wake',
  'message.held',
  'file.parked',
  'file.resumed',
  'contact.identity_rotated',
  'contact.identity_changed',
  'contact.identity_refused',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
