import { Injectable } from '@nestjs/common';
import { type ContactRef, ContactsService, requireActivePeer } from '../contacts/contacts.service';

/** What files need to know of a contact: who it is and where its Portal is. */
export interface FileContact {
  id: number;
  agentName: string;
  portalUrl: string;
}

/**
 * The one place where files reads contacts (their records and their state): everything else in
 * files asks this class, so that files depends on a few answers rather than on the Contact record.
 */
@Injectable()
export class FileContacts {
  constructor(private readonly contacts: ContactsService) {}

  /** An active contact's id for a new upload, or the contacts' 404/409. */
  async activeId(id: number): Promise<number> {
    return (await this.contacts.getActive(id)).id;
  }

  async exists(id: number): Promise<boolean> {
    return (await this.contacts.findById(id)) !== null;
  }

  /** The contact while it is active; null once it is gone or no longer active. */
  async ifActive(id: number): Promise<FileContact | null> {
    const contact = await this.contacts.findById(id);
    return contact && contact.status === 'active' ? pick(contact) : null;
  }

  /** The contact calling us (admitted by @PeerCall()), refused (403) unless it is active. */
  activePeer(peer: ContactRef): FileContact {
    return pick(requireActivePeer(peer));
  }

  /** Where and with which key to reach the contact (null when it is not active or has no key). */
  outboundFor(id: number): Promise<{ portalUrl: string; key: string } | null> {
    return this.contacts.outboundFor(id);
  }
}

function pick(contact: FileContact): FileContact {
  return { id: contact.id, agentName: contact.agentName, portalUrl: contact.portalUrl };
}
