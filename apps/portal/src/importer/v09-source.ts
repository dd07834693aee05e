import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { normalizePortalUrl } from '../federation/peer-url';

/**
 * Reading a v0.9.x Portal database (the earlier Python Agent P2P, `data/portal.db`). The file is
 * opened read-only; its schema is inspected rather than assumed, because installs differ (a
 * renamed `DISPLAY_NAME`, tables added by later v0.9 migrations, rows older than some columns).
 * Column names match case-insensitively. Text is read as bytes and decoded strictly, so text that
 * is not UTF-8 is reported instead of being silently altered.
 */

/** The file cannot be imported at all (not SQLite, not a v0.9 database, a required column missing). */
export class V09RefusedError extends Error {}

export type V09Kind = 'contacts' | 'messages' | 'ownerChat' | 'guestbook' | 'files';

/** A row left out, and why (shown in the report). */
export interface V09Skip {
  kind: V09Kind;
  /** The row's id in the v0.9 table. */
  sourceId: string;
  reason: string;
}

export interface V09Contact {
  sourceId: string;
  portalUrl: string;
  agentName: string;
  ownerName: string;
  createdAt: Date;
}

export interface V09Message {
  sourceId: string;
  direction: 'out' | 'in';
  /** The other Portal (normalised). */
  peerUrl: string;
  content: string;
  delivered: boolean;
  createdAt: Date;
}

export interface V09OwnerChat {
  sourceId: string;
  role: 'owner' | 'agent';
  content: string;
  createdAt: Date;
}

export interface V09GuestbookEntry {
  sourceId: string;
  name: string;
  message: string;
  read: boolean;
  createdAt: Date;
}

export interface V09File {
  sourceId: string;
  name: string;
  mime: string;
  /** The contact it came from (incoming), or null for any other file (kept as a local file). */
  fromPortal: string | null;
  createdAt: Date;
  /** The chunk indexes to read, in order (checked contiguous from 0). */
  chunkCount: number;
  /** SHA-256 the v0.9 Portal recorded, when it did (checked against the bytes). */
  expectedSha256: string | null;
}

export interface V09Snapshot {
  /** The v0.9 Portal's own URL (its `config` table or PORTAL_URL), when recorded. */
  ownUrl: string | null;
  contacts: V09Contact[];
  messages: V09Message[];
  ownerChat: V09OwnerChat[];
  guestbook: V09GuestbookEntry[];
  files: V09File[];
  skipped: V09Skip[];
  /** Owner keys found in `api_keys` (never imported). */
  ownerKeys: number;
  /** Optional tables the file does not have (nothing to import from them). */
  absentTables: string[];
}

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

type Row = Record<string, unknown>;

