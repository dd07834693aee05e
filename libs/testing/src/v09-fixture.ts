import Database from 'better-sqlite3';

/**
 * Builds databases of the earlier Python Portal (v0.9.x) as its `init_db` and migrations wrote
 * them, for the importer's tests. Rows are given per table; a column left out of a row is NULL.
 */
export interface V09FixtureOptions {
  /** The v0.9 Portal's own URL, in its `config` table (omitted: no config table). */
  ownUrl?: string;
  /** Name the display-name column DISPLAY_NAME, as some installs have it. */
  renamedDisplayName?: boolean;
  /** Leave out the columns later v0.9 versions added (agent_name, user_name, expires_at, message_type, file_url, …). */
  oldColumns?: boolean;
  /** Create file_transfers and file_chunks (v0.9 migration 003). */
  fileTables?: boolean;
  /** Create owner_chats and guest_messages (default true). */
  ownerTables?: boolean;
}

export type FixtureValue = string | number | Buffer | null | { sql: string };
export type FixtureRow = Record<string, FixtureValue>;

export class V09Fixture {
  readonly db: Database.Database;

  constructor(
    readonly path: string,
    options: V09FixtureOptions = {},
  ) {
    this.db = new Database(path);
    const display = options.renamedDisplayName ? 'DISPLAY_NAME' : 'display_name';
    const old = options.oldColumns;
    this.db.exec(`
      CREATE TABLE contacts (id INTEGER PRIMARY KEY AUTOINCREMENT, portal_url TEXT UNIQUE NOT NULL, ${display} TEXT,
        ${old ? '' : 'agent_name TEXT, user_name TEXT,'} SHARED_KEY TEXT, is_verified INTEGER DEFAULT 0,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP${old ? '' : ', expires_at TIMESTAMP'});
      CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, from_portal TEXT, to_portal TEXT, content TEXT,
        ${old ? '' : "message_type TEXT DEFAULT 'text', sender_api_key TEXT, file_url TEXT,"} is_delivered INTEGER DEFAULT 0,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
      CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, portal_url TEXT, agent_name TEXT, user_name TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, is_active INTEGER DEFAULT 1${old ? '' : ', description TEXT'});
    `);
    if (options.ownerTables !== false) {
      this.db.exec(`
        CREATE TABLE owner_chats (id INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT, content TEXT, created_at TEXT);
        CREATE TABLE guest_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, content TEXT, ip_address TEXT, user_agent TEXT,
          created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, is_read INTEGER DEFAULT 0, status TEXT DEFAULT 'visible');
      `);
    }
    if (options.ownUrl !== undefined) {
      this.db.exec('CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT)');
      this.insert('config', [{ key: 'PORTAL_URL', value: options.ownUrl }]);
    }
    if (options.fileTables) {
      this.db.exec(`
        CREATE TABLE file_transfers (file_id TEXT PRIMARY KEY, filename TEXT, mime_type TEXT, file_size INTEGER,
          total_chunks INTEGER, from_portal TEXT, to_portal TEXT, status TEXT DEFAULT 'pending',
          created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
        CREATE TABLE file_chunks (id INTEGER PRIMARY KEY AUTOINCREMENT, file_id TEXT, chunk_index INTEGER, data BLOB,
          created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
      `);
    }
  }

  /** Inserts rows; `{ sql }` values are SQL expressions (e.g. CAST(X'C328' AS TEXT) for bytes that are not UTF-8). */
  insert(table: string, rows: FixtureRow[]): this {
    for (const row of rows) {
      const columns = Object.keys(row);
      const values = columns.map((column) => {
        const value = row[column];
        return value !== null && typeof value === 'object' && 'sql' in value ? value.sql : '?';
      });
      const params = columns
        .map((column) => row[column])
        .filter((value) => !(value !== null && typeof value === 'object' && 'sql' in value));
      this.db.prepare(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${values.join(', ')})`).run(...params);
    }
    return this;
  }

  /** Stores a file as v0.9 did: one row in file_transfers and its bytes in file_chunks, split at the given sizes. */
  addFile(file: {
    id: string;
    name: string;
    status: string;
    fromPortal: string;
    toPortal: string;
    createdAt: string;
    bytes: Buffer;
    split: number[];
  }): this {
    this.insert('file_transfers', [
      {
        file_id: file.id,
        filename: file.name,
        mime_type: 'application/pdf',
        file_size: file.bytes.length,
        total_chunks: file.split.length,
        from_portal: file.fromPortal,
        to_portal: file.toPortal,
        status: file.status,
        created_at: file.createdAt,
      },
    ]);
    let offset = 0;
    file.split.forEach((size, index) => {
      this.insert('file_chunks', [{ file_id: file.id, chunk_index: index, data: file.bytes.subarray(offset, offset + size) }]);
      offset += size;
    });
    return this;
  }

  close(): void {
    this.db.close();
  }
}
