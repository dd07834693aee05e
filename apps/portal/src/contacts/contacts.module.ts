import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module';
import { FederationModule } from '../federation/federation.module';
import { ProfileModule } from '../profile/profile.module';
import { ContactsController } from './contacts.controller';
import { ContactsService } from './contacts.service';
import { ContactRequest } from './entities/contact-request.entity';
import { Contact } from './entities/contact.entity';
import { FederationContactsController } from './federation-contacts.controller';

@Module({
  imports: [TypeOrmModule.forFeature([Contact, ContactRequest]), FederationModule, EventsModule, ProfileModule],
  controllers: [ContactsController, FederationContactsController],
  providers: [ContactsService],
  exports: [ContactsService],
})
export class ContactsModule {}
