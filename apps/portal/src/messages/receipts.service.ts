import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, LessThanOrEqual, Not } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { type ContactRef, ContactsService, requireActivePeer } from '../contacts/contacts.service';
import { RawSql } from '../database/raw-sql';
import { EventAckHooks, type AckedRange } from '../events/event-ack-hooks.service';
import { type EventPayloadOf, type EventType, EventsService } from '../events/events.service';
import {
  type OutboxBatcher,
  type OutboxEntry,
  type OutboxItem,
  OutboxService,
  type PeerRequest,
  type PeerResponse,
} from '../federation/outbox.service';
import { GovernanceService } from '../governance/governance.service';
import { BackgroundHealth } from '../health/background-health.service';
import {
  type FederationReceiptBatchDto,
  type FederationReceiptBatchResponseDto,
  type FederationReceiptDto,
  MAX_FEDERATION_RECEIPTS,
  type ReceiptStage,
} from './dto/receipt.dto';
import { Message, type MessageStage } from './entities/message.entity';

export const RECEIPT_OUTBOX = 'message.receipt';

/**
 * The events that carry incoming messages to the agent, and the local message ids each carries:
 * an agent key acking one means the agent was woken with those messages (the Bridge acks only after
 * the gateway accepted the wake). Governance's agent.wake is the one carrier: message.received is a
 * record that wakes nobody.
 */
export const SEEN_CARRIERS: Partial<Record<EventType, (payload: Record<string, unknown>) => string[]>> = {
  'agent.wake': (payload) =>
    (Array.isArray(payload.messages) ? (payload.messages as Array<{ messageId?: unknown }>) : [])
      .map((message) => message?.messageId)
      .filter((id): id is string => typeof id === 'string'),
};

/** Stages only move forward, in this order. */
const STAGE_RANK: Record<MessageStage, number> = { queued: 0, delivered: 1, held: 2, seen: 3, answered: 4 };
const CHUNK = 200;
/** The /health name of the sweep. */
const SWEEP_JOB = 'receipt-sweep';

/** What advancing an incoming message needs to know of it. */
type IncomingRow = Pick<Message, 'id' | 'contactId' | 'remoteId' | 'stage'>;
type OutgoingRow = Pick<Message, 'id' | 'contactId' | 'direction' | 'stage' | 'unconfirmedAt' | 'deliveredAt' | 'sentAt'>;

interface ReceiptPayload {
  messageId: string;
  stage: ReceiptStage;
  at: string;
}

/**
 * Receipts, Portal to Portal. As receiver: our agent's progress with a contact's messages (seen,
 * held, answered) is recorded on the incoming message and reported to the sender's Portal through
 * the outbox (durable, many receipts per call). As sender: receipts from a contact move our messages
 * forward (`message.receipt`), and a delivered message that stays unseen gives one
 * `message.unconfirmed` (a background sweep).
 */
