import type Database from 'better-sqlite3';
import { V09RefusedError } from './v09-snapshot';
import type { Row } from './v09-cells';

/** One table's columns, by lower-case name → the name as the file spells it. */
export class TableShape {
  constructor(
    readonly table: string,
    private readonly columns: Map<string, string>,
  ) {}

  /** The first of these columns the table has. */
  pick(...names: string[]): string | null {
    for (const name of names) {
      const found = this.columns.get(name.toLowerCase());
      if (found) return found;
    }
    return null;
  }

  require(...names: string[]): string {
    const found = this.pick(...names);
    if (!found) throw new V09RefusedError(`table ${this.table} has no column ${names.join(' or ')}: not a v0.9.x Agent P2P database`);
    return found;
  }
}

export const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The tables of an open v0.9 file, looked up by lower-case name (installs differ in spelling). */
export class V09Tables {
  private readonly tables: Map<string, string>;

  constructor(readonly db: Database.Database) {
    const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    this.tables = new Map(rows.map((row) => [row.name.toLowerCase(), row.name]));
  }

  shape(table: string): TableShape | null {
    const name = this.tables.get(table);
    if (!name) return null;
    const columns = this.db.prepare(`PRAGMA table_info(${quote(name)})`).all() as Array<{ name: string }>;
    return new TableShape(name, new Map(columns.map((column) => [column.name.toLowerCase(), column.name])));
  }

  /**
   * Rows with the wanted columns; text columns come as bytes (CAST AS BLOB), so that `text()`
   * can decode them strictly. A column the table lacks reads as NULL.
   */
  rows(shape: TableShape, columns: Record<string, string | null>, textColumns: string[]): Row[] {
    const select = Object.entries(columns).map(([alias, column]) => {
      // Without an id column, SQLite's rowid identifies the row (for the report and for idempotency).
      if (!column) return alias === 'id' ? 'rowid AS "id"' : `NULL AS ${quote(alias)}`;
      return textColumns.includes(alias) ? `CAST(${quote(column)} AS BLOB) AS ${quote(alias)}` : `${quote(column)} AS ${quote(alias)}`;
    });
    select.push(`typeof(${columns.created_at ? quote(columns.created_at) : 'NULL'}) AS "created_at_type"`);
    return this.db.prepare(`SELECT ${select.join(', ')} FROM ${quote(shape.table)}`).all() as Row[];
  }
}
