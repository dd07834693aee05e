import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  type OnModuleInit,
  PayloadTooLargeException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Brackets, DataSource, type EntityManager, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { type ContactRef, ContactsService, requireActivePeer } from '../contacts/contacts.service';
import { GroupCommit } from '../database/group-commit';
import { RawSql } from '../database/raw-sql';
import { EventsService } from '../events/events.service';
import { GovernanceService } from '../governance/governance.service';
import { type OutboxBatcher, type OutboxItem, OutboxService, type PeerRequest } from '../federation/outbox.service';
import type {
  FederationMessageBatchDto,
  FederationMessageBatchResponseDto,
  FederationMessageDto,
  FederationMessageReceiptDto,
  MessageCreateDto,
  MessageListQueryDto,
  MessagePageDto,
  MessageResponseDto,
} from './dto/message.dto';
import { Message } from './entities/message.entity';
import { splitBatchAnswer } from './message-batch-answer';
import { ReceiptsService } from './receipts.service';

export const MESSAGE_OUTBOX = 'message';

interface IncomingMessage {
  contact: ContactRef;
  dto: FederationMessageDto;
}
interface OutgoingMessage {
  contact: ContactRef;
  id: string;
  content: string;
}
const DEFAULT_PAGE = 50;

@Injectable()
export class MessagesService implements OnModuleInit {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly governance: GovernanceService,
    private readonly receipts: ReceiptsService,
  ) {
    this.sql = new RawSql(dataSource);
    this.incoming = new GroupCommit(
      (batch) => this.storeIncoming(batch),
      async (one) => (await this.storeIncoming([one]))[0],
    );
    this.outgoing = new GroupCommit(
      (batch) => this.storeOutgoing(batch),
      async (one) => (await this.storeOutgoing([one]))[0],
    );
  }

  private readonly sql: RawSql;
  private readonly incoming: GroupCommit<IncomingMessage, FederationMessageReceiptDto>;
  private readonly outgoing: GroupCommit<OutgoingMessage, Message>;

  onModuleInit(): void {
    const batch: OutboxBatcher = {
      maxItems: this.config.outbox.batchItems,
      build: (items) => this.buildBatch(items),
      split: (response, items) => splitBatchAnswer(response, items),
    };
    this.outbox.registerHandler(
      MESSAGE_OUTBOX,
      {
        buildRequest: async (item) => {
          const target = item.contactId === null ? null : await this.contacts.outboundFor(item.contactId);
          if (!target) return null;
          const rows = (await this.dataSource.query(this.sql.text('SELECT content, sent_at AS "sentAt" FROM messages WHERE id = ?'), [
            item.refId,
          ])) as Array<{ content: string; sentAt: Date | string }>;
          if (rows.length === 0) return null;
          return {
            portalUrl: target.portalUrl,
            method: 'POST',
            path: '/api/federation/messages',
            key: target.key,
            body: { id: item.refId, content: rows[0].content, type: 'text', sentAt: this.sql.readDate(rows[0].sentAt).toISOString() },
          };
        },
        onDelivered: (manager, item) => this.markDelivered(manager, [item]),
        onDeliveredMany: (manager, items) => this.markDelivered(manager, items),
        onFailed: async (manager, item, reason) => {
          await manager.query(this.sql.text("UPDATE messages SET status = 'failed' WHERE id = ?"), [item.refId]);
          await this.events.append(manager, 'message.failed', {
            messageId: item.refId!,
            contactId: item.contactId!,
            error: reason,
            attempts: item.attempts,
          });
        },
      },
      { batch },
    );
  }

  /** These messages reached their contact: marked delivered in one statement, with a message.delivered event for each. */
  private async markDelivered(manager: EntityManager, items: OutboxItem[]): Promise<void> {
    const deliveredAt = new Date();
    const at = this.sql.date(deliveredAt);
    // A receipt may have come first (the answer to the delivery was lost): the stage never moves back,
    // and only a message still unseen owes a not-confirmed notice later.
    const due = this.sql.date(new Date(deliveredAt.getTime() + this.config.limits.receiptUnconfirmedSeconds * 1000));
    const ids = items.map((item) => item.refId!);
    await manager.query(
      this.sql.text(
        "UPDATE messages SET status = 'delivered', delivered_at = ?, stage = CASE WHEN stage = 'queued' THEN 'delivered' ELSE stage END, " +
          "stage_at = CASE WHEN stage = 'queued' THEN ? ELSE stage_at END, notice_due_at = CASE WHEN stage = 'queued' THEN ? ELSE notice_due_at END " +
          `WHERE id IN (${ids.map(() => '?').join(', ')})`,
      ),
      [at, at, due, ...ids],
    );
    await this.events.appendMany(
      manager,
      items.map((item) => ({
        type: 'message.delivered' as const,
        payload: { messageId: item.refId!, contactId: item.contactId!, deliveredAt: deliveredAt.toISOString() },
      })),
    );
  }

  /**
   * The call for a run of queued messages to one contact: as many as fit in batchBytes (at least
   * one), oldest first. Null when the contact is gone or a message is missing (sent singly, the
   * single path gives each its outcome).
   */
  private async buildBatch(items: OutboxItem[]): Promise<{ request: PeerRequest; count: number } | null> {
    const target = items[0].contactId === null ? null : await this.contacts.outboundFor(items[0].contactId);
    if (!target) return null;
    const ids = items.map((item) => item.refId);
    const rows = (await this.dataSource.query(
      this.sql.text(`SELECT id, content, sent_at AS "sentAt" FROM messages WHERE id IN (${ids.map(() => '?').join(', ')})`),
      ids,
    )) as Array<{ id: string; content: string; sentAt: Date | string }>;
    const byId = new Map(rows.map((row) => [row.id, row]));
    const messages: FederationMessageDto[] = [];
    let bytes = 0;
    for (const item of items) {
      const row = item.refId ? byId.get(item.refId) : undefined;
      if (!row) break;
      const size = Buffer.byteLength(row.content, 'utf8') + 100;
      if (messages.length > 0 && bytes + size > this.config.outbox.batchBytes) break;
      bytes += size;
      messages.push({ id: row.id, content: row.content, type: 'text', sentAt: this.sql.readDate(row.sentAt).toISOString() });
    }
    if (messages.length === 0) return null;
    return {
      request: { portalUrl: target.portalUrl, method: 'POST', path: '/api/federation/messages/batch', key: target.key, body: { messages } },
      count: messages.length,
    };
  }

  /**
   * Stores the message and its delivery in one transaction; delivery happens in the background.
   * Sends that arrive together share one transaction (group commit): each is answered after the
   * commit that holds it, and a batch that fails is retried one send at a time, so one bad send
   * fails alone.
   */
  async send(dto: MessageCreateDto): Promise<MessageResponseDto> {
    this.checkSize(dto.content);
    if (dto.id) {
      const existing = await this.findById(dto.id);
      if (existing) return this.replay(existing, dto);
    }
    const contact = await this.contacts.getActive(dto.contactId);
    let message: Message;
    try {
      message = await this.outgoing.submit({ contact, id: dto.id ?? randomUUID(), content: dto.content });
    } catch (error) {
      // Two sends with the same id at the same moment: the loser answers like a replay.
      const raced = dto.id ? await this.findById(dto.id) : null;
      if (raced) return this.replay(raced, dto);
      throw error;
    }
    this.outbox.wake();
    return this.toResponse(message, true);
  }

  /**
   * Writes outgoing messages and their outbox items in one transaction, in plain SQL (the hot path
   * of sending). Messages commit in seq order, so history readers following `after=` never skip
   * one, and the outbox items (drawn after them, under the same lock) deliver in the order history
   * shows.
   */
  private async storeOutgoing(batch: OutgoingMessage[]): Promise<Message[]> {
    return this.dataSource.transaction(async (manager) => {
      await this.sql.holdCommitOrder(manager, 'messages');
      const stored: Message[] = [];
      for (const { contact, id, content } of batch) {
        const now = new Date();
        const rows = (await manager.query(
          this.sql.text(
            `INSERT INTO messages (id, contact_id, direction, remote_id, content, status, sent_at, created_at, delivered_at, stage, stage_at)
             VALUES (?, ?, 'out', NULL, ?, 'queued', ?, ?, NULL, 'queued', ?) RETURNING seq`,
          ),
          [id, contact.id, content, this.sql.date(now), this.sql.date(now), this.sql.date(now)],
        )) as Array<{ seq: number | string }>;
        await this.outbox.enqueue(manager, { kind: MESSAGE_OUTBOX, peerUrl: contact.portalUrl, contactId: contact.id, refId: id });
        stored.push({
          seq: Number(rows[0].seq),
          id,
          contactId: contact.id,
          direction: 'out',
          remoteId: null,
          content,
          status: 'queued',
          sentAt: now,
          createdAt: now,
          deliveredAt: null,
          stage: 'queued',
          stageAt: now,
          noticeDueAt: null,
          unconfirmedAt: null,
        });
      }
      // A reply: what we had of theirs is answered (its receipts go after these messages).
      for (const contactId of new Set(batch.map((entry) => entry.contact.id))) await this.receipts.markAnsweredIn(manager, contactId);
      return stored;
    });
  }

  private findById(id: string): Promise<Message | null> {
    return this.messages.findOne({ where: { id } });
  }

  async get(id: string): Promise<MessageResponseDto> {
    const message = await this.findById(id);
    if (!message) throw new NotFoundException(`No message with id ${id}`);
    return this.toResponse(message);
  }

  async list(query: MessageListQueryDto): Promise<MessagePageDto> {
    if (query.after !== undefined && query.before !== undefined) {
      throw new BadRequestException('Use either after or before, not both');
    }
    const limit = query.limit ?? DEFAULT_PAGE;
    const builder = this.messages.createQueryBuilder('m');
    if (query.contactId !== undefined) {
      if (!(await this.contacts.findById(query.contactId))) throw new NotFoundException(`No contact with id ${query.contactId}`);
      builder.andWhere('m.contact_id = :contactId', { contactId: query.contactId });
    }
    if (query.q) {
      const pattern = `%${query.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      builder.andWhere(new Brackets((w) => w.where("LOWER(m.content) LIKE :pattern ESCAPE '\\'", { pattern })));
    }
    const ascending = query.after !== undefined;
    if (query.after !== undefined) builder.andWhere('m.seq > :after', { after: query.after });
    if (query.before !== undefined) builder.andWhere('m.seq < :before', { before: query.before });
    const rows = await builder
      .orderBy('m.seq', ascending ? 'ASC' : 'DESC')
      .take(limit + 1)
      .getMany();
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    if (!ascending) page.reverse();
    return { messages: await Promise.all(page.map((m) => this.toResponse(m))), hasMore };
  }

  /** A message from a contact (admitted by @PeerCall()). Redelivery of the same id is answered like the first time. */
  async receive(contact: ContactRef, dto: FederationMessageDto): Promise<FederationMessageReceiptDto> {
    requireActivePeer(contact);
    this.checkSize(dto.content);
    const receipt = await this.incoming.submit({ contact, dto });
    if (!receipt.duplicate) this.stored();
    return receipt;
  }

  /**
   * Several messages from a contact in one call, stored in order in one transaction. Each keeps its
   * own id and de-duplication; one that is too large is refused on its own, the others are stored.
   */
  async receiveBatch(contact: ContactRef, dto: FederationMessageBatchDto): Promise<FederationMessageBatchResponseDto> {
    requireActivePeer(contact);
    const limit = this.config.limits.maxMessageBytes;
    const accepted: IncomingMessage[] = [];
    const refused = new Map<number, FederationMessageBatchResponseDto['results'][number]>();
    dto.messages.forEach((message, index) => {
      const bytes = Buffer.byteLength(message.content, 'utf8');
      if (bytes > limit) {
        refused.set(index, { id: message.id, error: { statusCode: 413, message: `content is ${bytes} bytes; the limit is ${limit}` } });
      } else {
        accepted.push({ contact, dto: message });
      }
    });
    const receipts = accepted.length > 0 ? await this.storeIncoming(accepted) : [];
    if (receipts.some((receipt) => !receipt.duplicate)) this.stored();
    let next = 0;
    return { results: dto.messages.map((_, index) => refused.get(index) ?? receipts[next++]) };
  }

  /**
   * Stores received messages, many per transaction when they arrive together (group commit), in
   * plain SQL (see RawSql): this is the hot path of federation. The unique (contact, sender id)
   * index makes redelivery harmless, also within one batch.
   */
  private async storeIncoming(batch: IncomingMessage[]): Promise<FederationMessageReceiptDto[]> {
    const receipts = await this.dataSource.transaction(async (manager) => {
      await this.sql.holdCommitOrder(manager, 'messages');
      const out: FederationMessageReceiptDto[] = [];
      for (const { contact, dto } of batch) {
        const now = new Date();
        const sentAt = new Date(dto.sentAt);
        const id = randomUUID();
        const inserted = (await manager.query(
          this.sql.text(
            `INSERT INTO messages (id, contact_id, direction, remote_id, content, status, sent_at, created_at, delivered_at, stage, stage_at)
             VALUES (?, ?, 'in', ?, ?, 'received', ?, ?, ?, 'delivered', ?)
             ON CONFLICT (contact_id, remote_id) DO NOTHING RETURNING seq`,
          ),
          [id, contact.id, dto.id, dto.content, this.sql.date(sentAt), this.sql.date(now), this.sql.date(now), this.sql.date(now)],
        )) as unknown[];
        if (inserted.length === 0) {
          const rows = (await manager.query(
            this.sql.text('SELECT created_at AS "createdAt" FROM messages WHERE contact_id = ? AND remote_id = ?'),
            [contact.id, dto.id],
          )) as Array<{ createdAt: Date | string }>;
          out.push({ id: dto.id, receivedAt: this.sql.readDate(rows[0].createdAt).toISOString(), duplicate: true });
          continue;
        }
        await this.governance.enqueueMessage(manager, {
          contactId: contact.id,
          messageId: id,
          content: dto.content,
          sentAt,
          receivedAt: now,
        });
        await this.events.append(manager, 'message.received', {
          messageId: id,
          contactId: contact.id,
          contactName: contact.agentName,
          content: dto.content,
          sentAt: sentAt.toISOString(),
          receivedAt: now.toISOString(),
        });
        out.push({ id: dto.id, receivedAt: now.toISOString(), duplicate: false });
      }
      return out;
    });
    return receipts;
  }

  /** New messages are committed: readers of the event log and governance look now. */
  private stored(): void {
    this.events.wake();
    this.governance.poke();
  }

  private async replay(existing: Message, dto: MessageCreateDto): Promise<MessageResponseDto> {
    if (existing.direction !== 'out' || existing.contactId !== dto.contactId || existing.content !== dto.content) {
      throw new ConflictException(`Message id ${existing.id} was already used for a different message`);
    }
    return this.toResponse(existing);
  }

  private checkSize(content: string): void {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > this.config.limits.maxMessageBytes) {
      throw new PayloadTooLargeException(`content is ${bytes} bytes; the limit is ${this.config.limits.maxMessageBytes}`);
    }
  }

  private async toResponse(message: Message, justQueued = false): Promise<MessageResponseDto> {
    const delivery = message.direction === 'out' && !justQueued ? await this.outbox.deliveryState(MESSAGE_OUTBOX, message.id) : null;
    return {
      id: message.id,
      cursor: Number(message.seq),
      contactId: message.contactId,
      direction: message.direction,
      content: message.content,
      status: message.status,
      attempts: delivery?.attempts ?? 0,
      lastError: delivery?.lastError ?? null,
      nextAttemptAt: message.status === 'queued' ? (delivery?.nextAttemptAt ?? null) : null,
      sentAt: message.sentAt.toISOString(),
      createdAt: message.createdAt.toISOString(),
      deliveredAt: message.deliveredAt ? message.deliveredAt.toISOString() : null,
      stage: message.stage,
      stageAt: message.stageAt ? message.stageAt.toISOString() : null,
    };
  }
}
