import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AgentPresenceService } from './agent-presence.service';
import { EventAckDispatcher } from './event-ack-dispatcher.service';
import { AgentStatusController } from './agent-status.controller';
import { EventAcksService } from './event-acks.service';
import { EventCursorService } from './event-cursor.service';
import { EventsController } from './events.controller';
import { EventsGateway } from './events.gateway';
import { EventsModule } from './events.module';

/**
 * The readers of the event log: WS /ws and GET /api/events. Kept apart from EventsModule (the log
 * itself, which every producer imports) so that producers never depend on auth.
 */
@Module({
  imports: [EventsModule, AuthModule],
  controllers: [EventsController, AgentStatusController],
  providers: [AgentPresenceService, EventAcksService, EventAckDispatcher, EventCursorService, EventsGateway],
})
export class EventStreamModule {}
