import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, MoreThan, type Repository } from 'typeorm';
import { Clock } from '../common/clock';
import { formatQuietHours, inQuietHours, quietEndsAt } from '../common/quiet-hours';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { ContactsService } from '../contacts/contacts.service';
import { EventsService } from '../events/events.service';
import {
  REVIEW_PAGE,
  type ReviewActionDto,
  type ReviewActionResultDto,
  type ReviewItemDto,
  type ReviewListQueryDto,
  type ReviewPageDto,
} from './dto/review.dto';
import { InboxItem } from './entities/inbox-item.entity';
import { GovernanceService } from './governance.service';

/**
 * The owner's review queue: messages held for the owner (budget used up) and messages waiting for
 * their wake (quiet hours, coalescing). Listing is for the owner and the agent; releasing (which
 * wakes the agent) and dropping (which never will) are the owner's alone. Nothing leaves the queue
 * without one of them, and the messages stay in the history either way.
 */
@Injectable()
export class ReviewService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(InboxItem) private readonly inbox: Repository<InboxItem>,
    private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
    private readonly events: EventsService,
    private readonly governance: GovernanceService,
    private readonly clock: Clock,
  ) {}

  async list(query: ReviewListQueryDto): Promise<ReviewPageDto> {
    if (query.contactId !== undefined && !(await this.contacts.findById(query.contactId))) {
      throw new NotFoundException(`No contact with id ${query.contactId}`);
    }
    const limit = query.limit ?? REVIEW_PAGE;
    const rows = await this.inbox.find({
      where: {
        state: In(['held', 'pending']),
        ...(query.contactId !== undefined ? { contactId: query.contactId } : {}),
        ...(query.after !== undefined ? { id: MoreThan(query.after) } : {}),
      },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    const quiet = this.quietHours();
    const names = new Map<number, string>();
    const items: ReviewItemDto[] = [];
    for (const row of rows.slice(0, limit)) {
      if (!names.has(row.contactId)) names.set(row.contactId, (await this.contacts.findById(row.contactId))?.agentName ?? '');
      items.push({
        id: row.id,
        contactId: row.contactId,
        contactName: names.get(row.contactId) ?? '',
        messageId: row.refId,
        content: row.preview,
        cut: Boolean(row.previewCut),
        state: row.state === 'held' ? 'held' : 'waiting',
        reason: row.state === 'held' ? 'budget' : quiet.active ? 'quiet_hours' : 'coalescing',
        sentAt: row.sentAt.toISOString(),
        receivedAt: row.createdAt.toISOString(),
      });
    }
    return { items, hasMore: rows.length > limit, quietHours: quiet };
  }

  /** Wakes the agent with the chosen held or waiting messages now (one wake per contact and wake's worth). */
  async release(dto: ReviewActionDto): Promise<ReviewActionResultDto> {
    const rows = await this.choose(dto);
    if (rows.length === 0) return { count: 0, wakes: 0 };
    const byContact = new Map<number, InboxItem[]>();
    for (const row of rows) byContact.set(row.contactId, [...(byContact.get(row.contactId) ?? []), row]);
    const per = this.config.governance.maxMessagesPerWake;
    let wakes = 0;
    const now = this.clock.now();
    await this.dataSource.transaction(async (manager) => {
      for (const [contactId, items] of byContact) {
        const name = (await this.contacts.findById(contactId))?.agentName ?? '';
        for (let start = 0; start < items.length; start += per) {
          await this.governance.wake(manager, contactId, name, 'reply', 'released', items.slice(start, start + per), now);
          wakes++;
        }
      }
    });
    this.events.wake();
    return { count: rows.length, wakes };
  }

  /** The chosen held or waiting messages will wake nobody; they stay in the history. */
  async drop(dto: ReviewActionDto): Promise<ReviewActionResultDto> {
    const rows = await this.choose(dto);
    if (rows.length === 0) return { count: 0, wakes: 0 };
    const result = await this.inbox.update(
      { id: In(rows.map((row) => row.id)), state: In(['held', 'pending']) },
      { state: 'dropped', decidedAt: this.clock.now() },
    );
    return { count: result.affected ?? rows.length, wakes: 0 };
  }

  private async choose(dto: ReviewActionDto): Promise<InboxItem[]> {
    if ((dto.ids === undefined) === (dto.contactId === undefined)) {
      throw new BadRequestException('Give either ids (review item ids) or contactId (all of that contact)');
    }
    if (dto.contactId !== undefined) {
      if (!(await this.contacts.findById(dto.contactId))) throw new NotFoundException(`No contact with id ${dto.contactId}`);
      return this.inbox.find({ where: { contactId: dto.contactId, state: In(['held', 'pending']) }, order: { id: 'ASC' } });
    }
    const ids = [...new Set(dto.ids)];
    const rows = await this.inbox.find({ where: { id: In(ids), state: In(['held', 'pending']) }, order: { id: 'ASC' } });
    if (rows.length !== ids.length) {
      const found = new Set(rows.map((row) => row.id));
      const missing = ids.filter((id) => !found.has(id));
      throw new NotFoundException(`Not in the review queue: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`);
    }
    return rows;
  }

  private quietHours(): ReviewPageDto['quietHours'] {
    const { quietHours, timeZone } = this.config.governance;
    const now = this.clock.now();
    const active = inQuietHours(now, quietHours, timeZone);
    return {
      span: quietHours ? formatQuietHours(quietHours) : null,
      timeZone,
      active,
      endsAt: active ? quietEndsAt(now, quietHours, timeZone).toISOString() : null,
    };
  }
}
