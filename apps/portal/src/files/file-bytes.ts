import { Inject, Injectable } from '@nestjs/common';
import { createHash, type Hash } from 'node:crypto';
import { join } from 'node:path';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import type { FileTransfer } from './entities/file-transfer.entity';
import { FileStore } from './file-store';

const MAX_RUNNING_HASHES = 1000;

/**
 * The bytes of this Portal's files (`<dataDir>/files`), and the whole-file hash of transfers whose
 * chunks arrived in order so far (the usual case: the CLI and the relay send in order), so
 * completing one does not read the whole file back from disk. Anything else (out of order, a
 * restart, another instance) falls back to reading the chunks.
 */
@Injectable()
export class FileBytes {
  readonly store: FileStore;
  private readonly runningHashes = new Map<string, { next: number; hash: Hash }>();

  constructor(@Inject(PORTAL_CONFIG) config: PortalConfig) {
    this.store = new FileStore(join(config.dataDir, 'files'));
  }

  /** The hash over the chunks before `index`, when they are all that was stored so far (in order). */
  hashBefore(fileId: string, index: number): Hash | undefined {
    const running = this.runningHashes.get(fileId) ?? (index === 0 ? { next: 0, hash: createHash('sha256') } : undefined);
    return running?.next === index ? running.hash : undefined;
  }

  /** Chunk `index` was committed: the hash carried over it goes on, if it covers every chunk before. The hash only ever covers committed chunks, in order. */
  committed(fileId: string, index: number, whole: Hash | undefined): void {
    const base = this.runningHashes.get(fileId);
    if (whole && (base ? base.next === index : index === 0)) {
      if (this.runningHashes.size >= MAX_RUNNING_HASHES) this.runningHashes.clear();
      this.runningHashes.set(fileId, { next: index + 1, hash: whole });
    }
  }

  /** The whole file's SHA-256: carried along while chunks arrived in order, else read back from disk. */
  async wholeSha256(file: FileTransfer): Promise<string> {
    const running = this.runningHashes.get(file.id);
    this.runningHashes.delete(file.id);
    if (running && running.next === file.chunkCount) return running.hash.digest('hex');
    return this.store.wholeSha256(file.id, file.chunkCount);
  }

  forget(fileId: string): void {
    this.runningHashes.delete(fileId);
  }
}
