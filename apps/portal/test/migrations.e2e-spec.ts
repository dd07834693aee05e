import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { ENTITIES } from '../src/database/entities';
import { POSTGRES_MIGRATIONS } from '../src/database/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../src/database/migrations/sqlite';
import { createSchema, dropSchema, POSTGRES_AVAILABLE, POSTGRES_URL } from './support/test-portal';

/** What the schema builder would still do after the migrations: must be nothing. */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

async function tableNames(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type === 'postgres') {
    // Only this test's schema: other tests create and drop their own schemas meanwhile, and listing
    // every schema's tables races with those drops ("schema … does not exist").
    const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
    const rows = (await dataSource.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1', [schema])) as Array<{ name: string }>;
    return rows.map((row) => row.name).sort();
  }
  const runner = dataSource.createQueryRunner();
  try {
    const tables = await runner.getTables();
    return tables.map((t) => t.name.split('.').pop()!).sort();
  } finally {
    await runner.release();
  }
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

  const postgresTitle = 'PostgreSQL: all migrations leave nothing for the schema builder; down and up again works';
  (POSTGRES_AVAILABLE ? it : it.skip)(
    POSTGRES_AVAILABLE ? postgresTitle : `${postgresTitle} (skipped: set PORTAL_TEST_DATABASE_URL or CI=true to run it against 127.0.0.1:5432)`,
    async () => {
      const schema = await createSchema(POSTGRES_URL);
      const dataSource = new DataSource(buildDataSourceOptions({ databaseUrl: POSTGRES_URL, dataDir: tmpdir() }, { postgresSchema: schema }));
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
