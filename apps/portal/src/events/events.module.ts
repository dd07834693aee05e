import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PortalEvent } from './entities/portal-event.entity';
import { EventsService } from './events.service';

@Module({
  imports: [TypeOrmModule.forFeature([PortalEvent])],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
