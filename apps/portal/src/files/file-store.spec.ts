import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from './file-store';

describe('FileStore.removeStaleParts', () => {
  const root = mkdtempSync(join(tmpdir(), 'ap2p-store-'));

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('removes parts left long ago, keeps parts another instance may be writing now, and never chunks', async () => {
    const dir = join(root, randomUUID());
    mkdirSync(dir);
    const paths = { old: join(dir, `0.part-${randomUUID()}`), fresh: join(dir, `1.part-${randomUUID()}`), chunk: join(dir, '2.chunk') };
    for (const path of Object.values(paths)) writeFileSync(path, 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(paths.old, twoHoursAgo, twoHoursAgo);
    utimesSync(paths.chunk, twoHoursAgo, twoHoursAgo);
    await new FileStore(root).removeStaleParts();
    expect({ old: existsSync(paths.old), fresh: existsSync(paths.fresh), chunk: existsSync(paths.chunk) }).toEqual({
      old: false,
      fresh: true,
      chunk: true,
    });
  });
});
