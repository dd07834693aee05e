import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, In, LessThan, MoreThan, type Repository } from 'typeorm';
import type { Principal } from '../auth/principal';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { RateLimiter } from '../common/rate-limiter';
import { SECRET_BOX, type SecretBox } from '../common/secret-box';
import { generateContactKey, sha256Hex } from '../common/secrets';
import { isUniqueViolation } from '../common/unique-violation';
import { EventsService } from '../events/events.service';
import type { OutboxItem } from '../federation/entities/outbox-item.entity';
import { OutboxService } from '../federation/outbox.service';
import type { PeerResponse } from '../federation/peer-client';
import { refusedPeerHost } from '../federation/peer-address';
import { normalizePortalUrl } from '../federation/peer-url';
import { ProfileService } from '../profile/profile.service';
import type { ContactRequestResponseDto, ContactResponseDto } from './dto/contact.dto';
import type {
  FederationContactAcceptDto,
  FederationContactRequestDto,
  FederationVerifyRequestDto,
  FederationVerifyResponseDto,
} from './dto/federation-contact.dto';
import { ContactRequest, type ContactRequestStatus } from './entities/contact-request.entity';
import { Contact, type ContactStatus } from './entities/contact.entity';

/** Outbox kinds of the handshake. */
export const CONTACT_OUTBOX = {
  request: 'contact.request',
  verify: 'contact.verify',
  accept: 'contact.accept',
  reject: 'contact.reject',
  remove: 'contact.remove',
} as const;

/** The contact behind a federation call (the guard admitted only contact keys there). */
export function contactCaller(principal: Principal): ContactCaller {
  if (principal.kind !== 'contact') throw new Error('federation route reached without a contact principal');
  return { contactId: principal.contactId, contact: principal.contact };
}

const KEY_CACHE_MS = 2000;
const KEY_CACHE_MAX = 10_000;
/** Contact requests listed per page unless the caller asks for another limit (at most 200). */
export const CONTACT_REQUEST_PAGE = 50;

/** A contact as the guard saw it on a federation call. */
export interface ContactCaller {
  contactId: number;
  /** The contact as the guard loaded it (saves a second look-up). */
  contact?: Contact;
}

