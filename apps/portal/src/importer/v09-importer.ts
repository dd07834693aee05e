import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, dialectOf } from '../database/data-source-options';
import { ImportRun } from './v09-import-run';
import type { V09ImportOptions, V09ImportReport } from './v09-import-types';
import { openV09, V09RefusedError, type V09Snapshot } from './v09-source';

export type { V09ImportOptions, V09ImportReport, V09KindCounts } from './v09-import-types';
export { V09RefusedError } from './v09-source';

/**
 * Imports a v0.9.x database into a Portal's database (SQLite or PostgreSQL, as configured), in one
 * transaction. Every imported row is recorded in `import_records` under a key made of the v0.9
 * Portal's URL, the kind and the row's v0.9 id, so a second run finds them all and changes nothing.
 * No events are written: the history is not news, and an agent woken for every old message would
 * answer conversations that ended long ago.
 */
export async function importV09(options: V09ImportOptions): Promise<V09ImportReport> {
  const source = openV09(options.sourcePath);
  let snapshot: V09Snapshot;
  try {
    snapshot = source.read();
  } catch (error) {
    source.close();
    throw error;
  }
  let dataSource: DataSource | null = null;
  try {
    if (options.dryRun && dialectOf(options.config) === 'sqlite' && !existsSync(join(options.config.dataDir, 'portal.sqlite'))) {
      // No Portal database yet: everything would be imported, and a dry run does not create one.
      const run = new ImportRun(snapshot, source, options, true);
      await run.apply(null);
      return run.report();
    }
    dataSource = await new DataSource(buildDataSourceOptions(options.config, options.database)).initialize();
    let fresh = false;
    if (options.dryRun) {
      // Asking TypeORM for pending migrations would create its table: look first.
      fresh = !(await hasTable(dataSource, 'migrations'));
      if (!fresh && (await dataSource.showMigrations())) {
        throw new V09RefusedError(
          "the Portal's database is older than this Portal: start the Portal once (or import without --dry-run), then try again",
        );
      }
    } else {
      await dataSource.runMigrations({ transaction: 'each' });
    }
    const run = new ImportRun(snapshot, source, options, fresh);
    if (options.dryRun) await run.apply(dataSource.manager);
    else await run.applyInTransaction(dataSource);
    return run.report();
  } finally {
    source.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
  }
}

async function hasTable(dataSource: DataSource, table: string): Promise<boolean> {
  const runner = dataSource.createQueryRunner();
  try {
    return await runner.hasTable(table);
  } finally {
    await runner.release();
  }
}
