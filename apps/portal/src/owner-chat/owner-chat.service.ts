import { BadRequestException, Inject, Injectable, PayloadTooLargeException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, LessThan, MoreThan, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import type { OwnerChatMessagePayloadDto } from '../events/dto/event-payloads.dto';
import { EventsService } from '../events/events.service';
import type { OwnerChatListQueryDto, OwnerChatMessageResponseDto, OwnerChatPageDto } from './dto/owner-chat.dto';
import { OwnerChatMessage, type OwnerChatRole } from './entities/owner-chat-message.entity';

const DEFAULT_PAGE = 50;

@Injectable()
export class OwnerChatService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(OwnerChatMessage) private readonly messages: Repository<OwnerChatMessage>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
  ) {}

  /** Stores a message and appends its owner_chat.message event in the same transaction. */
  async post(role: OwnerChatRole, content: string): Promise<OwnerChatMessageResponseDto> {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > this.config.limits.maxMessageBytes) {
      throw new PayloadTooLargeException(`content is ${bytes} bytes; the limit is ${this.config.limits.maxMessageBytes}`);
    }
    const saved = await this.dataSource.transaction(async (manager) => {
      const message = await manager.save(
        OwnerChatMessage,
        manager.create(OwnerChatMessage, { id: randomUUID(), role, content, createdAt: new Date() }),
      );
      await this.events.append<OwnerChatMessagePayloadDto>(manager, 'owner_chat.message', {
        messageId: message.id,
        role: message.role,
        content: message.content,
        createdAt: message.createdAt.toISOString(),
      });
      return message;
    });
    this.events.wake();
    return toResponse(saved);
  }

  async list(query: OwnerChatListQueryDto): Promise<OwnerChatPageDto> {
    if (query.after !== undefined && query.before !== undefined) {
      throw new BadRequestException('Use either after or before, not both');
    }
    const limit = query.limit ?? DEFAULT_PAGE;
    if (query.after !== undefined) {
      const rows = await this.messages.find({ where: { seq: MoreThan(query.after) }, order: { seq: 'ASC' }, take: limit + 1 });
      return { messages: rows.slice(0, limit).map(toResponse), hasMore: rows.length > limit };
    }
    const rows = await this.messages.find({
      where: query.before !== undefined ? { seq: LessThan(query.before) } : {},
      order: { seq: 'DESC' },
      take: limit + 1,
    });
    return { messages: rows.slice(0, limit).reverse().map(toResponse), hasMore: rows.length > limit };
  }
}

function toResponse(message: OwnerChatMessage): OwnerChatMessageResponseDto {
  return {
    id: message.id,
    cursor: Number(message.seq),
    role: message.role,
    content: message.content,
    createdAt: message.createdAt.toISOString(),
  };
}
