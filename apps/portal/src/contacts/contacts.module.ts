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

/**
 * Contacts and the handshake that makes them. Other features use ContactsService (see its doc) and,
 * on their federation routes, @PeerCall() / @CurrentPeer() (which need PeerAdmissionService).
 * Contact keys are resolved for auth through PeerCredentialsService.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Contact, ContactRequest]), AuthModule, FederationModule, EventsModule, ProfileModule],
  controllers: [ContactsController, FederationContactsController],
  providers: [
    ContactsService,
    OutgoingRequestsService,
    ContactRequestsService,
    FederationContactsService,
    ContactOutboxService,
    PeerAdmissionService,
  ],
  exports: [ContactsService, PeerAdmissionService],
})
export class ContactsModule {}
