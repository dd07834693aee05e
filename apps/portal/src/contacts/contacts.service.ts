import { ConflictException, ForbiddenException, Inject, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, type Repository } from 'typeorm';
import { PeerCredentialsService } from '../auth/peer-credentials.service';
import type { PrincipalKind } from '../auth/auth.decorator';
import { type AutonomyTier, autonomyRank } from '../common/autonomy';
import { SECRET_BOX, type SecretBox } from '../common/secret-box';
import { sha256Hex } from '../common/secrets';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../federation/outbox.service';
import { CONTACT_OUTBOX, toContactResponse } from './contact-records';
import type { ContactResponseDto } from './dto/contact.dto';
import { Contact, type ContactStatus } from './entities/contact.entity';

export type { ContactStatus };
export { CONTACT_OUTBOX, CONTACT_REQUEST_PAGE, toContactResponse } from './contact-records';

/**
 * A contact as other features see it: who it is and whether it is active, never its key or the
 * state of its handshake. What ContactsService answers and what @CurrentPeer() gives a federation
 * route.
 */
export interface ContactRef {
  id: number;
  portalUrl: string;
  status: ContactStatus;
  agentName: string;
  ownerName: string;
  /** How freely the agent talks to this contact (common/autonomy.ts). */
  autonomy: AutonomyTier;
}

/** Where and with which key to reach an active contact. */
export interface ContactTarget {
  portalUrl: string;
  key: string;
}

/**
 * A federation caller that must be an active contact: a pending one holds a valid key too, but only
 * for the handshake. 403 otherwise. For the routes that carry content (messages, files).
 */
export function requireActivePeer(peer: ContactRef): ContactRef {
  if (peer.status !== 'active') throw new ForbiddenException(`This contact is ${peer.status}`);
  return peer;
}

const KEY_CACHE_MS = 2000;
const KEY_CACHE_MAX = 10_000;

/**
 * The contact records and their keys. Other features (messages, files, …) use contacts through the
 * methods of the "for other features" section only:
 * - getActive(id): the contact an owner or agent addresses, or the 404/409 to answer
 * - findById(id): any contact, or null
 * - outboundFor(id): where and with which key to deliver to an active contact
 * Federation routes get their caller from @PeerCall() / @CurrentPeer() (peer-call.decorator.ts).
 */
@Injectable()
export class ContactsService implements OnModuleInit {
  private readonly keyCache = new Map<string, { contact: Contact | null; until: number }>();
  private readonly activeCache = new Map<number, { contact: Contact; until: number }>();
  private readonly outboundCache = new Map<number, { target: ContactTarget | null; until: number }>();

  constructor(
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly peerCredentials: PeerCredentialsService,
  ) {}

  onModuleInit(): void {
    // Contact keys are this feature's to resolve; auth only asks.
    this.peerCredentials.register((key) => this.findByKey(key));
    // Any write to contacts (here, in outbox handlers, anywhere) forgets the remembered key look-ups.
    const forget = (): void => this.forgetKeys();
    let dirty = false;
    this.dataSource.subscribers.push({
      listenTo: () => Contact,
      afterInsert: () => ((dirty = true), forget()),
      afterUpdate: () => ((dirty = true), forget()),
      afterRemove: () => ((dirty = true), forget()),
      afterTransactionCommit: () => {
        if (dirty) forget();
        dirty = false;
      },
    });
  }

  // ---- keys ---------------------------------------------------------------------------------

  /**
   * The contact a shared key belongs to, while that key is in force (pending or active).
   * Answers are remembered for KEY_CACHE_MS (peers call in bursts); every change this Portal makes
   * to a contact forgets them at once, so removal takes effect immediately on this instance.
   */
  async findByKey(key: string): Promise<Contact | null> {
    const keyHash = sha256Hex(key);
    const cached = this.keyCache.get(keyHash);
    if (cached && cached.until > Date.now()) return cached.contact;
    const contact = await this.contacts.findOne({ where: { keyHash, status: In(['pending', 'active']) } });
    if (this.keyCache.size >= KEY_CACHE_MAX) this.keyCache.clear();
    this.keyCache.set(keyHash, { contact, until: Date.now() + KEY_CACHE_MS });
    return contact;
  }

  /** Forgets remembered key look-ups (after any change to contacts). */
  private forgetKeys(): void {
    this.keyCache.clear();
    this.outboundCache.clear();
    this.activeCache.clear();
  }

  /** The shared key for outbound calls to this contact (null once wiped). */
  outboundKey(contact: Pick<Contact, 'keySealed'>): string | null {
    return contact.keySealed ? this.secrets.open(contact.keySealed) : null;
  }

  // ---- for other features -------------------------------------------------------------------

