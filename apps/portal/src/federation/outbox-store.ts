import { randomUUID } from 'node:crypto';
import { type EntityManager, In, type Repository } from 'typeorm';
import type { RawSql } from '../database/raw-sql';
import { OutboxItem } from './entities/outbox-item.entity';
import type { OutboxKinds } from './outbox-kinds';
import type { DeliveryState, OutboxEntry, OutboxLane } from './outbox-types';

const INSERT_CHUNK = 100;

const COLUMNS =
  'seq, id, kind, peer_url AS "peerUrl", contact_id AS "contactId", ref_id AS "refId", payload, status, attempts, ' +
  'next_attempt_at AS "nextAttemptAt", last_error AS "lastError", lease_until AS "leaseUntil", lease_owner AS "leaseOwner", ' +
  'parked_at AS "parkedAt", parked_reason AS "parkedReason", created_at AS "createdAt", updated_at AS "updatedAt"';

type RawItem = Omit<OutboxItem, 'seq' | 'nextAttemptAt' | 'leaseUntil' | 'parkedAt' | 'createdAt' | 'updatedAt'> & {
  seq: number | string;
  nextAttemptAt: Date | string;
  leaseUntil: Date | string | null;
  parkedAt: Date | string | null;
  createdAt: Date | string;
  updatedAt: Date | string;
};

/**
 * The outbox's table: items added (plain SQL, every message and receipt passes here), the worker's
 * queues (read per drain) and delivery states.
 */
export class OutboxStore {
  constructor(
    private readonly items: Repository<OutboxItem>,
    private readonly sql: RawSql,
    private readonly kinds: OutboxKinds,
  ) {}

  /** Adds items in the caller's transaction, in order, one statement per hundred. */
  async insert(manager: EntityManager, entries: OutboxEntry[]): Promise<Array<{ id: string; seq: number }>> {
    const added: Array<{ id: string; seq: number }> = [];
    for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
      const chunk = entries.slice(i, i + INSERT_CHUNK).map((entry) => ({ entry, id: randomUUID() }));
      const now = this.sql.date(new Date());
      const rows = (await manager.query(
        this.sql.text(
          `INSERT INTO outbox_items (id, kind, peer_url, contact_id, ref_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
           VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)").join(', ')} RETURNING seq`,
        ),
        chunk.flatMap(({ entry, id }) => [
          id,
          entry.kind,
          entry.peerUrl,
          entry.contactId ?? null,
          entry.refId ?? null,
          JSON.stringify(entry.payload ?? {}),
          now,
          now,
          now,
        ]),
      )) as Array<{ seq: number | string }>;
      // seq grows with the order of the rows in the statement.
      const seqs = rows.map((row) => Number(row.seq)).sort((x, y) => x - y);
      chunk.forEach(({ id }, index) => added.push({ id, seq: seqs[index] }));
    }
    return added;
  }

  /** A peer's pending items of one lane, oldest first. */
  async pendingOf(peerUrl: string, lane: OutboxLane, limit: number): Promise<OutboxItem[]> {
    const strangerKinds = this.kinds.strangerKinds();
    let kindFilter = '';
    if (lane === 'strangers') kindFilter = ` AND kind IN (${strangerKinds.map(() => '?').join(', ')})`;
    else if (strangerKinds.length > 0) kindFilter = ` AND kind NOT IN (${strangerKinds.map(() => '?').join(', ')})`;
    if (lane === 'strangers' && strangerKinds.length === 0) return [];
    const rows = (await this.items.query(
      this.sql.text(`SELECT ${COLUMNS} FROM outbox_items WHERE peer_url = ? AND status = 'pending'${kindFilter} ORDER BY seq ASC LIMIT ?`),
      [peerUrl, ...strangerKinds, limit],
    )) as RawItem[];
    return rows.map((row) => this.toItem(row));
  }

  /** The oldest pending item of every peer in every lane, oldest first. */
  async headItems(): Promise<OutboxItem[]> {
    const heads = this.items
      .createQueryBuilder('h')
      .select('MIN(h.seq)')
      .where('h.status = :pending')
      .groupBy('h.peer_url')
      .addGroupBy('h.kind');
    const perKind = await this.items
      .createQueryBuilder('o')
      .where(`o.seq IN (${heads.getQuery()})`)
      .setParameter('pending', 'pending')
      .orderBy('o.seq', 'ASC')
      .getMany();
    const seen = new Set<string>();
    return perKind.filter((item) => {
      const key = `${this.kinds.laneOf(item.kind)} ${item.peerUrl}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  async deliveryState(kind: string, refId: string): Promise<DeliveryState | null> {
    const item = await this.items.findOne({ where: { kind, refId }, order: { seq: 'DESC' } });
    return item ? stateOf(item) : null;
  }

  async latestDeliveryState(
    kinds: string[],
    refId: string,
    manager?: EntityManager,
  ): Promise<(DeliveryState & { kind: string; peerUrl: string }) | null> {
    const where = { kind: In(kinds), refId };
    const order = { seq: 'DESC' } as const;
    const item = manager ? await manager.findOne(OutboxItem, { where, order }) : await this.items.findOne({ where, order });
    if (!item) return null;
    return { kind: item.kind, peerUrl: item.peerUrl, ...stateOf(item) };
  }

  private toItem(row: RawItem): OutboxItem {
    const date = (value: Date | string | null): Date | null => (value === null ? null : this.sql.readDate(value));
    return Object.assign(new OutboxItem(), {
      ...row,
      seq: Number(row.seq),
      contactId: row.contactId === null ? null : Number(row.contactId),
      attempts: Number(row.attempts),
      nextAttemptAt: this.sql.readDate(row.nextAttemptAt),
      leaseUntil: date(row.leaseUntil),
      parkedAt: date(row.parkedAt),
      createdAt: this.sql.readDate(row.createdAt),
      updatedAt: this.sql.readDate(row.updatedAt),
    });
  }
}

function stateOf(item: OutboxItem): DeliveryState {
  return {
    status: item.status,
    attempts: item.attempts,
    lastError: item.lastError,
    nextAttemptAt: item.status === 'pending' || item.status === 'parked' ? item.nextAttemptAt.toISOString() : null,
    parkedAt: item.parkedAt ? item.parkedAt.toISOString() : null,
    parkedReason: (item.parkedReason as DeliveryState['parkedReason']) ?? null,
  };
}
