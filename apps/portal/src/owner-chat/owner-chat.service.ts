import { BadRequestException, Inject, Injectable, PayloadTooLargeException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, LessThan, MoreThan, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { EventsService } from '../events/events.service';
import { FilesService } from '../files/files.service';
import type { OwnerChatAttachmentDto, OwnerChatListQueryDto, OwnerChatMessageResponseDto, OwnerChatPageDto } from './dto/owner-chat.dto';
import { OwnerChatMessage, type OwnerChatRole } from './entities/owner-chat-message.entity';

const DEFAULT_PAGE = 50;

@Injectable()
export class OwnerChatService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(OwnerChatMessage) private readonly messages: Repository<OwnerChatMessage>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly files: FilesService,
  ) {}

  /**
   * Stores a message (text, files, or both) and appends its owner_chat.message event in the same
   * transaction. Attached files must be complete on this Portal; the message keeps their name,
   * size, type and hash as they were.
   */
  async post(role: OwnerChatRole, content: string, fileIds: string[] = []): Promise<OwnerChatMessageResponseDto> {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > this.config.limits.maxMessageBytes) {
      throw new PayloadTooLargeException(`content is ${bytes} bytes; the limit is ${this.config.limits.maxMessageBytes}`);
    }
    if (content.trim() === '' && fileIds.length === 0)
      throw new BadRequestException('content must not be blank (or attach a file with fileIds)');
    const attachments = await this.files.attachable(fileIds);
    const saved = await this.dataSource.transaction(async (manager) => {
      const message = await manager.save(
        OwnerChatMessage,
        manager.create(OwnerChatMessage, {
          id: randomUUID(),
          role,
          content,
          attachments: attachments.length ? JSON.stringify(attachments) : null,
          createdAt: new Date(),
        }),
      );
      await this.events.append(manager, 'owner_chat.message', {
        messageId: message.id,
        role: message.role,
        content: message.content,
        attachments,
        createdAt: message.createdAt.toISOString(),
      });
      return message;
    });
    this.events.wake();
    return this.toResponses([saved]).then(([response]) => response);
  }

  async list(query: OwnerChatListQueryDto): Promise<OwnerChatPageDto> {
    if (query.after !== undefined && query.before !== undefined) {
      throw new BadRequestException('Use either after or before, not both');
    }
    const limit = query.limit ?? DEFAULT_PAGE;
    if (query.after !== undefined) {
      const rows = await this.messages.find({ where: { seq: MoreThan(query.after) }, order: { seq: 'ASC' }, take: limit + 1 });
      return { messages: await this.toResponses(rows.slice(0, limit)), hasMore: rows.length > limit };
    }
    const rows = await this.messages.find({
      where: query.before !== undefined ? { seq: LessThan(query.before) } : {},
      order: { seq: 'DESC' },
      take: limit + 1,
    });
    return { messages: await this.toResponses(rows.slice(0, limit).reverse()), hasMore: rows.length > limit };
  }

  /** Responses for a page, with whether each attached file can still be downloaded (one query). */
  private async toResponses(rows: OwnerChatMessage[]): Promise<OwnerChatMessageResponseDto[]> {
    const attached = rows.map((row) => attachmentsOf(row));
    const available = await this.files.availableAmong(attached.flat().map((attachment) => attachment.fileId));
    return rows.map((message, i) => ({
      id: message.id,
      cursor: Number(message.seq),
      role: message.role,
      content: message.content,
      attachments: attached[i].map((attachment) => ({ ...attachment, available: available.has(attachment.fileId) })),
      createdAt: message.createdAt.toISOString(),
    }));
  }
}

function attachmentsOf(message: OwnerChatMessage): OwnerChatAttachmentDto[] {
  if (!message.attachments) return [];
  try {
    const parsed = JSON.parse(message.attachments) as unknown;
    return Array.isArray(parsed) ? (parsed as OwnerChatAttachmentDto[]) : [];
  } catch {
    return [];
  }
}
