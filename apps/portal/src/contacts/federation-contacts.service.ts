import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, type Repository } from 'typeorm';
import { SECRET_BOX, type SecretBox } from '../common/secret-box';
import { sha256Hex } from '../common/secrets';
import { tooManyRequests } from '../common/too-many-requests';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../federation/outbox.service';
import { normalizePortalUrl } from '../common/portal-url';
import { CONTACT_OUTBOX } from './contact-records';
import type { ContactRef } from './contacts.service';
import type {
  FederationContactAcceptDto,
  FederationContactRequestDto,
  FederationVerifyRequestDto,
  FederationVerifyResponseDto,
} from './dto/federation-contact.dto';
import { ContactRequest } from './entities/contact-request.entity';
import { Contact } from './entities/contact.entity';
import { PeerAdmissionService } from './peer-admission.service';
import type { PublicIdentity } from '../common/identity-keys';

/**
 * The handshake as other Portals call it: a request arrives (then verified with its sender), the
 * target of our request asks us to confirm it, and answers it (accept, reject); a contact removes
 * us. Callers holding a contact key come admitted by @PeerCall().
 */
@Injectable()
export class FederationContactsService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    @InjectRepository(ContactRequest) private readonly requests: Repository<ContactRequest>,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly admission: PeerAdmissionService,
  ) {}

  /**
   * A Portal asks to become a contact. Stored, then verified with the Portal it claims to be.
   * (The per-address limit of this route is its @RateLimit().)
   */
  async receiveRequest(dto: FederationContactRequestDto, verifySender: (fromPortal: string) => Promise<PublicIdentity>): Promise<void> {
    const fromPortal = normalizePortalUrl(dto.fromPortal, this.config.peers.allowInsecure);
    if (!fromPortal) throw new BadRequestException('fromPortal must be an https URL without credentials, query or fragment');
    if (fromPortal === this.config.publicUrl) throw new BadRequestException('fromPortal is this Portal itself');
    // Signed by the key fromPortal publishes, for this Portal's URL: a request relayed from elsewhere is refused here.
    const sender = await verifySender(fromPortal);
    const keyHash = sha256Hex(dto.key);
    const existing = await this.requests.findOne({ where: { requestId: dto.requestId } });
    if (existing) {
      // A replay of the same request (the sender's outbox retrying) gets the same answer.
      if (existing.keyHash === keyHash && existing.fromPortal === fromPortal) return;
      throw new ConflictException('This requestId is already used');
    }
    const waiting = await this.requests.count({ where: { fromPortal, status: In(['verifying', 'pending']) } });
    if (waiting >= this.config.limits.pendingRequestsPerPortal) {
      throw tooManyRequests(`${fromPortal} already has ${waiting} contact requests waiting for the owner`, 3600);
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
          peerKeyId: sender.keyId,
          peerPublicKey: sender.publicKey,
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
  async confirmRequest(peer: ContactRef, requestId: string, dto: FederationVerifyRequestDto): Promise<FederationVerifyResponseDto> {
    const contact = await this.handshakeContact(peer, requestId);
    if (contact.status !== 'pending')
      throw new ConflictException(`This contact request is ${contact.status}, no longer waiting for an answer`);
    if (normalizePortalUrl(dto.portalUrl, true) !== contact.portalUrl) {
      throw new ForbiddenException('This contact request was not sent to the asking Portal');
    }
    return { ok: true, portalUrl: this.config.publicUrl };
  }

  async acceptFromPeer(peer: ContactRef, requestId: string, dto: FederationContactAcceptDto): Promise<void> {
    const contact = await this.handshakeContact(peer, requestId);
    if (contact.status === 'active') return;
    if (contact.status !== 'pending') throw new ConflictException(`This contact is ${contact.status}`);
    await this.dataSource.transaction(async (manager) => {
      const now = new Date();
      // Their answer proves our request arrived, whatever the outbox has recorded yet.
      const delivered = contact.requestState === 'delivered' ? {} : { requestState: 'delivered' as const, requestStateAt: now };
      await manager.update(
        Contact,
        { id: contact.id },
        { status: 'active', agentName: dto.agentName, ownerName: dto.ownerName, ...delivered, updatedAt: now },
      );
      await this.events.append(manager, 'contact.accepted', {
        contactId: contact.id,
        portalUrl: contact.portalUrl,
        agentName: dto.agentName,
      });
    });
    this.events.wake();
  }

  async rejectFromPeer(peer: ContactRef, requestId: string): Promise<void> {
    const contact = await this.handshakeContact(peer, requestId);
    if (contact.status !== 'pending') throw new ConflictException(`This contact is ${contact.status}`);
    await this.dataSource.transaction(async (manager) => {
      const now = new Date();
      await manager.update(
        Contact,
        { id: contact.id },
        { status: 'rejected', keyHash: null, keySealed: null, requestState: 'rejected', requestStateAt: now, updatedAt: now },
      );
      await this.events.append(manager, 'contact.rejected', { contactId: contact.id, portalUrl: contact.portalUrl });
    });
    this.events.wake();
  }

  /** The peer removed us: the shared key stops working here too. */
  async removeFromPeer(peer: ContactRef): Promise<void> {
    const contact = await this.contacts.findOne({ where: { id: peer.id } });
    if (!contact || contact.status === 'removed') return;
    await this.dataSource.transaction(async (manager) => {
      await manager.update(Contact, { id: contact.id }, { status: 'removed', keyHash: null, keySealed: null, updatedAt: new Date() });
      await this.events.append(manager, 'contact.removed', { contactId: contact.id, portalUrl: contact.portalUrl, by: 'peer' });
    });
    this.events.wake();
  }

  /** The caller's contact, which must be the one we created for this handshake. */
  private async handshakeContact(peer: ContactRef, requestId: string): Promise<Contact> {
    const contact = await this.admission.identify({ contactId: peer.id, contact: peer });
    if (contact.direction !== 'outgoing' || contact.requestId !== requestId) {
      throw new NotFoundException('No contact request with that id for this key');
    }
    return contact;
  }
}
