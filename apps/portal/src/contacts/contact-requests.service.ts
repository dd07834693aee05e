import { ConflictException, Inject, Injectable, Logger, NotFoundException, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, LessThan, MoreThan, type Repository } from 'typeorm';
import { SECRET_BOX, type SecretBox } from '../common/secret-box';
import { sha256Hex } from '../common/secrets';
import { isUniqueViolation } from '../common/unique-violation';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { OutboxService } from '../federation/outbox.service';
import { CONTACT_OUTBOX, CONTACT_REQUEST_PAGE, importedContact, toContactResponse, toRequestResponse } from './contact-records';
import type { ContactRequestResponseDto, ContactResponseDto } from './dto/contact.dto';
import { ContactRequest, type ContactRequestStatus } from './entities/contact-request.entity';
import { Contact } from './entities/contact.entity';

/**
 * Requests other Portals sent us, on the owner's side: listing them, approving (the contact is
 * created and the requester told), rejecting, and ending those their sender never confirmed.
 */
@Injectable()
export class ContactRequestsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ContactRequestsService.name);
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    @InjectRepository(ContactRequest) private readonly requests: Repository<ContactRequest>,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  onModuleInit(): void {
    // Often enough that a request never outlives its verification time by much, at most once a minute.
    const everyMs = Math.min(60_000, Math.max(250, (this.config.limits.requestVerifyTimeoutSeconds * 1000) / 4));
    this.sweepTimer = setInterval(
      () => void this.sweepRequests().catch((error) => this.logger.error({ err: error }, 'Contact request sweep failed')),
      everyMs,
    );
    this.sweepTimer.unref();
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
    if (request.status === 'approved' && request.contactId) return this.contactResponse(request.contactId);
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
          // The key the signed request was checked against becomes the contact's pinned key.
          ...(request.peerKeyId && request.peerPublicKey
            ? { peerKeyState: 'pinned' as const, peerKeyId: request.peerKeyId, peerPublicKey: request.peerPublicKey, peerKeyPinnedAt: now }
            : {}),
          updatedAt: now,
        };
        // A contact imported from v0.9 becomes this handshake's contact, so its history stays with it.
        const imported = await importedContact(manager, request.fromPortal);
        const saved = await manager.save(
          imported
            ? Object.assign(imported, handshake)
            : manager.create(Contact, { ...handshake, portalUrl: request.fromPortal, createdAt: now }),
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
      if (settled?.status === 'approved' && settled.contactId) return this.contactResponse(settled.contactId);
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

  /** The contact an approval created (answered again on a replay of the approval). */
  private async contactResponse(id: number): Promise<ContactResponseDto> {
    const contact = await this.contacts.findOne({ where: { id } });
    if (!contact) throw new NotFoundException(`No contact with id ${id}`);
    return toContactResponse(contact);
  }
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
