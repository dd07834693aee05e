import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Principal } from '../auth/auth.decorator';
import type { PeerIdentity } from '../auth/peer-credentials.service';
import { RateLimiter } from '../common/rate-limiter';
import { countOrRefuse } from '../common/too-many-requests';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { OutboxService } from '../federation/outbox.service';
import { Contact } from './entities/contact.entity';

/** A contact as the auth guard saw it on a federation call. */
export interface ContactCaller {
  contactId: number;
  /** The contact as the guard loaded it (saves a second look-up). */
  contact?: PeerIdentity;
}

/** The contact behind a federation call (the auth guard admitted only contact keys there). */
export function contactCaller(principal: Principal | undefined): ContactCaller {
  if (principal?.kind !== 'contact') throw new Error('federation route reached without a contact principal');
  return { contactId: principal.contactId, contact: principal.contact };
}

/**
 * Admission of peer calls: every authenticated federation call (see @PeerCall()) passes here once,
 * before its input is read.
 */
@Injectable()
export class PeerAdmissionService {
  private readonly contactLimiter: RateLimiter;

  constructor(
    @Inject(PORTAL_CONFIG) config: PortalConfig,
    @InjectRepository(Contact) private readonly contacts: Repository<Contact>,
    private readonly outbox: OutboxService,
  ) {
    this.contactLimiter = new RateLimiter(config.limits.contactRequestsPerMinute, 60_000);
  }

  /**
   * Enforces the per-contact rate, and since the peer is evidently up, retries what we owe it at
   * once (and soon what it had no room for). Answers the caller's contact.
   */
  async admit(caller: ContactCaller): Promise<Contact> {
    countOrRefuse(this.contactLimiter, String(caller.contactId), (wait) => `Too many requests from this contact; retry in ${wait} s`);
    const contact = await this.identify(caller);
    void this.outbox.peerCalled(contact.portalUrl).catch(() => undefined);
    return contact;
  }

  /** The caller's contact record: the one the key look-up loaded, or a fresh read. */
  async identify(caller: ContactCaller): Promise<Contact> {
    const known = caller.contact instanceof Contact ? caller.contact : null;
    const contact = known ?? (await this.contacts.findOne({ where: { id: caller.contactId } }));
    if (!contact) throw new ForbiddenException('Unknown contact');
    return contact;
  }
}
