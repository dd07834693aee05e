import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { PortalConfig } from '../config/portal-config';
import { ENTITIES } from './entities';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(config: Pick<PortalConfig, 'databaseUrl'>): Dialect {
  return config.databaseUrl ? 'postgres' : 'sqlite';
}

export interface DataSourceExtras {
  /** PostgreSQL only: a schema to create and use (isolates tests sharing one database). */
  postgresSchema?: string;
}

/** TypeORM options for the configured database. Migrations run at start; never synchronize. */
export function buildDataSourceOptions(
  config: Pick<PortalConfig, 'databaseUrl' | 'dataDir'>,
  extras: DataSourceExtras = {},
): DataSourceOptions {
  if (dialectOf(config) === 'postgres') {
    useUtcTimestamps();
    const schema = extras.postgresSchema;
    return {
      type: 'postgres',
      url: config.databaseUrl,
      entities: ENTITIES,
      migrations: POSTGRES_MIGRATIONS,
      migrationsRun: false,
      synchronize: false,
      logging: false,
      ...(schema ? { schema } : {}),
      extra: {
        // Every timestamp is UTC on the wire and in storage.
        options: `-c timezone=UTC${schema ? ` -c search_path=${schema}` : ''}`,
        max: 10,
      },
    };
  }
  mkdirSync(config.dataDir, { recursive: true });
  return {
    type: 'better-sqlite3',
    database: join(config.dataDir, 'portal.sqlite'),
    entities: ENTITIES,
    migrations: SQLITE_MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    enableWAL: true,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}

/** `timestamp` columns hold UTC: dates are sent as UTC and read back as UTC, whatever the host's TZ. */
function useUtcTimestamps(): void {
  pg.defaults.parseInputDatesAsUTC = true;
  pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (value: string) => new Date(`${value.replace(' ', 'T')}Z`));
}
