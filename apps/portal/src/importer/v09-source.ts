import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { normalizePortalUrl } from '../common/portal-url';
import { type Row, text, toBuffer } from './v09-cells';
import { readContacts, readFiles, readGuestbook, readMessages, readOwnerChat } from './v09-readers';
import { V09RefusedError, type V09File, type V09Skip, type V09Snapshot } from './v09-snapshot';
import { quote, type TableShape, V09Tables } from './v09-tables';

/**
 * Reading a v0.9.x Portal database (the earlier Python Agent P2P, `data/portal.db`). The file is
 * opened read-only; its schema is inspected rather than assumed, because installs differ (a
 * renamed `DISPLAY_NAME`, tables added by later v0.9 migrations, rows older than some columns).
 * Column names match case-insensitively. Text is read as bytes and decoded strictly, so text that
 * is not UTF-8 is reported instead of being silently altered.
 */

export { parseV09Time } from './v09-cells';
export * from './v09-snapshot';

const SQLITE_HEADER = 'SQLite format 3\u0000';

/** Opens a v0.9 database read-only, or refuses with a one-line reason. */
export function openV09(path: string): V09Source {
  let size: number;
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new V09RefusedError(`${path} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof V09RefusedError) throw error;
    throw new V09RefusedError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  if (size < 100 || readHeader(path) !== SQLITE_HEADER) throw new V09RefusedError(`${path} is not a SQLite database`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    throw new V09RefusedError(`${path} cannot be read as SQLite: ${(error as Error).message}`);
  }
  return new V09Source(db);
}

function readHeader(path: string): string {
  const buffer = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('latin1');
}

export class V09Source {
  private readonly tables: V09Tables;

  constructor(db: Database.Database) {
    this.tables = new V09Tables(db);
  }

  close(): void {
    this.tables.db.close();
  }

  /** Reads everything there is to import; refuses when a required table or column is missing. */
  read(): V09Snapshot {
    try {
      return this.readAll();
    } catch (error) {
      if (error instanceof V09RefusedError) throw error;
      // A damaged file (a page that does not read, …): one line, never a stack trace.
      throw new V09RefusedError(`the database cannot be read: ${(error as Error).message}`);
    }
  }

  /** Streams one imported file's bytes, v0.9 chunk by chunk, in order. */
  *fileChunks(file: V09File): Generator<Buffer> {
    const shape = this.tables.shape('file_chunks')!;
    const fileId = shape.require('file_id');
    const index = shape.require('chunk_index');
    const data = shape.require('data', 'chunk_data');
    const statement = this.tables.db.prepare(
      `SELECT ${quote(data)} AS data FROM file_chunks WHERE ${quote(fileId)} = ? ORDER BY ${quote(index)}`,
    );
    for (const row of statement.iterate(file.sourceId) as Iterable<{ data: unknown }>) {
      yield toBuffer(row.data);
    }
  }

  private readAll(): V09Snapshot {
    const skipped: V09Skip[] = [];
    const absentTables: string[] = [];
    const contactsShape = this.tables.shape('contacts');
    const messagesShape = this.tables.shape('messages');
    if (!contactsShape || !messagesShape) {
      throw new V09RefusedError(`no ${contactsShape ? 'messages' : 'contacts'} table: not a v0.9.x Agent P2P database`);
    }
    const ownUrl = this.ownUrl();
    const contacts = readContacts(this.tables, contactsShape, skipped);
    const known = new Set(contacts.map((contact) => contact.portalUrl));
    const messages = readMessages(this.tables, messagesShape, ownUrl, known, skipped);
    const ownerChat = this.optional('owner_chats', absentTables, (shape) => readOwnerChat(this.tables, shape, skipped));
    const guestbook = this.optional('guest_messages', absentTables, (shape) => readGuestbook(this.tables, shape, skipped));
    const files = this.optional('file_transfers', absentTables, (shape) => readFiles(this.tables, shape, ownUrl, known, skipped));
    const keys = this.tables.shape('api_keys');
    const ownerKeys = keys ? Number((this.tables.db.prepare('SELECT count(*) AS n FROM api_keys').get() as { n: number }).n) : 0;
    return { ownUrl, contacts, messages, ownerChat, guestbook, files, skipped, ownerKeys, absentTables };
  }

  private optional<T>(table: string, absent: string[], read: (shape: TableShape) => T[]): T[] {
    const shape = this.tables.shape(table);
    if (!shape) {
      absent.push(table);
      return [];
    }
    return read(shape);
  }

  private ownUrl(): string | null {
    const config = this.tables.shape('config');
    if (!config) return null;
    const key = config.pick('key');
    const value = config.pick('value');
    if (!key || !value) return null;
    const rows = this.tables.db
      .prepare(`SELECT ${quote(key)} AS k, CAST(${quote(value)} AS BLOB) AS v FROM ${quote(config.table)}`)
      .all() as Row[];
    for (const row of rows) {
      const name = text(row.k);
      if (name.ok && ['portal_url', 'public_url'].includes(name.value.toLowerCase())) {
        const url = text(row.v);
        if (url.ok) return normalizePortalUrl(url.value, true);
      }
    }
    return null;
  }
}
