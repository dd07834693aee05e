import { Inject, Injectable, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThan, type FindOptionsWhere, type Repository } from 'typeorm';
import { RateLimiter } from '../common/rate-limiter';
import { countOrRefuse } from '../common/too-many-requests';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { EventsService } from '../events/events.service';
import type {
  GuestbookEntryCreateDto,
  GuestbookEntryCreatedDto,
  GuestbookEntryResponseDto,
  GuestbookListQueryDto,
  GuestbookListResponseDto,
} from './dto/guestbook.dto';
import { GuestbookEntry } from './entities/guestbook-entry.entity';

const DEFAULT_PAGE = 50;

@Injectable()
export class GuestbookService {
  private readonly limiter: RateLimiter;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(GuestbookEntry) private readonly entries: Repository<GuestbookEntry>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
  ) {
    this.limiter = new RateLimiter(config.limits.guestbookMaxPosts, config.limits.guestbookWindowSeconds * 1000);
  }

  /** A visitor's post: size- and rate-limited per client address; the owner's agent gets an event. */
  async post(input: GuestbookEntryCreateDto, clientAddress: string): Promise<GuestbookEntryCreatedDto> {
    const maxChars = this.config.limits.guestbookMaxMessageChars;
    if ([...input.message].length > maxChars) {
      throw new PayloadTooLargeException(`message is longer than ${maxChars} characters`);
    }
    // Only posts that passed the checks above use the address's budget, so this limit stays here.
    countOrRefuse(this.limiter, clientAddress, (wait) => `Too many guestbook messages from this address; try again in ${wait} s`);
    const entry = await this.dataSource.transaction(async (manager) => {
      const saved = await manager.save(
        GuestbookEntry,
        manager.create(GuestbookEntry, { name: input.name, message: input.message, createdAt: new Date(), readAt: null }),
      );
      await this.events.append(manager, 'guestbook.message', {
        entryId: saved.id,
        name: saved.name,
        message: saved.message,
        createdAt: saved.createdAt.toISOString(),
      });
      return saved;
    });
    this.events.wake();
    return { id: entry.id, createdAt: entry.createdAt.toISOString() };
  }

  async list(query: GuestbookListQueryDto): Promise<GuestbookListResponseDto> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const where: FindOptionsWhere<GuestbookEntry> = { id: MoreThan(query.after ?? 0) };
    if (query.unread) where.readAt = IsNull();
    const rows = await this.entries.find({ where, order: { id: 'ASC' }, take: limit });
    return {
      entries: rows.map(toResponse),
      nextAfter: rows.length === limit ? rows[rows.length - 1].id : null,
    };
  }

  async markRead(id: number, read: boolean): Promise<GuestbookEntryResponseDto> {
    const entry = await this.find(id);
    if (read !== (entry.readAt !== null)) {
      entry.readAt = read ? new Date() : null;
      await this.entries.update({ id }, { readAt: entry.readAt });
    }
    return toResponse(entry);
  }

  async remove(id: number): Promise<void> {
    const result = await this.entries.delete({ id });
    if (!result.affected) throw notFound(id);
  }

  private async find(id: number): Promise<GuestbookEntry> {
    const entry = await this.entries.findOne({ where: { id } });
    if (!entry) throw notFound(id);
    return entry;
  }
}

function notFound(id: number): NotFoundException {
  return new NotFoundException(`No guestbook entry with id ${id}`);
}

function toResponse(entry: GuestbookEntry): GuestbookEntryResponseDto {
  return {
    id: entry.id,
    name: entry.name,
    message: entry.message,
    createdAt: entry.createdAt.toISOString(),
    read: entry.readAt !== null,
    readAt: entry.readAt ? entry.readAt.toISOString() : null,
  };
}