@Injectable()
export class ReceiptsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReceiptsService.name);
  private readonly sql: RawSql;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly ackHooks: EventAckHooks,
    private readonly health: BackgroundHealth,
    private readonly governance: GovernanceService,
  ) {
    this.sql = new RawSql(dataSource);
  }

  onModuleInit(): void {
    // Messages governance holds for the owner's review: the sender sees "held".
    this.governance.listen({ held: (ids) => this.markHeld(ids).then(() => undefined) });
    const batch: OutboxBatcher = {
      maxItems: MAX_FEDERATION_RECEIPTS,
      build: async (items) => {
        const request = await this.requestFor(items);
        return request ? { request, count: items.length } : null;
      },
      split: (response, items) => splitReceiptAnswer(response, items),
    };
    this.outbox.registerHandler(
      RECEIPT_OUTBOX,
      {
        buildRequest: (item) => this.requestFor([item]),
        // Receipts are best effort once given up (an older peer without the route answers 404): nothing to record.
        onDelivered: async () => undefined,
        onFailed: async () => undefined,
      },
      { batch },
    );
    this.ackHooks.onAcked((range) => this.seenFromAcks(range));
  }

  onApplicationBootstrap(): void {
    const everyMs = Math.min(60_000, Math.max(250, (this.config.limits.receiptUnconfirmedSeconds * 1000) / 4));
    this.sweepTimer = setInterval(() => void this.sweepUnconfirmed(), everyMs);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  // ---- receiver side: what our agent did with a contact's messages ----------------------------

  /** Our agent was woken with these incoming messages. Returns how many moved forward. */
  markSeen(localMessageIds: string[]): Promise<number> {
    return this.advanceIncoming(localMessageIds, 'seen');
  }

  /** These incoming messages wait for our owner. Returns how many moved forward. */
  markHeld(localMessageIds: string[]): Promise<number> {
    return this.advanceIncoming(localMessageIds, 'held');
  }

  /** Our agent replied to this contact: what it had of theirs (delivered or seen, not held) is answered. */
  async markAnswered(contactId: number): Promise<number> {
    const count = await this.dataSource.transaction((manager) => this.markAnsweredIn(manager, contactId));
    if (count > 0) this.outbox.wake();
    return count;
  }

  /** markAnswered inside the caller's transaction (the reply's own); the caller wakes the outbox after the commit. */
  async markAnsweredIn(manager: EntityManager, contactId: number): Promise<number> {
    // Runs on every send: plain SQL that the (contact, direction, stage) index answers, ordered here.
    const rows = (await manager.query(
      this.sql.text(
        `SELECT seq, id, contact_id AS "contactId", remote_id AS "remoteId", stage FROM messages
         WHERE contact_id = ? AND direction = 'in' AND stage IN ('delivered', 'seen')`,
      ),
      [contactId],
    )) as Array<IncomingRow & { seq: number | string }>;
    if (rows.length === 0) return 0;
    rows.sort((a, b) => Number(a.seq) - Number(b.seq));
    return this.advanceRows(manager, rows, 'answered');
  }

  /** Acks by an agent key: the carrier events in the acked range make their messages seen. */
  private async seenFromAcks(range: AckedRange): Promise<void> {
    const types = Object.keys(SEEN_CARRIERS) as EventType[];
    let after = range.afterSeq;
    for (;;) {
      const events = await this.events.listOfTypes(types, after, range.uptoSeq, CHUNK);
      if (events.length === 0) return;
      const ids = events.flatMap((event) => SEEN_CARRIERS[event.type]?.(event.payload) ?? []);
      if (ids.length > 0) await this.markSeen(ids);
      if (events.length < CHUNK) return;
      after = events[events.length - 1].seq;
    }
  }

  private async advanceIncoming(localMessageIds: string[], stage: MessageStage): Promise<number> {
    const ids = [...new Set(localMessageIds)];
    let moved = 0;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      moved += await this.dataSource.transaction(async (manager) => {
        const rows = (await manager.query(
          this.sql.text(
            `SELECT seq, id, contact_id AS "contactId", remote_id AS "remoteId", stage FROM messages
             WHERE direction = 'in' AND id IN (${chunk.map(() => '?').join(', ')})`,
          ),
          chunk,
        )) as Array<IncomingRow & { seq: number | string }>;
        rows.sort((a, b) => Number(a.seq) - Number(b.seq));
        return this.advanceRows(manager, rows, stage);
      });
    }
    if (moved > 0) this.outbox.wake();
    return moved;
  }

  /**
   * Moves incoming messages (oldest first) forward to `stage` and owes each sender a receipt
   * (active contacts only). One conditional update for the lot: a row another writer moved as far
   * meanwhile is left alone and owes nothing.
   */
  private async advanceRows(manager: EntityManager, rows: IncomingRow[], stage: MessageStage): Promise<number> {
    const lower = stagesBelow(stage);
    const candidates = rows.filter((row) => STAGE_RANK[row.stage] < STAGE_RANK[stage]);
    if (candidates.length === 0) return 0;
    const now = new Date();
    const updated = this.sql.returned<{ id: string }>(
      await manager.query(
        this.sql.text(
          `UPDATE messages SET stage = ?, stage_at = ?
         WHERE id IN (${candidates.map(() => '?').join(', ')}) AND stage IN (${lower.map(() => '?').join(', ')}) RETURNING id`,
        ),
        [stage, this.sql.date(now), ...candidates.map((row) => row.id), ...lower],
      ),
    );
    const moved = new Set(updated.map((row) => row.id));
    // Only contacts we can still write to are owed a receipt (active, with a key).
    const targets = new Map<number, { portalUrl: string } | null>();
    const owed: OutboxEntry[] = [];
    for (const row of candidates) {
      if (!moved.has(row.id) || !row.remoteId) continue; // imported history: no sender to tell
      if (!targets.has(row.contactId)) targets.set(row.contactId, await this.contacts.outboundFor(row.contactId));
      const contact = targets.get(row.contactId);
      if (!contact) continue;
      const payload: ReceiptPayload = { messageId: row.remoteId, stage: stage as ReceiptStage, at: now.toISOString() };
      owed.push({ kind: RECEIPT_OUTBOX, peerUrl: contact.portalUrl, contactId: row.contactId, refId: row.id, payload });
    }
    await this.outbox.enqueueMany(manager, owed);
    return moved.size;
  }

  /** The call carrying these receipt items (all to one contact); null when the contact is gone. */
  private async requestFor(items: OutboxItem[]): Promise<PeerRequest | null> {
    const target = items[0].contactId === null ? null : await this.contacts.outboundFor(items[0].contactId);
    if (!target) return null;
    const receipts = items.map((item) => JSON.parse(item.payload) as ReceiptPayload);
    return { portalUrl: target.portalUrl, method: 'POST', path: '/api/federation/receipts', key: target.key, body: { items: receipts } };
  }

  // ---- sender side: what a contact reports about our messages --------------------------------

  /**
   * Receipts from a contact (admitted by @PeerCall()): only messages we sent to that contact move,
   * and only forward; anything else is answered `unknown` or `unchanged` and ignored.
   */
  async receive(peer: ContactRef, dto: FederationReceiptBatchDto): Promise<FederationReceiptBatchResponseDto> {
    requireActivePeer(peer);
    const ids = [...new Set(dto.items.map((item) => item.messageId))];
    const results = await this.dataSource.transaction(async (manager) => {
      const byId = await this.outgoingOf(manager, peer.id, ids);
      const out: FederationReceiptBatchResponseDto['results'] = [];
      // Moves with the same stage and time (a batch's usual case) are one statement.
      const moves = new Map<string, { stage: ReceiptStage; at: Date; ids: string[] }>();
      const events: Array<{ type: 'message.receipt'; payload: EventPayloadOf<'message.receipt'> }> = [];
      for (const item of dto.items) {
        const row = byId.get(item.messageId);
        if (!row) {
          out.push({ messageId: item.messageId, result: 'unknown' });
          continue;
        }
        if (STAGE_RANK[item.stage] <= STAGE_RANK[row.stage]) {
          out.push({ messageId: item.messageId, result: 'unchanged' });
          continue;
        }
        const at = receiptTime(item, row.deliveredAt ?? row.sentAt);
        const confirmedBefore = row.stage === 'seen' || row.stage === 'answered';
        const late = row.unconfirmedAt !== null && !confirmedBefore && item.stage !== 'held';
        row.stage = item.stage;
        const key = `${item.stage} ${at.getTime()}`;
        const move = moves.get(key) ?? { stage: item.stage, at, ids: [] };
        move.ids.push(row.id);
        moves.set(key, move);
        events.push({
          type: 'message.receipt',
          payload: { messageId: row.id, contactId: peer.id, stage: item.stage, at: at.toISOString(), ...(late ? { late: true } : {}) },
        });
        out.push({ messageId: item.messageId, result: 'applied' });
      }
      // Any stage after delivered settles the not-confirmed notice: held says why it waits.
      // A message moved twice in one batch is in two statements; the stage condition keeps it forward.
      for (const move of moves.values()) {
        const lower = stagesBelow(move.stage);
        await manager.query(
          this.sql.text(
            `UPDATE messages SET stage = ?, stage_at = ?, notice_due_at = NULL
             WHERE id IN (${move.ids.map(() => '?').join(', ')}) AND stage IN (${lower.map(() => '?').join(', ')})`,
          ),
          [move.stage, this.sql.date(move.at), ...move.ids, ...lower],
        );
      }
      await this.events.appendMany(manager, events);
      return out;
    });
    if (results.some((result) => result.result === 'applied')) this.events.wake();
    return { results };
  }

  /**
   * Our messages to this contact among `ids`. Looked up by id (the unique index), then filtered:
   * a condition on the contact would let SQLite walk the contact's whole history instead.
   */
  private async outgoingOf(manager: EntityManager, contactId: number, ids: string[]): Promise<Map<string, OutgoingRow>> {
    const rows = (await manager.query(
      this.sql.text(
        `SELECT id, contact_id AS "contactId", direction, stage, unconfirmed_at AS "unconfirmedAt", delivered_at AS "deliveredAt",
           sent_at AS "sentAt" FROM messages WHERE id IN (${ids.map(() => '?').join(', ')})`,
      ),
      ids,
    )) as Array<
      Pick<OutgoingRow, 'id' | 'contactId' | 'direction' | 'stage'> &
        Record<'unconfirmedAt' | 'deliveredAt' | 'sentAt', Date | string | null>
    >;
    const date = (value: Date | string | null) => (value === null ? null : this.sql.readDate(value));
    const mine = new Map<string, OutgoingRow>();
    for (const row of rows) {
      if (Number(row.contactId) !== contactId || row.direction !== 'out') continue;
      mine.set(row.id, {
        ...row,
        unconfirmedAt: date(row.unconfirmedAt),
        deliveredAt: date(row.deliveredAt),
        sentAt: this.sql.readDate(row.sentAt as Date | string),
      });
    }
    return mine;
  }

  /**
   * Delivered messages not seen within PORTAL_RECEIPT_UNCONFIRMED_SECONDS of their delivery (the due
   * time set then): one message.unconfirmed each. Any receipt (held, seen, answered) clears the due
   * time, so only messages still waiting are read. A failing database is reported to /health and
   * tried again at the next tick; nothing is skipped.
   */
  async sweepUnconfirmed(now = new Date()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      let told = 0;
      for (;;) {
        const rows = await this.dataSource.getRepository(Message).find({
          select: { id: true, contactId: true, sentAt: true, deliveredAt: true },
          where: { noticeDueAt: LessThanOrEqual(now) },
          order: { noticeDueAt: 'ASC' },
          take: CHUNK,
        });
        if (rows.length === 0) break;
        told += await this.dataSource.transaction(async (manager) => {
          let count = 0;
          for (const row of rows) {
            // Conditional, so instances sharing a database (or a receipt arriving now) never give two notices.
            const result = await manager.update(
              Message,
              { id: row.id, stage: 'delivered', noticeDueAt: Not(IsNull()) },
              { noticeDueAt: null, unconfirmedAt: now },
            );
            if (!result.affected) {
              // Settled meanwhile (a receipt): nothing owed, and the row is not read again.
              await manager.update(Message, { id: row.id, noticeDueAt: Not(IsNull()) }, { noticeDueAt: null });
              continue;
            }
            const since = row.deliveredAt ?? row.sentAt;
            await this.events.append(manager, 'message.unconfirmed', {
              messageId: row.id,
              contactId: row.contactId,
              sentAt: row.sentAt.toISOString(),
              waitedSeconds: Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000)),
            });
            count += 1;
          }
          return count;
        });
        if (rows.length < CHUNK) break;
      }
      this.health.recovered(SWEEP_JOB);
      if (told > 0) this.events.wake();
      return told;
    } catch (error) {
      this.health.failed(SWEEP_JOB, error);
      this.logger.warn({ err: error }, 'Receipt sweep failed; will retry');
      return 0;
    } finally {
      this.sweeping = false;
    }
  }
}

/** The stages a message at `stage` has moved past. */
function stagesBelow(stage: MessageStage): MessageStage[] {
  return (Object.keys(STAGE_RANK) as MessageStage[]).filter((s) => STAGE_RANK[s] < STAGE_RANK[stage]);
}

/** The peer's time for a stage, never before the message reached it nor after now (its clock is not ours). */
function receiptTime(item: FederationReceiptDto, floor: Date): Date {
  const at = new Date(item.at).getTime();
  const now = Date.now();
  return new Date(Math.min(now, Math.max(floor.getTime(), Number.isFinite(at) ? at : now)));
}

/** Each receipt's answer from a batch answer, in order; null when the answer is not one (sent singly then). */
function splitReceiptAnswer(response: PeerResponse, items: OutboxItem[]): PeerResponse[] | null {
  const results = (response.body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== items.length) return null;
  return results.map((result: unknown) => ({ status: 200, body: result })) as PeerResponse[];
}
