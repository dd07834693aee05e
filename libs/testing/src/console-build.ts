import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** apps/console/dist, built now if it is missing (npm run build normally does it). */
export function ensureConsoleBuilt(): string {
  const dist = resolve(process.cwd(), 'apps', 'console', 'dist');
  if (!existsSync(join(dist, 'index.html')) || !existsSync(join(dist, 'home.html'))) {
    const result = spawnSync(process.execPath, [resolve(process.cwd(), 'apps', 'console', 'build.mjs')], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error('building the console failed');
  }
  return dist;
}
