import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V09File } from './v09-snapshot';
import type { V09Source } from './v09-source';

export interface StoreOptions {
  dataDir: string;
  /** This Portal's chunk size. */
  chunkBytes: number;
  /** Only hash, write nothing. */
  dryRun: boolean;
  /** Told each directory written to (so a failed import can remove it). */
  written(dir: string): void;
}

/** A stored file: its size, SHA-256 and chunks; or why it was left out. */
export type StoredFile = { size: number; sha256: string; chunks: Array<{ size: number; sha256: string }> } | { reason: string };

/**
 * Reassembles a v0.9 file from its chunks into this Portal's chunk size, under
 * `<dataDir>/files/<id>/<index>.chunk` (in a dry run only hashed), with its SHA-256.
 */
export async function storeV09File(source: V09Source, file: V09File, id: string, options: StoreOptions): Promise<StoredFile> {
  const chunkBytes = options.chunkBytes;
  const dir = join(options.dataDir, 'files', id);
  const whole = createHash('sha256');
  const chunks: Array<{ size: number; sha256: string }> = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  if (!options.dryRun) {
    await mkdir(dir, { recursive: true });
    options.written(dir);
  }
  const flush = async (bytes: Buffer): Promise<void> => {
    chunks.push({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    if (!options.dryRun) await writeFile(join(dir, `${chunks.length - 1}.chunk`), bytes, { flag: 'wx' });
  };
  for (const piece of source.fileChunks(file)) {
    whole.update(piece);
    size += piece.length;
    pending.push(piece);
    pendingBytes += piece.length;
    while (pendingBytes >= chunkBytes) {
      const joined = Buffer.concat(pending);
      await flush(joined.subarray(0, chunkBytes));
      pending = [joined.subarray(chunkBytes)];
      pendingBytes = joined.length - chunkBytes;
    }
  }
  if (pendingBytes > 0 || chunks.length === 0) await flush(Buffer.concat(pending));
  const sha256 = whole.digest('hex');
  if (file.expectedSha256 && file.expectedSha256 !== sha256) {
    if (!options.dryRun) await rm(dir, { recursive: true, force: true });
    return { reason: `its chunks do not match the SHA-256 v0.9 recorded (${file.expectedSha256})` };
  }
  return { size, sha256, chunks };
}
