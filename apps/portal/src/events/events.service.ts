import { BackgroundHealth } from '../health/background-health.service';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import Database from 'better-sqlite3';
import { RawSql } from '../database/raw-sql';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource, type EntityManager, MoreThan, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { dialectOf } from '../database/data-source-options';
import type { EventPayloadOf } from './dto/event-payloads.dto';
import { PortalEvent } from './entities/portal-event.entity';
import { EVENT_TYPES, type EventType } from './event-types';

export { type EventPayloadOf, OwnerChatAttachmentDto } from './dto/event-payloads.dto';
export type { EventType } from './event-types';

/** The payload of any event. */
export type EventPayload = EventPayloadOf<EventType>;
export interface EventRecord<T = Record<string, unknown>> {
  seq: number;
  id: string;
  type: EventType;
  createdAt: string;
  payload: T;
}

/** Events written per statement by appendMany. */
const APPEND_CHUNK = 100;
/** Live readers also look every few seconds, in case a wake-up was lost (another instance, a dropped LISTEN). */
const SAFETY_POLL_MS = 5_000;
/** The poll's name in /health. */
const EVENT_POLL_JOB = 'event-poll';

/**
 * The durable event log. Producers call append() inside their own transaction (so the event exists
 * exactly when the change does) and wake() after it commits, so live readers look at once.
 *
 * Readers follow the log by seq and must never skip one, so an event has to become visible only
 * after every event with a smaller seq did:
 * - PostgreSQL: append() takes a transaction-scoped advisory lock before taking its seq, so events
 *   commit in seq order. Call append() as the transaction's last write: the lock is held to commit.
 *   The commit also NOTIFYs, so every Portal instance on the database wakes its readers.
 * - SQLite: one writer commits in order; readers use their own read-only connection so they only
 *   ever see committed events (the writer connection also sees uncommitted work).
 */
