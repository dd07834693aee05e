export { createPortalClient } from './client';
export { PortalEventStream, PortalEventStreamRefusedError, type PortalEventStreamOptions } from './event-stream';
export type {
  EventAck,
  EventList,
  EventListOptions,
  EventPayloads,
  EventType,
  GuestbookEntry,
  GuestbookEntryCreate,
  GuestbookEntryCreated,
  GuestbookEntryUpdate,
  GuestbookList,
  GuestbookListOptions,
  Health,
  OwnerKey,
  OwnerKeyCreated,
  PortalClient,
  PortalClientOptions,
  PortalEvent,
  Profile,
  ProfileUpdate,
  Session,
  Version,
  WellKnown,
} from './client';
export { PortalApiError, type PortalErrorBody } from './errors';
export type { components, operations, paths } from './generated/schema';