@Injectable()
export class ContactsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ContactsService.name);
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly publicLimiter: RateLimiter;
  private readonly contactLimiter: RateLimiter;
  private readonly keyCache = new Map<string, { contact: Contact | null; until: number }>();
  private readonly activeCache = new Map<number, { contact: Contact; until: number }>();
  private readonly outboundCache = new Map<number, { target: { portalUrl: string; key: string } | null; until: number }>();

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    @InjectRepository(ContactRequest) private readonly requests: Repository<ContactRequest>,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly profile: ProfileService,
  ) {
    this.publicLimiter = new RateLimiter(config.limits.publicRequestsPerMinute, 60_000);
    this.contactLimiter = new RateLimiter(config.limits.contactRequestsPerMinute, 60_000);
  }

  onModuleInit(): void {
    this.registerOutboxHandlers();
    // Often enough that a request never outlives its verification time by much, at most once a minute.
    const everyMs = Math.min(60_000, Math.max(250, (this.config.limits.requestVerifyTimeoutSeconds * 1000) / 4));
    this.sweepTimer = setInterval(() => void this.sweepRequests().catch((error) => this.logger.error({ err: error }, 'Contact request sweep failed')), everyMs);
    this.sweepTimer.unref();
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

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /**
   * A request whose sender has not confirmed it within PORTAL_CONTACT_VERIFY_TIMEOUT_SECONDS ends
   * invalid (its pending verify call is then dropped by the outbox); invalid requests are deleted
   * after PORTAL_INVALID_REQUEST_RETENTION_HOURS. Forged requests so neither linger nor hold the
   * per-Portal waiting slots.
   */
  async sweepRequests(now = new Date()): Promise<{ expired: number; purged: number }> {
    const { requestVerifyTimeoutSeconds, invalidRequestRetentionHours } = this.config.limits;
    const expired = await this.requests.update(
      { status: 'verifying', createdAt: LessThan(new Date(now.getTime() - requestVerifyTimeoutSeconds * 1000)) },
      { status: 'invalid', keySealed: null, updatedAt: now },
    );
    const purged = await this.requests.delete({
      status: 'invalid',
      updatedAt: LessThan(new Date(now.getTime() - invalidRequestRetentionHours * 3_600_000)),
    });
    return { expired: expired.affected ?? 0, purged: purged.affected ?? 0 };
  }

  // ---- used by other features -------------------------------------------------------------

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

  /**
   * Where and with which key to reach an active contact (null when it is not active or has no key).
   * Remembered like key look-ups, so delivering a burst of messages opens the sealed key once.
   */
  async outboundFor(contactId: number): Promise<{ portalUrl: string; key: string } | null> {
    const cached = this.outboundCache.get(contactId);
    if (cached && cached.until > Date.now()) return cached.target;
    const contact = await this.contacts.findOne({ where: { id: contactId } });
    const key = contact && contact.status === 'active' ? this.outboundKey(contact) : null;
    const target = contact && key ? { portalUrl: contact.portalUrl, key } : null;
    if (this.outboundCache.size >= KEY_CACHE_MAX) this.outboundCache.clear();
    this.outboundCache.set(contactId, { target, until: Date.now() + KEY_CACHE_MS });
    return target;
  }

  /** An active contact, or a clear 404/409. */
  async getActive(id: number): Promise<Contact> {
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

  async findById(id: number): Promise<Contact | null> {
    return this.contacts.findOne({ where: { id } });
  }

  /** The shared key for outbound calls to this contact (null once wiped). */
  outboundKey(contact: Pick<Contact, 'keySealed'>): string | null {
    return contact.keySealed ? this.secrets.open(contact.keySealed) : null;
  }

  /**
   * Called on every authenticated federation call: enforces the per-contact rate, and since the peer
   * is evidently up, retries what we owe it at once.
   */
  async admitPeerCall(caller: ContactCaller): Promise<Contact> {
    const wait = this.contactLimiter.retryAfter(String(caller.contactId));
    if (wait > 0) throw tooMany(`Too many requests from this contact; retry in ${wait} s`, wait);
    this.contactLimiter.hit(String(caller.contactId));
    const contact = caller.contact ?? (await this.contacts.findOne({ where: { id: caller.contactId } }));
    if (!contact) throw new ForbiddenException('Unknown contact');
    void this.outbox.retryNow(contact.portalUrl).catch(() => undefined);
    return contact;
  }

  // ---- the agent's and owner's side --------------------------------------------------------

  async create(portalUrlInput: string, message = ''): Promise<ContactResponseDto> {
    const portalUrl = normalizePortalUrl(portalUrlInput, this.config.peers.allowInsecure);
    if (!portalUrl) {
      throw new BadRequestException(
        this.config.peers.allowInsecure
          ? 'portalUrl must be an http(s) URL without credentials, query or fragment'
          : 'portalUrl must be an https URL without credentials, query or fragment',
      );
    }
    if (portalUrl === this.config.publicUrl) throw new BadRequestException('portalUrl is this Portal itself');
    if (!this.config.peers.allowPrivate) {
      const refused = await refusedPeerHost(portalUrl);
      if (refused) throw new BadRequestException(`portalUrl cannot be a peer: ${refused}`);
    }
    const existing = await this.contacts.findOne({ where: { portalUrl, status: In(['pending', 'active']) } });
    if (existing) {
      throw new ConflictException({
        message: `${portalUrl} is already contact ${existing.id} (${existing.status})`,
        details: { contactId: existing.id, status: existing.status },
      });
    }
    const key = generateContactKey();
    const now = new Date();
    const contact = await this.dataSource.transaction(async (manager) => {
      const handshake = {
        status: 'pending' as const,
        direction: 'outgoing' as const,
        requestId: randomUUID(),
        message,
        keyHash: sha256Hex(key),
        keySealed: this.secrets.seal(key),
        updatedAt: now,
      };
      // A contact imported from v0.9 becomes this handshake's contact, so its history stays with it.
      const imported = await this.importedContact(manager, portalUrl);
      const saved = await manager.save(
        imported
          ? Object.assign(imported, handshake)
          : manager.create(Contact, { ...handshake, portalUrl, agentName: '', ownerName: '', createdAt: now }),
      );
      await this.outbox.enqueue(manager, {
        kind: CONTACT_OUTBOX.request,
        peerUrl: portalUrl,
        contactId: saved.id,
        refId: saved.requestId,
      });
      return saved;
    });
    this.outbox.wake();
    return toContactResponse(contact);
  }

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

  /** Oldest first, one page: ids after `after`, at most `limit` (default 50). */
  async listRequests(query: { status?: ContactRequestStatus; after?: number; limit?: number } = {}): Promise<ContactRequestResponseDto[]> {
    const rows = await this.requests.find({
      where: { status: query.status ? query.status : In(['verifying', 'pending']), id: MoreThan(query.after ?? 0) },
      order: { id: 'ASC' },
      take: query.limit ?? CONTACT_REQUEST_PAGE,
    });
    return rows.map(toRequestResponse);
  }

  async approve(id: number): Promise<ContactResponseDto> {
    const request = await this.requests.findOne({ where: { id } });
    if (!request) throw new NotFoundException(`No contact request with id ${id}`);
    if (request.status === 'approved' && request.contactId) return this.get(request.contactId);
    if (request.status === 'verifying') throw new ConflictException(`Request ${id} is still being verified with ${request.fromPortal}`);
    if (request.status !== 'pending') throw new ConflictException(`Request ${id} is ${request.status}`);
    const key = this.secrets.open(request.keySealed ?? '');
    const now = new Date();
    let contact: Contact | null;
    try {
      contact = await this.dataSource.transaction(async (manager) => {
        // Claims the request first: a concurrent approval waits for this row (PostgreSQL) or this
        // transaction (SQLite), then finds it no longer pending and answers like a replay.
        const claimed = await manager.update(ContactRequest, { id, status: 'pending' }, { status: 'approved', updatedAt: now });
        if (!claimed.affected) return null;
        // Never replace a contact behind the owner's back: the peer would not know, and a Portal
        // could otherwise take over another one's place here.
        const samePortal = await manager.findOne(Contact, { where: { portalUrl: request.fromPortal, status: In(['pending', 'active']) } });
        if (samePortal) {
          throw new ConflictException({
            message:
              `${request.fromPortal} is already contact ${samePortal.id} (${samePortal.status}); ` +
              `remove contact ${samePortal.id} first to approve request ${id}`,
            details: { contactId: samePortal.id, status: samePortal.status },
          });
        }
        const sameKey = await manager.findOne(Contact, { where: { keyHash: request.keyHash } });
        if (sameKey) throw keyInUse(id, sameKey.id);
        const handshake = {
          status: 'active' as const,
          direction: 'incoming' as const,
          requestId: request.requestId,
          agentName: request.agentName,
          ownerName: request.ownerName,
          message: '',
          keyHash: sha256Hex(key),
          keySealed: this.secrets.seal(key),
          updatedAt: now,
        };
        // A contact imported from v0.9 becomes this handshake's contact, so its history stays with it.
        const imported = await this.importedContact(manager, request.fromPortal);
        const saved = await manager.save(
          imported ? Object.assign(imported, handshake) : manager.create(Contact, { ...handshake, portalUrl: request.fromPortal, createdAt: now }),
        );
        await manager.update(ContactRequest, { id }, { status: 'approved', contactId: saved.id, keySealed: null, updatedAt: now });
        await this.outbox.enqueue(manager, {
          kind: CONTACT_OUTBOX.accept,
          peerUrl: request.fromPortal,
          contactId: saved.id,
          refId: request.requestId,
        });
        return saved;
      });
    } catch (error) {
      // Another write took the key between the check and the insert: the same request approved at
      // the same moment (answered like a replay), or another contact with this key.
      if (!isUniqueViolation(error)) throw error;
      contact = null;
    }
    if (!contact) {
      const settled = await this.requests.findOne({ where: { id } });
      if (settled?.status === 'approved' && settled.contactId) return this.get(settled.contactId);
      if (settled && settled.status !== 'pending') throw new ConflictException(`Request ${id} is ${settled.status}`);
      throw keyInUse(id);
    }
    this.outbox.wake();
    return toContactResponse(contact);
  }

  async reject(id: number): Promise<ContactRequestResponseDto> {
    const request = await this.requests.findOne({ where: { id } });
    if (!request) throw new NotFoundException(`No contact request with id ${id}`);
    if (request.status === 'rejected') return toRequestResponse(request);
    if (request.status !== 'pending' && request.status !== 'verifying') {
      throw new ConflictException(`Request ${id} is ${request.status}`);
    }
    const wasVerified = request.status === 'pending';
    const changed = await this.dataSource.transaction(async (manager) => {
      // Conditional: an approval (or the verification) may have settled the request meanwhile.
      const claimed = await manager.update(ContactRequest, { id, status: request.status }, { status: 'rejected', updatedAt: new Date() });
      if (!claimed.affected) return false;
      if (wasVerified) {
        // Only a Portal that proved it asked is told; the key is needed once more for that.
        await this.outbox.enqueue(manager, {
          kind: CONTACT_OUTBOX.reject,
          peerUrl: request.fromPortal,
          refId: String(request.id),
        });
      } else {
        await manager.update(ContactRequest, { id }, { keySealed: null });
      }
      return true;
    });
    if (!changed) {
      const settled = await this.requests.findOne({ where: { id } });
      if (settled?.status === 'rejected') return toRequestResponse(settled);
      throw new ConflictException(`Request ${id} is ${settled?.status ?? 'gone'}`);
    }
    this.outbox.wake();
    request.status = 'rejected';
    return toRequestResponse(request);
  }

  // ---- the peer's side (federation) -------------------------------------------------------

  /** A Portal asks to become a contact. Stored, then verified with the Portal it claims to be. */
  async receiveRequest(dto: FederationContactRequestDto, clientAddress: string): Promise<void> {
    const wait = this.publicLimiter.retryAfter(clientAddress);
    if (wait > 0) throw tooMany(`Too many requests from this address; retry in ${wait} s`, wait);
    this.publicLimiter.hit(clientAddress);
    const fromPortal = normalizePortalUrl(dto.fromPortal, this.config.peers.allowInsecure);
    if (!fromPortal) throw new BadRequestException('fromPortal must be an https URL without credentials, query or fragment');
    if (fromPortal === this.config.publicUrl) throw new BadRequestException('fromPortal is this Portal itself');
    const keyHash = sha256Hex(dto.key);
    const existing = await this.requests.findOne({ where: { requestId: dto.requestId } });
    if (existing) {
      // A replay of the same request (the sender's outbox retrying) gets the same answer.
      if (existing.keyHash === keyHash && existing.fromPortal === fromPortal) return;
      throw new ConflictException('This requestId is already used');
    }
    const waiting = await this.requests.count({ where: { fromPortal, status: In(['verifying', 'pending']) } });
    if (waiting >= this.config.limits.pendingRequestsPerPortal) {
      throw tooMany(`${fromPortal} already has ${waiting} contact requests waiting for the owner`, 3600);
    }
    const now = new Date();
    await this.dataSource.transaction(async (manager) => {
      const saved = await manager.save(
        manager.create(ContactRequest, {
          requestId: dto.requestId,
          fromPortal,
          agentName: dto.agentName,
          ownerName: dto.ownerName,
          message: dto.message,
          status: 'verifying',
          verified: false,
          keyHash,
          keySealed: this.secrets.seal(dto.key),
          contactId: null,
          createdAt: now,
          updatedAt: now,
        }),
      );
      await this.outbox.enqueue(manager, { kind: CONTACT_OUTBOX.verify, peerUrl: fromPortal, refId: String(saved.id) });
    });
    this.outbox.wake();
  }

  /**
   * The target asks us whether we really sent this request. The key proves the caller holds the
   * request; only the Portal we sent it to may have it confirmed, and only while it waits for an
   * answer. Anyone else holding the key (the first target replaying it elsewhere) is refused.
   */
  async confirmRequest(caller: ContactCaller, requestId: string, dto: FederationVerifyRequestDto): Promise<FederationVerifyResponseDto> {
    const contact = await this.handshakeContact(caller, requestId);
    if (contact.status !== 'pending') throw new ConflictException(`This contact request is ${contact.status}, no longer waiting for an answer`);
    if (normalizePortalUrl(dto.portalUrl, true) !== contact.portalUrl) {
      throw new ForbiddenException('This contact request was not sent to the asking Portal');
    }
    return { ok: true, portalUrl: this.config.publicUrl };
  }

  async acceptFromPeer(caller: ContactCaller, requestId: string, dto: FederationContactAcceptDto): Promise<void> {
    const contact = await this.handshakeContact(caller, requestId);
    if (contact.status === 'active') return;
    if (contact.status !== 'pending') throw new ConflictException(`This contact is ${contact.status}`);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(
        Contact,
        { id: contact.id },
        { status: 'active', agentName: dto.agentName, ownerName: dto.ownerName, updatedAt: new Date() },
      );
      await this.events.append(manager, 'contact.accepted', {
        contactId: contact.id,
        portalUrl: contact.portalUrl,
        agentName: dto.agentName,
      });
    });
    this.events.wake();
  }

  async rejectFromPeer(caller: ContactCaller, requestId: string): Promise<void> {
    const contact = await this.handshakeContact(caller, requestId);
    if (contact.status !== 'pending') throw new ConflictException(`This contact is ${contact.status}`);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Contact, { id: contact.id }, { status: 'rejected', keyHash: null, keySealed: null, updatedAt: new Date() });
      await this.events.append(manager, 'contact.rejected', { contactId: contact.id, portalUrl: contact.portalUrl });
    });
    this.events.wake();
  }

  /** The peer removed us: the shared key stops working here too. */
  async removeFromPeer(caller: ContactCaller): Promise<void> {
    const contact = await this.contacts.findOne({ where: { id: caller.contactId } });
    if (!contact || contact.status === 'removed') return;
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Contact, { id: contact.id }, { status: 'removed', keyHash: null, keySealed: null, updatedAt: new Date() });
      await this.events.append(manager, 'contact.removed', { contactId: contact.id, portalUrl: contact.portalUrl, by: 'peer' });
    });
    this.events.wake();
  }

  /** The caller's contact, which must be the one we created for this handshake. */
  private async handshakeContact(caller: ContactCaller, requestId: string): Promise<Contact> {
    const contact = await this.admitPeerCall(caller);
    if (contact.direction !== 'outgoing' || contact.requestId !== requestId) {
      throw new NotFoundException('No contact request with that id for this key');
    }
    return contact;
  }

  // ---- outbox handlers ---------------------------------------------------------------------

  private registerOutboxHandlers(): void {
    this.outbox.registerHandler(CONTACT_OUTBOX.request, {
      buildRequest: async (item) => {
        const contact = await this.contactOf(item);
        if (!contact || contact.status !== 'pending' || !contact.keySealed) return null;
        const me = await this.profile.get();
        return {
          portalUrl: contact.portalUrl,
          method: 'POST',
          path: '/api/federation/contact-requests',
          body: {
            requestId: contact.requestId,
            fromPortal: this.config.publicUrl,
            agentName: me.agentName,
            ownerName: me.ownerName,
            message: contact.message,
            key: this.outboundKey(contact),
          },
        };
      },
      onDelivered: async () => undefined,
      onFailed: async (manager, item) => {
        const contact = await manager.findOne(Contact, { where: { id: item.contactId ?? -1 } });
        if (!contact || contact.status !== 'pending') return;
        await manager.update(Contact, { id: contact.id }, { status: 'rejected', keyHash: null, keySealed: null, updatedAt: new Date() });
        await this.events.append(manager, 'contact.rejected', { contactId: contact.id, portalUrl: contact.portalUrl });
      },
    });

    this.outbox.registerHandler(CONTACT_OUTBOX.verify, {
      buildRequest: async (item) => {
        const request = await this.requestOf(item);
        if (!request || request.status !== 'verifying' || !request.keySealed) return null;
        return {
          portalUrl: request.fromPortal,
          method: 'POST',
          path: `/api/federation/contact-requests/${request.requestId}/verify`,
          key: this.secrets.open(request.keySealed),
          body: { portalUrl: this.config.publicUrl },
        };
      },
      onDelivered: async (manager, item, response) => {
        const request = await manager.findOne(ContactRequest, { where: { id: Number(item.refId) } });
        if (!request || request.status !== 'verifying') return;
        const confirmed = isConfirmation(response, request.fromPortal);
        // Conditional: the sweep may have ended the request (too late) meanwhile.
        const changed = await manager.update(
          ContactRequest,
          { id: request.id, status: 'verifying' },
          confirmed
            ? { status: 'pending', verified: true, updatedAt: new Date() }
            : { status: 'invalid', keySealed: null, updatedAt: new Date() },
        );
        if (!confirmed || !changed.affected) return;
        await this.events.append(manager, 'contact.request_received', {
          requestId: request.id,
          portalUrl: request.fromPortal,
          agentName: request.agentName,
          ownerName: request.ownerName,
          message: request.message,
          verified: true,
        });
      },
      onFailed: async (manager, item) => {
        await manager.update(
          ContactRequest,
          { id: Number(item.refId), status: 'verifying' },
          { status: 'invalid', keySealed: null, updatedAt: new Date() },
        );
      },
    }, { lane: 'strangers' });

    this.outbox.registerHandler(CONTACT_OUTBOX.accept, {
      buildRequest: async (item) => {
        const contact = await this.contactOf(item);
        if (!contact || contact.status !== 'active' || !contact.keySealed) return null;
        const me = await this.profile.get();
        return {
          portalUrl: contact.portalUrl,
          method: 'POST',
          path: `/api/federation/contact-requests/${contact.requestId}/accept`,
          key: this.outboundKey(contact) ?? undefined,
          body: { agentName: me.agentName, ownerName: me.ownerName },
        };
      },
      onDelivered: async () => undefined,
      onFailed: async (manager, item) => {
        // The requester no longer knows this handshake: the contact cannot work.
        const contact = await manager.findOne(Contact, { where: { id: item.contactId ?? -1 } });
        if (!contact || contact.status !== 'active') return;
        await manager.update(Contact, { id: contact.id }, { status: 'removed', keyHash: null, keySealed: null, updatedAt: new Date() });
        await this.events.append(manager, 'contact.removed', { contactId: contact.id, portalUrl: contact.portalUrl, by: 'peer' });
      },
    });

    this.outbox.registerHandler(CONTACT_OUTBOX.reject, {
      buildRequest: async (item) => {
        const request = await this.requestOf(item);
        if (!request || !request.keySealed) return null;
        return {
          portalUrl: request.fromPortal,
          method: 'POST',
          path: `/api/federation/contact-requests/${request.requestId}/reject`,
          key: this.secrets.open(request.keySealed),
        };
      },
      onDelivered: async (manager, item) => {
        await manager.update(ContactRequest, { id: Number(item.refId) }, { keySealed: null });
      },
      onFailed: async (manager, item) => {
        await manager.update(ContactRequest, { id: Number(item.refId) }, { keySealed: null });
      },
    }, { lane: 'strangers' });

    this.outbox.registerHandler(CONTACT_OUTBOX.remove, {
      buildRequest: async (item) => {
        const contact = await this.contactOf(item);
        if (!contact || !contact.keySealed) return null;
        return { portalUrl: contact.portalUrl, method: 'DELETE', path: '/api/federation/contact', key: this.outboundKey(contact) ?? undefined };
      },
      onDelivered: async (manager, item) => {
        await manager.update(Contact, { id: item.contactId ?? -1 }, { keySealed: null });
      },
      onFailed: async (manager, item) => {
        await manager.update(Contact, { id: item.contactId ?? -1 }, { keySealed: null });
      },
    });
  }

  /** The oldest contact imported from v0.9 for this Portal URL, if any. */
  private async importedContact(manager: EntityManager, portalUrl: string): Promise<Contact | null> {
    return manager.findOne(Contact, { where: { portalUrl, status: 'imported' }, order: { id: 'ASC' } });
  }

  private async contactOf(item: OutboxItem): Promise<Contact | null> {
    return item.contactId === null ? null : this.contacts.findOne({ where: { id: item.contactId } });
  }

  private async requestOf(item: OutboxItem): Promise<ContactRequest | null> {
    const id = Number(item.refId);
    return Number.isInteger(id) ? this.requests.findOne({ where: { id } }) : null;
  }
}

function isConfirmation(response: PeerResponse, expectedUrl: string): boolean {
  const body = response.body as { ok?: unknown; portalUrl?: unknown } | null;
  return body?.ok === true && typeof body.portalUrl === 'string' && body.portalUrl.replace(/\/+$/, '') === expectedUrl;
}

function keyInUse(requestId: number, contactId?: number): ConflictException {
  return new ConflictException({
    message:
      contactId === undefined
        ? `Request ${requestId} uses the key of an existing contact; it cannot be approved`
        : `Request ${requestId} uses the key of contact ${contactId}; it cannot be approved`,
    details: contactId === undefined ? undefined : { contactId },
  });
}

function tooMany(message: string, retryAfterSeconds: number): HttpException {
  return new HttpException(
    { statusCode: 429, error: 'Too Many Requests', message, details: { retryAfterSeconds } },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}

export function toContactResponse(contact: Contact): ContactResponseDto {
  return {
    id: contact.id,
    portalUrl: contact.portalUrl,
    status: contact.status,
    direction: contact.direction,
    agentName: contact.agentName,
    ownerName: contact.ownerName,
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
  };
}

function toRequestResponse(request: ContactRequest): ContactRequestResponseDto {
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
