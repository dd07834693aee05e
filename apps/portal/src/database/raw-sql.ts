import type { DataSource } from 'typeorm';

/**
 * Hand-written SQL for the few hot paths where building queries through TypeORM costs more than
 * running them (receiving a federation message, appending an event). Statements are written with
 * `?` placeholders and portable SQL; this turns them into the dialect's form.
 */
export class RawSql {
  readonly postgres: boolean;

  constructor(dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
  }

  /** `?` placeholders become `$1, $2, …` on PostgreSQL. */
  text(sql: string): string {
    if (!this.postgres) return sql;
    let index = 0;
    return sql.replace(/\?/g, () => `$${++index}`);
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
