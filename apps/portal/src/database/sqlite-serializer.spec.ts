import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Setting } from '../auth/entities/setting.entity';
import { buildDataSourceOptions } from './data-source-options';
import { serializeSqliteAccess } from './sqlite-serializer';

describe('serializeSqliteAccess', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-serial-'));
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource(buildDataSourceOptions({ databaseUrl: '', dataDir })).initialize();
    await dataSource.runMigrations();
    serializeSqliteAccess(dataSource);
  });
  afterAll(async () => {
    await dataSource.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets overlapping transactions, saves and plain statements take turns without losing writes', async () => {
    const repo = dataSource.getRepository(Setting);
    const work: Promise<unknown>[] = [];
    for (let loop = 0; loop < 5; loop += 1) {
      work.push(
        (async () => {
          for (let i = 0; i < 40; i += 1) {
            await dataSource.transaction(async (manager) => {
              await manager.insert(Setting, { key: `tx-${loop}-${i}`, value: 'a', updatedAt: new Date() });
              await new Promise((resolve) => setImmediate(resolve));
              await manager.update(Setting, { key: `tx-${loop}-${i}` }, { value: 'b' });
            });
            await repo.save({ key: `save-${loop}-${i}`, value: 'c', updatedAt: new Date() });
            await repo.update({ key: `save-${loop}-${i}` }, { value: 'd' });
          }
        })(),
      );
    }
    // A transaction that fails rolls back only its own writes.
    work.push(
      dataSource
        .transaction(async (manager) => {
          await manager.insert(Setting, { key: 'doomed', value: 'x', updatedAt: new Date() });
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error('boom');
        })
        .catch(() => undefined),
    );
    await Promise.all(work);
    expect(await repo.countBy({ value: 'b' })).toBe(200);
    expect(await repo.countBy({ value: 'd' })).toBe(200);
    expect(await repo.findOneBy({ key: 'doomed' })).toBeNull();
  });
});
