import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../federation/outbox.service';
import { IdentityService } from '../identity/identity.service';
import type { IdentityRotationResponseDto } from '../common/identity.dto';
import { CONTACT_OUTBOX } from './contact-records';
import { Contact } from './entities/contact.entity';

/**
 * Rotating this Portal's identity key: a new key becomes current, and every contact that can still
 * hear from us (pending or active) gets a notice signed by the old key, queued in the same
 * transaction (a contact that is down gets it when it is back; until then it follows the rotation
 * chain in our well-known document on our first call signed with the new key).
 */
@Injectable()
export class IdentityRotationService {
  constructor(
    private readonly identity: IdentityService,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
  ) {}

  async rotate(): Promise<IdentityRotationResponseDto> {
    let notified = 0;
    const rotation = await this.identity.rotate(async (manager, rotated) => {
      const contacts = await manager.find(Contact, { where: { status: In(['pending', 'active']) } });
      for (const contact of contacts) {
        if (!contact.keySealed) continue;
        await this.outbox.enqueue(manager, {
          kind: CONTACT_OUTBOX.rotation,
          peerUrl: contact.portalUrl,
          contactId: contact.id,
          refId: rotated.to.keyId,
        });
        notified += 1;
      }
    });
    this.outbox.wake();
    this.events.wake();
    return { identity: await this.identity.describe(), previousFingerprint: rotation.from.fingerprint, contactsNotified: notified };
  }
}
