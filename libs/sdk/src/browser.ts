/**
 * The SDK without the event stream (PortalEventStream needs Node's ws): what the console's browser
 * bundle gets for '@agent-p2p/sdk' (apps/console/build.mjs). index.ts adds the event stream.
 */
export { createPortalClient } from './client';
export type {
  AgentStatus,
  Contact,
  ContactRequest,
  ContactRequestDelivery,
  ContactRequestStatus,
  ContactStatus,
  AutonomyTier,
  ReviewAction,
  ReviewActionResult,
  ReviewItem,
  ReviewPage,
  ReviewQuery,
  EventAck,
  EventList,
  EventListOptions,
  EventPayloads,
  EventType,
  FileChunkReceipt,
  FileDownloadOptions,
  FileList,
  FileListQuery,
  FileTransfer,
  FileUploadCreate,
  GuestbookEntry,
  GuestbookEntryCreate,
  GuestbookEntryCreated,
  GuestbookEntryUpdate,
  GuestbookList,
  GuestbookListOptions,
  Health,
  Message,
  MessagePage,
  MessageQuery,
  OwnerKey,
  OwnerKeyCreated,
  OwnerChatAttachment,
  OwnerChatMessage,
  OwnerChatPage,
  OwnerChatQuery,
  PortalClient,
  PortalClientOptions,
  PortalEvent,
  Profile,
  ProfileUpdate,
  Session,
  Version,
  WellKnown,
} from './client';
export { bytesInChunks, chunkCount, chunkIndexes, type ChunkRanges } from './chunk-ranges';
export { PortalApiError, type PortalErrorBody } from './errors';
export type { components, operations, paths } from './generated/schema';
export { formatBytes, formatDuration } from './format';
