import { DataSource, type DataSourceOptions } from 'typeorm';
import { serializeSqliteAccess } from './sqlite-serializer';

/**
 * Opens the Portal's database and brings its schema up to date.
 *
 * On PostgreSQL several instances may start at once on one database: their migration runs would
 * race (both create the migrations table, both apply the first migration, one exits). A session
 * advisory lock, keyed on the schema the instance uses, lets one run the migrations while the
 * others wait; they then find nothing left to do. SQLite has one process per file.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource({ ...options, migrationsRun: false } as DataSourceOptions).initialize();
  try {
    await runMigrationsExclusively(dataSource);
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  serializeSqliteAccess(dataSource);
  return dataSource;
}

/** Applies pending migrations, on PostgreSQL under an advisory lock shared by every instance of this schema. */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'all' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ name }] = (await runner.query('SELECT current_schema() AS name')) as { name: string }[];
    const lockName = `agent-p2p:migrations:${name}`;
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [lockName]);
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [lockName]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
