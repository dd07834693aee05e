#!/usr/bin/env node
// Writes a migration per dialect for whatever the entities declare that the existing migrations
// do not create yet. Usage: npm run build && node scripts/generate-migration.cjs AddMessages
// Needs PostgreSQL on 127.0.0.1:5432 (database test) for the postgres half.
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { DataSource } = require('typeorm');
const pg = require('pg');
const { buildDataSourceOptions } = require('../apps/portal/dist/database/data-source-options');

const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  console.error('usage: node scripts/generate-migration.cjs PascalCaseName');
  process.exit(2);
}
const pgUrl = process.env.PORTAL_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const timestamp = Date.now();
const migrationsDir = join(__dirname, '..', 'apps', 'portal', 'src', 'database', 'migrations');

async function diff(dialect) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-migration-'));
  const schema = `migration_gen_${process.pid}`;
  let options;
  if (dialect === 'postgres') {
    const client = new pg.Client(pgUrl);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await client.end();
    options = buildDataSourceOptions({ databaseUrl: pgUrl, dataDir }, { postgresSchema: schema });
  } else {
    options = buildDataSourceOptions({ databaseUrl: '', dataDir });
  }
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
    const log = await dataSource.driver.createSchemaBuilder().log();
    return {
      up: log.upQueries.map((q) => q.query.replaceAll(`"${schema}".`, '')),
      down: log.downQueries.reverse().map((q) => q.query.replaceAll(`"${schema}".`, '')),
    };
  } finally {
    await dataSource.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    if (dialect === 'postgres') {
      const client = new pg.Client(pgUrl);
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}

function render(className, queries) {
  const lines = (list) => list.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(queries.up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines(queries.down)}
  }
}
`;
}

(async () => {
  for (const [dialect, listName] of [
    ['sqlite', 'SQLITE_MIGRATIONS'],
    ['postgres', 'POSTGRES_MIGRATIONS'],
  ]) {
    const queries = await diff(dialect);
    if (queries.up.length === 0) {
      console.log(`${dialect}: nothing to do`);
      continue;
    }
    const className = `${name}${timestamp}`;
    const file = `${timestamp}-${name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
    writeFileSync(join(migrationsDir, dialect, `${file}.ts`), render(className, queries));
    const indexPath = join(migrationsDir, dialect, 'index.ts');
    let index = readFileSync(indexPath, 'utf8');
    index = index.replace(/(import [^\n]*\n)(?![\s\S]*import )/, `$1import { ${className} } from './${file}';\n`);
    index = index.replace(new RegExp(`(${listName}: [^\\n]*?= \\[)([^\\]]*)\\]`), (_m, head, body) => {
      const items = body
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .concat(className);
      return `${head}${items.join(', ')}]`;
    });
    writeFileSync(indexPath, index);
    console.log(`${dialect}: wrote ${file}.ts (${queries.up.length} statements)`);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
