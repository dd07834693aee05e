import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docs/architecture.md describes apps/portal/src in its "Modules" table. This keeps the table true:
 * every folder and top-level file of the Portal has a row, every row names something that exists,
 * and the row of app.module.ts lists exactly the modules AppModule wires, in the same order.
 */
const root = process.cwd();
const src = join(root, 'apps/portal/src');
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

function modulesTable(): Map<string, string> {
  const start = doc.indexOf('## Modules (`apps/portal/src`)');
  expect(start).toBeGreaterThanOrEqual(0);
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const match = /^\| `([^`]+)` \| (.+) \|$/.exec(line);
    if (match) rows.set(match[1], match[2]);
  }
  return rows;
}

function wiredModules(): string[] {
  const appModule = readFileSync(join(src, 'app.module.ts'), 'utf8');
  const imports = /imports: \[([\s\S]*?)\n {6}\],/.exec(appModule);
  expect(imports).not.toBeNull();
  return [...imports![1].matchAll(/\b([A-Z]\w*)Module\b/g)].map((match) => match[1]).filter((name) => name !== 'TypeOrm');
}

describe('docs/architecture.md', () => {
  const rows = modulesTable();

  it('has a row for every folder and top-level file of apps/portal/src, and none for what is gone', () => {
    const present = readdirSync(src)
      .filter((name) => !name.endsWith('.spec.ts'))
      .map((name) => (statSync(join(src, name)).isDirectory() ? `${name}/` : name))
      .sort();
    expect([...rows.keys()].sort()).toEqual(present);
  });

  it('names, in the row of app.module.ts, exactly the modules AppModule imports, in order', () => {
    const row = rows.get('app.module.ts') ?? '';
    const listed = /the module list: ([^;]+);/.exec(row);
    expect(listed).not.toBeNull();
    expect(listed![1].split(',').map((name) => name.trim())).toEqual(wiredModules());
  });

  it('gives every feature module that AppModule imports a folder row', () => {
    const appModule = readFileSync(join(src, 'app.module.ts'), 'utf8');
    const folders = [...appModule.matchAll(/from '\.\/([\w-]+)\/[\w-]+\.module'/g)].map((match) => `${match[1]}/`);
    for (const folder of folders) expect(rows.has(folder)).toBe(true);
  });
});
