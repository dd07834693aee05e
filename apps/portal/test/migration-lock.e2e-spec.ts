import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { POSTGRES_MIGRATIONS } from '../src/database/migrations/postgres';
import { openDataSource } from '../src/database/open-data-source';
import { createSchema, dropSchema, POSTGRES_AVAILABLE, POSTGRES_URL } from '@agent-p2p/testing';
const title = 'PostgreSQL: instances starting together on an empty database all start, and each migration runs once';
const STARTS = 4;
const ROUNDS = 3;

describe('migrations under concurrent starts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-migrate-'));
  const schemas: string[] = [];

  afterAll(async () => {
    for (const schema of schemas) await dropSchema(POSTGRES_URL, schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  (POSTGRES_AVAILABLE ? it : it.skip)(
    POSTGRES_AVAILABLE ? title : `${title} (skipped: set PORTAL_TEST_DATABASE_URL or CI=true)`,
    async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const schema = await createSchema(POSTGRES_URL);
        schemas.push(schema);
        const options = buildDataSourceOptions({ databaseUrl: POSTGRES_URL, dataDir }, { postgresSchema: schema });
        const opened = await Promise.allSettled(Array.from({ length: STARTS }, () => openDataSource(options)));
        const sources = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        try {
          const failures = opened.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
          expect(failures).toEqual([]);
          const rows = (await sources[0].query(`SELECT name FROM "${schema}"."migrations" ORDER BY id`)) as { name: string }[];
          expect(rows.map((row) => row.name)).toEqual(POSTGRES_MIGRATIONS.map((migration) => migration.name));
        } finally {
          await Promise.all(sources.map((source: DataSource) => source.destroy()));
        }
      }
    },
  );
});
