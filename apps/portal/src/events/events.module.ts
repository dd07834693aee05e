import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PortalEvent } from './entities/portal-event.entity';
import { EventAckHooks } from './event-ack-hooks.service';
import { EventsService } from './events.service';

@Module({
  imports: [TypeOrmModule.forFeature([PortalEvent])],
  providers: [EventsService, EventAckHooks],
  exports: [EventsService, EventAckHooks],
})
export class EventsModule {}
