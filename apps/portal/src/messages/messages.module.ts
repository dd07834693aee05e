import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsModule } from '../contacts/contacts.module';
import { EventsModule } from '../events/events.module';
import { FederationModule } from '../federation/federation.module';
import { GovernanceModule } from '../governance/governance.module';
import { Message } from './entities/message.entity';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { ReceiptsController } from './receipts.controller';
import { ReceiptsService } from './receipts.service';

@Module({
  imports: [TypeOrmModule.forFeature([Message]), ContactsModule, FederationModule, GovernanceModule, EventsModule],
  controllers: [MessagesController, ReceiptsController],
  providers: [MessagesService, ReceiptsService],
  exports: [ReceiptsService],
})
export class MessagesModule {}
