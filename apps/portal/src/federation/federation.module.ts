import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module';
import { IdentityModule } from '../identity/identity.module';
import { OutboxItem } from './entities/outbox-item.entity';
import { OutboxService } from './outbox.service';
import { PeerClient } from './peer-client';

/** Outbound calls to peer Portals and the durable outbox that makes them. */
@Module({
  imports: [TypeOrmModule.forFeature([OutboxItem]), EventsModule, IdentityModule],
  providers: [PeerClient, OutboxService],
  exports: [PeerClient, OutboxService],
})
export class FederationModule {}
