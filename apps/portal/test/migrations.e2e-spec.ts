import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { ENTITIES } from '../src/database/entities';
import { POSTGRES_MIGRATIONS } from '../src/database/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../src/database/migrations/sqlite';
import { createSchema, dropSchema, POSTGRES_AVAILABLE, POSTGRES_URL } from '@agent-p2p/testing';
/** What the schema builder would still do after the migrations: must be nothing. */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

async function tableNames(dataSource: DataSource): Promise<string[]> {
  // Asked of the catalogue directly: on PostgreSQL only this test's schema counts (other tests create
  // and drop their own schemas on the same server at the same time).
  const schema = (dataSource.options as { schema?: string }).schema;
  const rows = (await (schema
    ? dataSource.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1', [schema])
    : dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'"))) as Array<{ name: string }>;
  return rows.map((row) => row.name).sort();
}

async function checkMigrations(dataSource: DataSource, migrationCount: number): Promise<void> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  expect(applied).toHaveLength(migrationCount);
  expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  const entityTables = ENTITIES.map((entity) => dataSource.getMetadata(entity).tableName).sort();
  expect(await tableNames(dataSource)).toEqual(expect.arrayContaining(entityTables));

  // Every migration can be undone, newest first, down to nothing …
  for (let i = 0; i < migrationCount; i++) await dataSource.undoLastMigration({ transaction: 'each' });
  const left = await tableNames(dataSource);
  expect(left.filter((name) => entityTables.includes(name))).toEqual([]);
  // … and applied again, with the same result.
  expect(await dataSource.runMigrations({ transaction: 'each' })).toHaveLength(migrationCount);
  expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  expect(await dataSource.showMigrations()).toBe(false);
}

/**
 * Rows written before the owner-chat-attachments migration survive it (on SQLite it rebuilds the
 * files and owner_chat_messages tables) and come out with the new columns' defaults.
 */
async function checkAttachmentsMigrationKeepsRows(dataSource: DataSource): Promise<void> {
  const postgres = dataSource.options.type === 'postgres';
  const sql = (text: string): string =>
    postgres
      ? text.replace(
          /\?/g,
          (
            (n) => () =>
              `$${++n}`
          )(0),
        )
      : text;
  // better-sqlite3 binds neither booleans nor dates: stored as TypeORM stores them.
  const now = postgres ? new Date() : new Date().toISOString().replace('T', ' ').replace('Z', '');
  const yes = postgres ? true : 1;
  await dataSource.runMigrations({ transaction: 'each' });
  // Back to the schema before the attachments migration.
  while ((await dataSource.query(sql('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')))[0]?.name !== 'Files1795600231128') {
    await dataSource.undoLastMigration({ transaction: 'each' });
  }
  await dataSource.query(
    sql(
      'INSERT INTO files (id, contact_id, direction, remote_id, name, size, sha256, mime, chunk_size, chunk_count, status, error, content_stored, created_at, updated_at, completed_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    [
      '11111111-1111-4111-8111-111111111111',
      7,
      'in',
      '22222222-2222-4222-8222-222222222222',
      'old.pdf',
      3_000_000_000,
      'a'.repeat(64),
      'application/pdf',
      8388608,
      358,
      'received',
      null,
      yes,
      now,
      now,
      now,
    ],
  );
  await dataSource.query(sql('INSERT INTO owner_chat_messages (id, role, content, created_at) VALUES (?, ?, ?, ?)'), [
    '33333333-3333-4333-8333-333333333333',
    'owner',
    'from before',
    now,
  ]);
  await dataSource.runMigrations({ transaction: 'each' });
  const [file] = await dataSource.query(sql('SELECT contact_id, direction, name, size, status FROM files WHERE id = ?'), [
    '11111111-1111-4111-8111-111111111111',
  ]);
  expect({ ...file, size: Number(file.size) }).toEqual({
    contact_id: 7,
    direction: 'in',
    name: 'old.pdf',
    size: 3_000_000_000,
    status: 'received',
  });
  const [message] = await dataSource.query(sql('SELECT role, content, attachments FROM owner_chat_messages WHERE id = ?'), [
    '33333333-3333-4333-8333-333333333333',
  ]);
  expect(message).toEqual({ role: 'owner', content: 'from before', attachments: null });
  // A local file (no contact) fits the new schema.
  await dataSource.query(
    sql(
      'INSERT INTO files (id, contact_id, direction, remote_id, name, size, sha256, mime, chunk_size, chunk_count, status, error, content_stored, created_at, updated_at, completed_at) ' +
        'VALUES (?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL)',
    ),
    ['44444444-4444-4444-8444-444444444444', 'local', 'mine.txt', 5, 'b'.repeat(64), 'text/plain', 8388608, 1, 'stored', yes, now, now],
  );
  expect(await pendingSchemaChanges(dataSource)).toEqual([]);
}

describe('migrations match the entities', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('every entity is listed once and every migration list is non-empty', () => {
    expect(new Set(ENTITIES).size).toBe(ENTITIES.length);
    expect(SQLITE_MIGRATIONS.length).toBeGreaterThan(0);
    // Both dialects evolve together: the same migrations, by class name, in the same order.
    expect(POSTGRES_MIGRATIONS.map((m) => m.name)).toEqual(SQLITE_MIGRATIONS.map((m) => m.name));
  });

  it('SQLite: all migrations leave nothing for the schema builder; down and up again works', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-drift-'));
    dirs.push(dataDir);
    const dataSource = new DataSource(buildDataSourceOptions({ databaseUrl: '', dataDir }));
    await dataSource.initialize();
    try {
      await checkMigrations(dataSource, SQLITE_MIGRATIONS.length);
    } finally {
      await dataSource.destroy();
    }
  });

  it('SQLite: files and owner-chat messages written before the attachments migration survive it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-keep-'));
    dirs.push(dataDir);
    const dataSource = new DataSource(buildDataSourceOptions({ databaseUrl: '', dataDir }));
    await dataSource.initialize();
    try {
      await checkAttachmentsMigrationKeepsRows(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });

  (POSTGRES_AVAILABLE ? it : it.skip)(
    'PostgreSQL: files and owner-chat messages written before the attachments migration survive it',
    async () => {
      const schema = await createSchema(POSTGRES_URL);
      const dataSource = new DataSource(
        buildDataSourceOptions({ databaseUrl: POSTGRES_URL, dataDir: tmpdir() }, { postgresSchema: schema }),
      );
      try {
        await dataSource.initialize();
        await checkAttachmentsMigrationKeepsRows(dataSource);
      } finally {
        if (dataSource.isInitialized) await dataSource.destroy();
        await dropSchema(POSTGRES_URL, schema);
      }
    },
  );

  const postgresTitle = 'PostgreSQL: all migrations leave nothing for the schema builder; down and up again works';
  (POSTGRES_AVAILABLE ? it : it.skip)(
    POSTGRES_AVAILABLE
      ? postgresTitle
      : `${postgresTitle} (skipped: set PORTAL_TEST_DATABASE_URL or CI=true to run it against 127.0.0.1:5432)`,
    async () => {
      const schema = await createSchema(POSTGRES_URL);
      const dataSource = new DataSource(
        buildDataSourceOptions({ databaseUrl: POSTGRES_URL, dataDir: tmpdir() }, { postgresSchema: schema }),
      );
      try {
        await dataSource.initialize();
        await checkMigrations(dataSource, POSTGRES_MIGRATIONS.length);
      } finally {
        if (dataSource.isInitialized) await dataSource.destroy();
        await dropSchema(POSTGRES_URL, schema);
      }
    },
  );
});
