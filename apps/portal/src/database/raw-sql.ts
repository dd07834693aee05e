import type { DataSource, EntityManager } from 'typeorm';

/**
 * First arguments of the PostgreSQL advisory locks that make a table's `seq` commit in order (the
 * second argument is the schema's hash). When a transaction needs both, it takes `messages` first:
 * events are appended as a transaction's last write.
 */
export const COMMIT_ORDER_LOCKS = { events: 0x61703270, messages: 0x6170326d } as const;

/**
 * Hand-written SQL for the few hot paths where building queries through TypeORM costs more than
 * running them (receiving a federation message, appending an event). Statements are written with
 * `?` placeholders and portable SQL; this turns them into the dialect's form.
 */
export class RawSql {
  readonly postgres: boolean;
  /** PostgreSQL: the schema the data source works in. */
  readonly schema: string;

  constructor(dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
    this.schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  }

  /**
   * Rows that readers follow by `seq` (`after=` cursors, the event log) must become visible in seq
   * order, or a reader that saw seq n+1 skips n when it commits later. On PostgreSQL this takes the
   * table's transaction-scoped advisory lock, held until the commit: call it inside the transaction,
   * before the insert that draws the seq. SQLite has one writer, which commits in order already.
   */
  async holdCommitOrder(manager: EntityManager, table: keyof typeof COMMIT_ORDER_LOCKS): Promise<void> {
    if (!this.postgres) return;
    await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [COMMIT_ORDER_LOCKS[table], this.schema]);
  }

  /** `?` placeholders become `$1, $2, …` on PostgreSQL. */
  text(sql: string): string {
    if (!this.postgres) return sql;
    let index = 0;
    return sql.replace(/\?/g, () => `$${++index}`);
  }

  /**
   * The rows of an `UPDATE … RETURNING` run through manager.query: TypeORM gives PostgreSQL's as
   * `[rows, affected]`, SQLite's as the rows.
   */
  returned<T>(result: unknown): T[] {
    if (this.postgres && Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
      return result[0] as T[];
    }
    return result as T[];
  }

  /** A timestamp as TypeORM stores it: a Date for PostgreSQL, 'YYYY-MM-DD HH:MM:SS.SSS' (UTC) for SQLite. */
  date(value: Date): Date | string {
    return this.postgres ? value : value.toISOString().replace('T', ' ').replace('Z', '');
  }

  /** Reads a timestamp column returned by a raw query. */
  readDate(value: Date | string): Date {
    return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
  }
}