/** One table's columns, by lower-case name → the name as the file spells it. */
class TableShape {
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

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class V09Source {
  private readonly tables: Map<string, string>;

  constructor(private readonly db: Database.Database) {
    const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    this.tables = new Map(rows.map((row) => [row.name.toLowerCase(), row.name]));
  }

  close(): void {
    this.db.close();
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
    const shape = this.shape('file_chunks')!;
    const fileId = shape.require('file_id');
    const index = shape.require('chunk_index');
    const data = shape.require('data', 'chunk_data');
    const statement = this.db.prepare(`SELECT ${quote(data)} AS data FROM file_chunks WHERE ${quote(fileId)} = ? ORDER BY ${quote(index)}`);
    for (const row of statement.iterate(file.sourceId) as Iterable<{ data: unknown }>) {
      yield toBuffer(row.data);
    }
  }

  private readAll(): V09Snapshot {
    const skipped: V09Skip[] = [];
    const absentTables: string[] = [];
    const contactsShape = this.shape('contacts');
    const messagesShape = this.shape('messages');
    if (!contactsShape || !messagesShape) {
      throw new V09RefusedError(`no ${contactsShape ? 'messages' : 'contacts'} table: not a v0.9.x Agent P2P database`);
    }
    const ownUrl = this.ownUrl();
    const contacts = this.readContacts(contactsShape, skipped);
    const known = new Set(contacts.map((contact) => contact.portalUrl));
    const messages = this.readMessages(messagesShape, ownUrl, known, skipped);
    const ownerChat = this.optional('owner_chats', absentTables, (shape) => this.readOwnerChat(shape, skipped));
    const guestbook = this.optional('guest_messages', absentTables, (shape) => this.readGuestbook(shape, skipped));
    const files = this.optional('file_transfers', absentTables, (shape) => this.readFiles(shape, ownUrl, known, skipped));
    const keys = this.shape('api_keys');
    const ownerKeys = keys ? Number((this.db.prepare('SELECT count(*) AS n FROM api_keys').get() as { n: number }).n) : 0;
    return { ownUrl, contacts, messages, ownerChat, guestbook, files, skipped, ownerKeys, absentTables };
  }

  private optional<T>(table: string, absent: string[], read: (shape: TableShape) => T[]): T[] {
    const shape = this.shape(table);
    if (!shape) {
      absent.push(table);
      return [];
    }
    return read(shape);
  }

  private shape(table: string): TableShape | null {
    const name = this.tables.get(table);
    if (!name) return null;
    const columns = this.db.prepare(`PRAGMA table_info(${quote(name)})`).all() as Array<{ name: string }>;
    return new TableShape(name, new Map(columns.map((column) => [column.name.toLowerCase(), column.name])));
  }

  /**
   * Rows with the wanted columns; text columns come as bytes (CAST AS BLOB), so that `text()`
   * can decode them strictly. A column the table lacks reads as NULL.
   */
  private rows(shape: TableShape, columns: Record<string, string | null>, textColumns: string[]): Row[] {
    const select = Object.entries(columns).map(([alias, column]) => {
      // Without an id column, SQLite's rowid identifies the row (for the report and for idempotency).
      if (!column) return alias === 'id' ? 'rowid AS "id"' : `NULL AS ${quote(alias)}`;
      return textColumns.includes(alias) ? `CAST(${quote(column)} AS BLOB) AS ${quote(alias)}` : `${quote(column)} AS ${quote(alias)}`;
    });
    select.push(`typeof(${columns.created_at ? quote(columns.created_at) : 'NULL'}) AS "created_at_type"`);
    return this.db.prepare(`SELECT ${select.join(', ')} FROM ${quote(shape.table)}`).all() as Row[];
  }

  private ownUrl(): string | null {
    const config = this.shape('config');
    if (!config) return null;
    const key = config.pick('key');
    const value = config.pick('value');
    if (!key || !value) return null;
    const rows = this.db.prepare(`SELECT ${quote(key)} AS k, CAST(${quote(value)} AS BLOB) AS v FROM ${quote(config.table)}`).all() as Row[];
    for (const row of rows) {
      const name = text(row.k);
      if (name.ok && ['portal_url', 'public_url'].includes(name.value.toLowerCase())) {
        const url = text(row.v);
        if (url.ok) return normalizePortalUrl(url.value, true);
      }
    }
    return null;
  }

  private readContacts(shape: TableShape, skipped: V09Skip[]): V09Contact[] {
    const rows = this.rows(
      shape,
      {
        id: shape.pick('id'),
        portal_url: shape.require('portal_url'),
        display_name: shape.pick('display_name'),
        agent_name: shape.pick('agent_name'),
        user_name: shape.pick('user_name'),
        created_at: shape.pick('created_at'),
      },
      ['portal_url', 'display_name', 'agent_name', 'user_name', 'created_at'],
    );
    const contacts: V09Contact[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      const sourceId = idOf(row);
      const skip = (reason: string): void => void skipped.push({ kind: 'contacts', sourceId, reason });
      const url = text(row.portal_url);
      if (!url.ok) {
        skip(`portal_url ${url.problem}`);
        continue;
      }
      const portalUrl = normalizePortalUrl(url.value, true);
      if (!portalUrl) {
        skip(`portal_url is not an http(s) URL without credentials, query or fragment`);
        continue;
      }
      if (seen.has(portalUrl)) {
        skip(`a second contact for ${portalUrl}`);
        continue;
      }
      const createdAt = timeOf(row);
      if (!createdAt) {
        skip('created_at is missing or not a time');
        continue;
      }
      // A name that does not read (NULL, not UTF-8) is left empty rather than losing the contact and its history.
      const [agent, display, user] = [row.agent_name, row.display_name, row.user_name].map((value) => {
        const name = text(value);
        return name.ok ? cleanName(name.value) : '';
      });
      seen.add(portalUrl);
      contacts.push({ sourceId, portalUrl, agentName: agent || display, ownerName: user, createdAt });
    }
    return contacts;
  }

  private readMessages(shape: TableShape, ownUrl: string | null, known: Set<string>, skipped: V09Skip[]): V09Message[] {
    const rows = this.rows(
      shape,
      {
        id: shape.pick('id'),
        from_portal: shape.require('from_portal'),
        to_portal: shape.require('to_portal'),
        content: shape.require('content'),
        message_type: shape.pick('message_type'),
        file_url: shape.pick('file_url'),
        is_delivered: shape.pick('is_delivered'),
        created_at: shape.require('created_at'),
      },
      ['from_portal', 'to_portal', 'content', 'message_type', 'file_url', 'created_at'],
    );
    const messages: V09Message[] = [];
    for (const row of rows) {
      const sourceId = idOf(row);
      const skip = (reason: string): void => void skipped.push({ kind: 'messages', sourceId, reason });
      const from = text(row.from_portal);
      const to = text(row.to_portal);
      const fromUrl = from.ok ? normalizePortalUrl(from.value, true) : null;
      const toUrl = to.ok ? normalizePortalUrl(to.value, true) : null;
      let direction: 'out' | 'in';
      let peerUrl: string | null;
      if (ownUrl && fromUrl === ownUrl) [direction, peerUrl] = ['out', toUrl];
      else if (ownUrl && toUrl === ownUrl) [direction, peerUrl] = ['in', fromUrl];
      else if (fromUrl && known.has(fromUrl)) [direction, peerUrl] = ['in', fromUrl];
      else if (toUrl && known.has(toUrl)) [direction, peerUrl] = ['out', toUrl];
      else {
        skip(!from.ok ? `from_portal ${from.problem}` : !to.ok ? `to_portal ${to.problem}` : 'neither from_portal nor to_portal is this Portal or a contact');
        continue;
      }
      if (!peerUrl) {
        skip(`the other Portal's URL is missing or not a URL`);
        continue;
      }
      const body = text(row.content);
      const fileUrl = text(row.file_url);
      if (!body.ok && body.problem !== 'is NULL') {
        skip(`content ${body.problem}`);
        continue;
      }
      // A v0.9 file message carries its link beside the text; the link is kept in the text.
      const parts = [body.ok ? body.value : '', fileUrl.ok && fileUrl.value.trim() ? `[file: ${fileUrl.value.trim()}]` : ''].filter(Boolean);
      if (parts.length === 0) {
        skip(body.ok ? 'content is empty' : 'content is NULL');
        continue;
      }
      const createdAt = timeOf(row);
      if (!createdAt) {
        skip('created_at is missing or not a time');
        continue;
      }
      messages.push({ sourceId, direction, peerUrl, content: parts.join('\n'), delivered: truthy(row.is_delivered), createdAt });
    }
    return chronological(messages);
  }

  private readOwnerChat(shape: TableShape, skipped: V09Skip[]): V09OwnerChat[] {
    const rows = this.rows(
      shape,
      { id: shape.pick('id'), role: shape.require('role'), content: shape.require('content'), created_at: shape.require('created_at') },
      ['role', 'content', 'created_at'],
    );
    const chat: V09OwnerChat[] = [];
    for (const row of rows) {
      const sourceId = idOf(row);
      const skip = (reason: string): void => void skipped.push({ kind: 'ownerChat', sourceId, reason });
      const role = text(row.role);
      const content = text(row.content);
      if (!role.ok) skip(`role ${role.problem}`);
      else if (!content.ok) skip(`content ${content.problem}`);
      else if (!content.value) skip('content is empty');
      else {
        const createdAt = timeOf(row);
        if (!createdAt) skip('created_at is missing or not a time');
        // v0.9 wrote `owner` for the human and the agent's own word (agent, assistant, …) for the agent.
        else chat.push({ sourceId, role: ['owner', 'user'].includes(role.value.trim().toLowerCase()) ? 'owner' : 'agent', content: content.value, createdAt });
      }
    }
    return chronological(chat);
  }

  private readGuestbook(shape: TableShape, skipped: V09Skip[]): V09GuestbookEntry[] {
    const rows = this.rows(
      shape,
      {
        id: shape.pick('id'),
        name: shape.pick('name', 'guest_name', 'author'),
        content: shape.require('content'),
        is_read: shape.pick('is_read'),
        status: shape.pick('status'),
        created_at: shape.require('created_at'),
      },
      ['name', 'content', 'status', 'created_at'],
    );
    const entries: V09GuestbookEntry[] = [];
    for (const row of rows) {
      const sourceId = idOf(row);
      const skip = (reason: string): void => void skipped.push({ kind: 'guestbook', sourceId, reason });
      const content = text(row.content);
      const status = text(row.status);
      const name = text(row.name);
      if (!content.ok) skip(`content ${content.problem}`);
      else if (!content.value.trim()) skip('content is empty');
      else if (status.ok && status.value.trim().toLowerCase() === 'deleted') skip('deleted in v0.9');
      else {
        const createdAt = timeOf(row);
        if (!createdAt) skip('created_at is missing or not a time');
        else entries.push({ sourceId, name: (name.ok && cleanName(name.value)) || 'Visitor', message: content.value, read: truthy(row.is_read), createdAt });
      }
    }
    return chronological(entries);
  }

  private readFiles(shape: TableShape, ownUrl: string | null, known: Set<string>, skipped: V09Skip[]): V09File[] {
    const chunks = this.shape('file_chunks');
    const rows = this.rows(
      shape,
      {
        id: shape.require('file_id', 'id'),
        name: shape.pick('file_name', 'filename', 'name', 'original_name'),
        mime: shape.pick('mime_type', 'content_type', 'mime'),
        status: shape.require('status'),
        from_portal: shape.pick('from_portal', 'sender_portal'),
        sha256: shape.pick('sha256', 'file_hash', 'checksum'),
        created_at: shape.pick('created_at'),
      },
      ['name', 'mime', 'status', 'from_portal', 'sha256', 'created_at'],
    );
    if (rows.length > 0 && !chunks) throw new V09RefusedError('table file_transfers has rows but there is no file_chunks table');
    const chunkId = chunks?.require('file_id');
    const chunkIndex = chunks?.require('chunk_index');
    chunks?.require('data', 'chunk_data');
    const files: V09File[] = [];
    for (const row of rows) {
      const sourceId = String(row.id ?? '');
      const skip = (reason: string): void => void skipped.push({ kind: 'files', sourceId, reason });
      const status = text(row.status);
      if (!status.ok || status.value.trim().toLowerCase() !== 'completed') {
        skip(`not completed in v0.9 (status ${status.ok ? status.value : status.problem})`);
        continue;
      }
      const indexes = this.db
        .prepare(`SELECT ${quote(chunkIndex!)} AS i, ${quote(chunks!.require('data', 'chunk_data'))} IS NULL AS missing FROM ${quote(chunks!.table)} WHERE ${quote(chunkId!)} = ? ORDER BY ${quote(chunkIndex!)}`)
        .all(row.id) as Array<{ i: unknown; missing: number }>;
      if (indexes.length === 0) {
        skip('no chunks stored');
        continue;
      }
      const gap = indexes.findIndex((chunk, position) => Number(chunk.i) !== position || chunk.missing);
      if (gap >= 0) {
        skip(`chunk ${gap} is missing`);
        continue;
      }
      const name = text(row.name);
      const mime = text(row.mime);
      const from = text(row.from_portal);
      const fromUrl = from.ok ? normalizePortalUrl(from.value, true) : null;
      const sha = text(row.sha256);
      const createdAt = timeOf(row) ?? new Date();
      files.push({
        sourceId,
        name: name.ok && name.value.trim() ? name.value : `file-${sourceId}`,
        mime: mime.ok ? mime.value : 'application/octet-stream',
        fromPortal: fromUrl && fromUrl !== ownUrl && known.has(fromUrl) ? fromUrl : null,
        createdAt,
        chunkCount: indexes.length,
        expectedSha256: sha.ok && /^[0-9a-f]{64}$/i.test(sha.value.trim()) ? sha.value.trim().toLowerCase() : null,
      });
    }
    return chronological(files);
  }
}

type TextResult = { ok: true; value: string } | { ok: false; problem: string };

/** A text cell, decoded strictly as UTF-8, without NUL characters (which PostgreSQL text cannot hold). */
function text(value: unknown): TextResult {
  if (value === null || value === undefined) return { ok: false, problem: 'is NULL' };
  if (typeof value === 'string') return { ok: true, value: value.replace(/\u0000/g, '') };
  if (typeof value === 'number' || typeof value === 'bigint') return { ok: true, value: String(value) };
  if (Buffer.isBuffer(value)) {
    try {
      return { ok: true, value: utf8.decode(value).replace(/\u0000/g, '') };
    } catch {
      return { ok: false, problem: 'is not UTF-8 text' };
    }
  }
  return { ok: false, problem: 'is not text' };
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.alloc(0);
}

function idOf(row: Row): string {
  return row.id === null || row.id === undefined ? '?' : String(row.id);
}

function truthy(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  const decoded = text(value);
  return decoded.ok && ['1', 'true', 'yes', 't'].includes(decoded.value.trim().toLowerCase());
}

/** Names are shown in lists: one line, at most 100 characters. */
function cleanName(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 100);
}

