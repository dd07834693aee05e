import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Not, type Repository } from 'typeorm';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../federation/outbox.service';
import { IdentityService } from '../identity/identity.service';
import { Contact } from './entities/contact.entity';

/**
 * A contact's Portal refusing our signed calls (a 401 with a signature or identity code, e.g. it
 * pinned another key for us): recorded on the contact (identity.refusedByPeer) and reported once
 * (contact.identity_refused) while the outbox keeps retrying; cleared when a call goes through.
 */
@Injectable()
export class PeerRefusalsService implements OnModuleInit {
  private readonly logger = new Logger(PeerRefusalsService.name);
  /** Peers known to refuse our calls (so a delivery that goes through clears the mark, without a write per delivery). */
  private readonly refusingPeers = new Set<string>();

  constructor(
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly dataSource: DataSource,
    private readonly identity: IdentityService,
    private readonly events: EventsService,
    private readonly outbox: OutboxService,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const contact of await this.contacts.find({ where: { refusedByPeer: Not(IsNull()) }, select: { portalUrl: true } })) {
      this.refusingPeers.add(contact.portalUrl);
    }
    this.outbox.onSignatureAnswer({
      refused: (peerUrl, code, reason) => this.peerRefusesUs(peerUrl, code, reason),
      accepted: (peerUrl) => (this.refusingPeers.has(peerUrl) ? this.peerAcceptsUs(peerUrl) : Promise.resolve()),
    });
  }

  private async peerRefusesUs(peerUrl: string, code: string, reason: string): Promise<void> {
    const contacts = await this.contacts.find({ where: { portalUrl: peerUrl } });
    const open = contacts.filter((c) => (c.status === 'active' || c.status === 'pending') && c.refusedByPeer === null);
    this.refusingPeers.add(peerUrl);
    if (open.length === 0) return;
    const fingerprint = (await this.identity.identity()).fingerprint;
    const now = new Date();
    await this.dataSource.transaction(async (manager) => {
      for (const contact of open) {
        const changed = await manager.update(
          Contact,
          { id: contact.id, refusedByPeer: IsNull() },
          { refusedByPeer: `${code}: ${reason}`.slice(0, 500), refusedByPeerAt: now },
        );
        if (!changed.affected) continue;
        await this.events.append(manager, 'contact.identity_refused', {
          contactId: contact.id,
          portalUrl: peerUrl,
          code,
          reason: reason.slice(0, 500),
          fingerprint,
        });
      }
    });
    this.events.wake();
    this.logger.warn(`${peerUrl} refuses this Portal's signed calls (${code}); deliveries keep retrying`);
  }

  private async peerAcceptsUs(peerUrl: string): Promise<void> {
    this.refusingPeers.delete(peerUrl);
    await this.contacts.update({ portalUrl: peerUrl, refusedByPeer: Not(IsNull()) }, { refusedByPeer: null, refusedByPeerAt: null });
  }
}