  /**
   * Where and with which key to reach an active contact (null when it is not active or has no key).
   * Remembered like key look-ups, so delivering a burst of messages opens the sealed key once.
   */
  async outboundFor(contactId: number): Promise<ContactTarget | null> {
    const cached = this.outboundCache.get(contactId);
    if (cached && cached.until > Date.now()) return cached.target;
    const contact = await this.contacts.findOne({ where: { id: contactId } });
    const key = contact && contact.status === 'active' ? this.outboundKey(contact) : null;
    const target = contact && key ? { portalUrl: contact.portalUrl, key } : null;
    if (this.outboundCache.size >= KEY_CACHE_MAX) this.outboundCache.clear();
    this.outboundCache.set(contactId, { target, until: Date.now() + KEY_CACHE_MS });
    return target;
  }

  /** An active contact, or a clear 404/409 (for the owner or agent addressing a contact by id). */
  async getActive(id: number): Promise<ContactRef> {
    // Agents send in bursts: an active contact is remembered briefly (any change here forgets it).
    const cached = this.activeCache.get(id);
    if (cached && cached.until > Date.now()) return cached.contact;
    const contact = await this.contacts.findOne({ where: { id } });
    if (!contact) throw new NotFoundException(`No contact with id ${id}`);
    if (contact.status === 'imported') {
      throw new ConflictException(
        `Contact ${id} was imported from v0.9 and is not active: add ${contact.portalUrl} again (POST /api/contacts) for a new handshake`,
      );
    }
    if (contact.status !== 'active') throw new ConflictException(`Contact ${id} is ${contact.status}, not active`);
    if (this.activeCache.size >= KEY_CACHE_MAX) this.activeCache.clear();
    this.activeCache.set(id, { contact, until: Date.now() + KEY_CACHE_MS });
    return contact;
  }

  /** Any contact (whatever its status), or null. */
  async findById(id: number): Promise<ContactRef | null> {
    return this.contacts.findOne({ where: { id } });
  }

  // ---- the owner's and agent's records ------------------------------------------------------

  async list(status?: ContactStatus): Promise<ContactResponseDto[]> {
    const rows = await this.contacts.find({
      where: status ? { status } : { status: In(['pending', 'active', 'rejected', 'imported']) },
      order: { id: 'ASC' },
    });
    return rows.map(toContactResponse);
  }

  async get(id: number): Promise<ContactResponseDto> {
    const contact = await this.contacts.findOne({ where: { id } });
    if (!contact) throw new NotFoundException(`No contact with id ${id}`);
    return toContactResponse(contact);
  }

  /**
   * Sets how freely the agent talks to a contact. The owner may choose any tier; an agent key may
   * only lower it (towards blocked), never give itself more freedom: 403 otherwise.
   */
  async setAutonomy(id: number, tier: AutonomyTier, by: PrincipalKind): Promise<ContactResponseDto> {
    const contact = await this.contacts.findOne({ where: { id } });
    if (!contact || contact.status === 'removed') throw new NotFoundException(`No contact with id ${id}`);
    if (by !== 'owner' && autonomyRank(tier) > autonomyRank(contact.autonomy)) {
      throw new ForbiddenException(
        `Only the owner can give contact ${id} more autonomy (${contact.autonomy} → ${tier}), in the console; an agent key may only lower it`,
      );
    }
    if (contact.autonomy !== tier) {
      contact.autonomy = tier;
      contact.updatedAt = new Date();
      await this.contacts.update({ id }, { autonomy: tier, updatedAt: contact.updatedAt });
    }
    return toContactResponse(contact);
  }

  /** Removes a contact: its key stops working here at once, and the peer is told. */
  async remove(id: number): Promise<ContactResponseDto> {
    const contact = await this.contacts.findOne({ where: { id } });
    if (!contact) throw new NotFoundException(`No contact with id ${id}`);
    if (contact.status === 'removed') return toContactResponse(contact);
    const tellPeer = contact.status === 'active' || contact.status === 'pending';
    await this.dataSource.transaction(async (manager) => {
      contact.status = 'removed';
      contact.updatedAt = new Date();
      await manager.update(Contact, { id }, { status: 'removed', keyHash: null, updatedAt: contact.updatedAt });
      if (tellPeer && contact.keySealed) {
        await this.outbox.enqueue(manager, {
          kind: CONTACT_OUTBOX.remove,
          peerUrl: contact.portalUrl,
          contactId: id,
          refId: contact.requestId,
        });
      }
      await this.events.append(manager, 'contact.removed', { contactId: id, portalUrl: contact.portalUrl, by: 'me' });
    });
    this.outbox.wake();
    this.events.wake();
    return toContactResponse(contact);
  }
}
