import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock } from '../common/clock';
import { ContactsModule } from '../contacts/contacts.module';
import { EventsModule } from '../events/events.module';
import { AgentWake } from './entities/agent-wake.entity';
import { InboxItem } from './entities/inbox-item.entity';
import { GovernanceService } from './governance.service';
import { ReviewController } from './review.controller';
import { ReviewService } from './review.service';

/** What stands between a received message and a wake of the agent: tiers, budgets, coalescing, quiet hours, the owner's review. */
@Module({
  imports: [TypeOrmModule.forFeature([InboxItem, AgentWake]), ContactsModule, EventsModule],
  controllers: [ReviewController],
  providers: [Clock, GovernanceService, ReviewService],
  exports: [GovernanceService],
})
export class GovernanceModule {}