@Injectable()
export class EventsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EventsService.name);
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private readonly dialect: 'sqlite' | 'postgres';
  private readonly schema: string;
  private readonly channel: string;
  private readonly sql: RawSql;
  private sqliteReader: Database.Database | null = null;
  private sqliteListAfter: Database.Statement | null = null;
  private sqliteLatest: Database.Statement | null = null;
  private listener: pg.Client | null = null;
  private listenerRetry: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private polledSeq = 0;
  /** The highest seq this instance has read from the committed log. */
  private highestRead = 0;
  private stopped = false;

  constructor(
    @InjectRepository(PortalEvent) private readonly events: Repository<PortalEvent>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    private readonly health: BackgroundHealth,
  ) {
    this.dialect = dialectOf(config);
    this.sql = new RawSql(dataSource);
    const options = dataSource.options as { schema?: string };
    this.schema = options.schema ?? 'public';
    this.channel = `ap2p_events_${this.schema}`
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 63);
  }

  async onModuleInit(): Promise<void> {
    this.stopped = false;
    if (this.dialect === 'sqlite') {
      const file = (this.dataSource.options as { database: string }).database;
      this.sqliteReader = new Database(file, { readonly: true, fileMustExist: true });
      this.sqliteReader.pragma('busy_timeout = 5000');
    } else {
      await this.listen();
    }
    this.polledSeq = await this.latestSeq();
    this.pollTimer = setInterval(() => void this.safetyPoll(), SAFETY_POLL_MS);
    this.pollTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.listenerRetry) clearTimeout(this.listenerRetry);
    this.pollTimer = this.listenerRetry = null;
    const listener = this.listener;
    this.listener = null;
    if (listener) await listener.end().catch(() => undefined);
    this.sqliteReader?.close();
    this.sqliteReader = this.sqliteListAfter = this.sqliteLatest = null;
    // Releases long-polls still waiting, so shutdown does not wait for them.
    this.appended.emit('appended');
  }

  /**
   * Appends an event in the caller's transaction (one is opened when the manager has none). The
   * payload must have the shape EVENT_PAYLOAD_DTOS gives the type: append(manager, 'contact.removed', …).
   * Returns the record as readers get it (the payload read back from its JSON).
   */
  append<K extends EventType>(manager: EntityManager, type: K, payload: EventPayloadOf<K>): Promise<EventRecord> {
    return this.insert(manager, type, payload);
  }

  private async insert(manager: EntityManager, type: EventType, payload: EventPayload): Promise<EventRecord> {
    if (!EVENT_TYPES.includes(type)) throw new Error(`Unknown event type ${String(type)}`);
    if (!manager.queryRunner?.isTransactionActive) {
      return manager.transaction((inner) => this.insert(inner, type, payload));
    }
    await this.sql.holdCommitOrder(manager, 'events');
    const event = { id: randomUUID(), type, payload: JSON.stringify(payload), createdAt: new Date() };
    const rows = (await manager.query(
      this.sql.text('INSERT INTO events (id, type, payload, created_at) VALUES (?, ?, ?, ?) RETURNING seq'),
      [event.id, event.type, event.payload, this.sql.date(event.createdAt)],
    )) as Array<{ seq: number | string }>;
    const saved = { ...event, seq: Number(rows[0].seq) } as PortalEvent;
    if (this.dialect === 'postgres') {
      // Delivered to listeners (this instance and others) only when the transaction commits.
      await manager.query('SELECT pg_notify($1, $2)', [this.channel, String(saved.seq)]);
    }
    return toRecord(saved);
  }

  /**
   * Appends several events in the caller's transaction (which must be open), in order, with one
   * statement per hundred: a batch's delivered marks or receipts do not hold the writer long.
   */
  async appendMany<K extends EventType>(manager: EntityManager, events: Array<{ type: K; payload: EventPayloadOf<K> }>): Promise<void> {
    if (events.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive) throw new Error('appendMany needs an open transaction');
    for (const { type } of events) if (!EVENT_TYPES.includes(type)) throw new Error(`Unknown event type ${String(type)}`);
    await this.sql.holdCommitOrder(manager, 'events');
    let last = 0;
    for (let i = 0; i < events.length; i += APPEND_CHUNK) {
      const chunk = events.slice(i, i + APPEND_CHUNK);
      const createdAt = this.sql.date(new Date());
      const rows = (await manager.query(
        this.sql.text(
          `INSERT INTO events (id, type, payload, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')} RETURNING seq`,
        ),
        chunk.flatMap((event) => [randomUUID(), event.type, JSON.stringify(event.payload), createdAt]),
      )) as Array<{ seq: number | string }>;
      for (const row of rows) last = Math.max(last, Number(row.seq));
    }
    if (this.dialect === 'postgres') await manager.query('SELECT pg_notify($1, $2)', [this.channel, String(last)]);
  }

  /** Tells live readers (WS, long-poll) that new events may be there. Call after the commit. */
  wake(): void {
    this.appended.emit('appended');
  }

  /** Calls listener after every wake(); returns the unsubscribe function. */
  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  /** False once the Portal is shutting down: waiting readers should stop. */
  get live(): boolean {
    return !this.stopped;
  }

  /** Resolves at the next wake() or after timeoutMs, whichever comes first. */
  waitForAppend(timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const unsubscribe = this.onAppended(done);
    });
  }

  /**
   * `seq`, or the newest committed seq if that is lower. An ack is for an event a reader got, so it
   * is usually at most the highest seq this instance has read (no query then).
   */
  async clampToCommitted(seq: number): Promise<number> {
    if (seq <= this.highestRead) return seq;
    return Math.min(seq, await this.latestSeq());
  }

  /** Committed events with seq > `seq`, oldest first, at most `limit`. */
  async listAfter(seq: number, limit: number): Promise<EventRecord[]> {
    if (this.sqliteReader) {
      this.sqliteListAfter ??= this.sqliteReader.prepare(
        'SELECT seq, id, type, payload, created_at AS createdAt FROM events WHERE seq > ? ORDER BY seq ASC LIMIT ?',
      );
      const rows = this.sqliteListAfter.all(seq, limit) as Array<{
        seq: number;
        id: string;
        type: string;
        payload: string;
        createdAt: string;
      }>;
      return this.read(rows.map((row) => toRecord({ ...row, createdAt: parseSqliteDate(row.createdAt) })));
    }
    const rows = await this.events.find({ where: { seq: MoreThan(seq) }, order: { seq: 'ASC' }, take: limit });
    return this.read(rows.map(toRecord));
  }

  /** Events of these types with afterSeq < seq <= uptoSeq, oldest first, at most `limit`. */
  async listOfTypes(types: EventType[], afterSeq: number, uptoSeq: number, limit: number): Promise<EventRecord[]> {
    if (types.length === 0 || uptoSeq <= afterSeq) return [];
    const rows = await this.events
      .createQueryBuilder('e')
      .where('e.seq > :afterSeq AND e.seq <= :uptoSeq', { afterSeq, uptoSeq })
      .andWhere('e.type IN (:...types)', { types })
      .orderBy('e.seq', 'ASC')
      .take(limit)
      .getMany();
    return rows.map(toRecord);
  }

  /** Notes the highest committed seq read (see clampToCommitted). */
  private read(records: EventRecord[]): EventRecord[] {
    if (records.length > 0) this.highestRead = Math.max(this.highestRead, records[records.length - 1].seq);
    return records;
  }

  /** The seq of the newest committed event (0 for an empty log). */
  async latestSeq(): Promise<number> {
    if (this.sqliteReader) {
      this.sqliteLatest ??= this.sqliteReader.prepare('SELECT MAX(seq) AS seq FROM events');
      const row = this.sqliteLatest.get() as { seq: number | null };
      return Number(row.seq ?? 0);
    }
    const row = await this.events.find({ order: { seq: 'DESC' }, take: 1 });
    return Number(row[0]?.seq ?? 0);
  }

  private async safetyPoll(): Promise<void> {
    try {
      const latest = await this.latestSeq();
      this.health.recovered(EVENT_POLL_JOB);
      if (latest > this.polledSeq) {
        this.polledSeq = latest;
        this.wake();
      }
    } catch (error) {
      if (this.stopped) return;
      this.health.failed(EVENT_POLL_JOB, error);
      this.logger.warn({ err: error }, 'Event log poll failed');
    }
  }

  /** PostgreSQL: one dedicated connection LISTENs for appends committed by any instance. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.databaseUrl });
    client.on('notification', () => this.wake());
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'Event listener connection failed; reconnecting');
      void client.end().catch(() => undefined);
      this.scheduleListen();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.listener = client;
      // Events committed while no listener was connected.
      this.wake();
    } catch (error) {
      this.logger.warn({ err: error }, 'Cannot LISTEN for events; relying on the poll until it works');
      void client.end().catch(() => undefined);
      this.scheduleListen();
    }
  }

  private scheduleListen(): void {
    if (this.stopped || this.listenerRetry) return;
    this.listener = null;
    this.listenerRetry = setTimeout(() => {
      this.listenerRetry = null;
      void this.listen();
    }, 2_000);
    this.listenerRetry.unref();
  }
}

/** TypeORM stores SQLite datetimes as "YYYY-MM-DD HH:MM:SS.SSS" in UTC. */
function parseSqliteDate(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}Z`);
}

function toRecord(event: Pick<PortalEvent, 'seq' | 'id' | 'type' | 'payload' | 'createdAt'>): EventRecord {
  return {
    seq: Number(event.seq),
    id: event.id,
    type: event.type as EventType,
    createdAt: event.createdAt.toISOString(),
    payload: JSON.parse(event.payload) as Record<string, unknown>,
  };
}
