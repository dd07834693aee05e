import type { EntityManager } from 'typeorm';
import { identityOfPublicKey } from '../common/identity-keys';
import type { ContactIdentityDto, ContactRequestResponseDto, ContactResponseDto } from './dto/contact.dto';
import type { ContactRequest } from './entities/contact-request.entity';
import { Contact } from './entities/contact.entity';

/** Outbox kinds of the handshake. */
export const CONTACT_OUTBOX = {
  request: 'contact.request',
  verify: 'contact.verify',
  accept: 'contact.accept',
  reject: 'contact.reject',
  remove: 'contact.remove',
  /** Tells a contact that our identity key rotated (refId: the new key's id), signed by the old key. */
  rotation: 'contact.identity-rotation',
} as const;

/** Contact requests listed per page unless the caller asks for another limit (at most 200). */
export const CONTACT_REQUEST_PAGE = 50;

/** The oldest contact imported from v0.9 for this Portal URL, if any: a new handshake takes it over, history and all. */
export async function importedContact(manager: EntityManager, portalUrl: string): Promise<Contact | null> {
  return manager.findOne(Contact, { where: { portalUrl, status: 'imported' }, order: { id: 'ASC' } });
}

export function toContactResponse(contact: Contact): ContactResponseDto {
  return {
    id: contact.id,
    portalUrl: contact.portalUrl,
    status: contact.status,
    direction: contact.direction,
    agentName: contact.agentName,
    ownerName: contact.ownerName,
    autonomy: contact.autonomy ?? 'bounded',
    request:
      contact.direction === 'outgoing' && contact.requestState
        ? {
            state: contact.requestState,
            attempts: contact.requestAttempts,
            error: contact.requestState === 'undelivered' || contact.requestState === 'refused' ? contact.requestError : null,
            updatedAt: (contact.requestStateAt ?? contact.updatedAt).toISOString(),
          }
        : null,
    identity: toContactIdentity(contact),
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
  };
}

export function toRequestResponse(request: ContactRequest): ContactRequestResponseDto {
  return {
    id: request.id,
    portalUrl: request.fromPortal,
    agentName: request.agentName,
    ownerName: request.ownerName,
    message: request.message,
    status: request.status,
    verified: request.verified,
    contactId: request.contactId,
    createdAt: request.createdAt.toISOString(),
  };
}

function toContactIdentity(contact: Contact): ContactIdentityDto {
  const fingerprint = (key: string | null): string | null => (key ? identityOfPublicKey(key).fingerprint : null);
  return {
    state: contact.peerKeyState ?? 'unpinned',
    keyId: contact.peerKeyId ?? null,
    fingerprint: fingerprint(contact.peerPublicKey ?? null),
    pinnedAt: contact.peerKeyPinnedAt?.toISOString() ?? null,
    compared: !!contact.peerKeyComparedAt,
    comparedAt: contact.peerKeyComparedAt?.toISOString() ?? null,
    presentedFingerprint: contact.peerKeyState === 'changed' ? fingerprint(contact.presentedPublicKey ?? null) : null,
    changedAt: contact.peerKeyState === 'changed' ? (contact.peerKeyChangedAt?.toISOString() ?? null) : null,
    refusedByPeer: contact.refusedByPeer
      ? { reason: contact.refusedByPeer, since: (contact.refusedByPeerAt ?? contact.updatedAt).toISOString() }
      : null,
  };
}
