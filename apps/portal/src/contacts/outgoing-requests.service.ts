import { BadRequestException, ConflictException, Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, In, type Repository } from 'typeorm';
import { SECRET_BOX, type SecretBox } from '../common/secret-box';
import { generateContactKey, sha256Hex } from '../common/secrets';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { OutboxService } from '../federation/outbox.service';
import { refusedPeerHost } from '../common/peer-address';
import { normalizePortalUrl } from '../common/portal-url';
import { CONTACT_OUTBOX, importedContact, toContactResponse } from './contact-records';
import type { ContactResponseDto } from './dto/contact.dto';
import { Contact } from './entities/contact.entity';

/** Our side of a handshake we start: the agent or owner asks another Portal to become a contact. */
@Injectable()
export class OutgoingRequestsService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  /** Creates the pending contact and queues the request; the other owner decides later. */
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
        requestState: 'sending' as const,
        requestAttempts: 0,
        requestError: null,
        requestStateAt: now,
        updatedAt: now,
      };
      // A contact imported from v0.9 becomes this handshake's contact, so its history stays with it.
      const imported = await importedContact(manager, portalUrl);
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
}
