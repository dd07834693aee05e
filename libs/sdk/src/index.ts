export { createPortalClient } from './client';
export type {
  Contact,
  ContactRequest,
  ContactRequestStatus,
  ContactStatus,
  Health,
  Message,
  MessagePage,
  MessageQuery,
  OwnerKey,
  OwnerKeyCreated,
  PortalClient,
  PortalClientOptions,
  Profile,
  ProfileUpdate,
  Session,
  Version,
  WellKnown,
} from './client';
export { PortalApiError, type PortalErrorBody } from './errors';
export type { components, operations, paths } from './generated/schema';