/** Oldest first; rows with the same time keep the v0.9 order (its ids). */
function chronological<T extends { createdAt: Date; sourceId: string }>(rows: T[]): T[] {
  const idOrder = (id: string): number => (/^\d+$/.test(id) ? Number(id) : Number.MAX_SAFE_INTEGER);
  return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || idOrder(a.sourceId) - idOrder(b.sourceId));
}

/** The row's created_at as a time (its SQLite type tells an epoch number from text). */
function timeOf(row: Row): Date | null {
  if (row.created_at_type === 'integer' || row.created_at_type === 'real') {
    const decoded = text(row.created_at);
    return decoded.ok ? parseV09Time(Number(decoded.value)) : null;
  }
  const decoded = text(row.created_at);
  return decoded.ok ? parseV09Time(decoded.value) : null;
}

/**
 * v0.9 timestamps: SQLite `CURRENT_TIMESTAMP` ('2025-03-01 12:00:00', UTC), Python's
 * `str(datetime.now())` ('2025-03-01 12:00:00.123456', the server's clock, taken as UTC since
 * nothing records its zone), `isoformat()` with or without an offset, a date alone, or Unix
 * seconds (or milliseconds). Anything else is not a time.
 */
export function parseV09Time(value: string | number): Date | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return null;
    const date = new Date(value > 1e11 ? value : value * 1000);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (!match) {
    if (/^\d+(\.\d+)?$/.test(value.trim())) return parseV09Time(Number(value.trim()));
    return null;
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = match;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(time);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return new Date(time);
}
