import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { EventsModule } from '../events/events.module';
import { FederationModule } from '../federation/federation.module';
import { ProfileModule } from '../profile/profile.module';
import { ContactOutboxService } from './contact-outbox.service';
import { ContactRequestsService } from './contact-requests.service';
import { ContactsController } from './contacts.controller';
import { ContactsService } from './contacts.service';
import { ContactRequest } from './entities/contact-request.entity';
import { Contact } from './entities/contact.entity';
import { FederationContactsController } from './federation-contacts.controller';
import { FederationContactsService } from './federation-contacts.service';
import { OutgoingRequestsService } from './outgoing-requests.service';
import { PeerAdmissionService } from './peer-admission.service';
import { IdentityModule } from '../identity/identity.module';
import { IdentityController } from './identity.controller';
import { IdentityRotationService } from './identity-rotation.service';
import { PeerKeysService } from './peer-keys.service';
import { PeerRefusalsService } from './peer-refusals.service';

/**
 * Contacts and the handshake that makes them. Other features use ContactsService (see its doc) and,
 * on their federation routes, @PeerCall() / @CurrentPeer() (which need PeerAdmissionService and
 * PeerKeysService: every such call must be signed by the contact's pinned identity key).
 * Contact keys are resolved for auth through PeerCredentialsService.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Contact, ContactRequest]), AuthModule, FederationModule, EventsModule, ProfileModule, IdentityModule],
  controllers: [ContactsController, FederationContactsController, IdentityController],
  providers: [
    ContactsService,
    OutgoingRequestsService,
    ContactRequestsService,
    FederationContactsService,
    ContactOutboxService,
    PeerAdmissionService,
    PeerKeysService,
    PeerRefusalsService,
    IdentityRotationService,
  ],
  exports: [ContactsService, PeerAdmissionService, PeerKeysService],
})
export class ContactsModule {}
