import { BadRequestException, HttpException, PayloadTooLargeException, UnprocessableEntityException } from '@nestjs/common';
import { createHash, type Hash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes buffered on the way from the request to a chunk file. */
const WRITE_BUFFER_BYTES = 1024 * 1024;
/** A part file untouched this long belongs to no live upload (chunk requests time out well before). */
const STALE_PART_MS = 60 * 60 * 1000;

/**
 * 507: the disk (or a contact's share of it) has no room. `details.code` says which, for the
 * sending Portal (which parks the transfer until there is room): `quota_exceeded` (the contact's
 * quota) or `disk_full` (the free-disk floor).
 */
export class InsufficientStorageException extends HttpException {
  constructor(message: string, code: 'quota_exceeded' | 'disk_full') {
    super({ statusCode: 507, error: 'Insufficient Storage', message, details: { code } }, 507);
  }
}

export interface ChunkSpec {
  index: number;
  /** Exact length the chunk must have. */
  length: number;
  /** Expected SHA-256, lowercase hex. */
  sha256: string;
}

/**
 * The bytes of files on disk: `<root>/<file id>/<index>.chunk`, one file per verified chunk. A chunk
 * is streamed to a private `.part` file while its length and SHA-256 are checked, and renamed into
 * place only when both match and its writer holds the chunk's claim in the database, so a refused,
 * interrupted or losing chunk leaves nothing behind and a stored chunk is never replaced. Downloads
 * read the chunk files in order (no second copy of the file is ever assembled).
 */
export class FileStore {
  constructor(readonly root: string) {}

  dirOf(fileId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(fileId)) throw new Error('file ids are UUIDs');
    return join(this.root, fileId);
  }

  chunkPath(fileId: string, index: number): string {
    return join(this.dirOf(fileId), `${index}.chunk`);
  }

  async freeBytes(): Promise<number> {
    await mkdir(this.root, { recursive: true });
    const info = await statfs(this.root);
    return Number(info.bavail) * Number(info.bsize);
  }

  /**
   * Streams one chunk to a private part file. Too many bytes: 413 as soon as they arrive; too few:
   * 400; wrong hash: 422. In every failure the part file is removed (and the file's directory, if it
   * holds nothing else). The part becomes the chunk only through commitPart(), which the caller runs
   * once it holds the chunk's claim, so two writers of one chunk never replace each other's bytes.
   * Given the whole file's hash over the chunks before this one, also returns it carried on over this chunk.
   */
  async writePart(fileId: string, spec: ChunkSpec, body: Readable, wholeSoFar?: Hash): Promise<{ part: string; whole: Hash | undefined }> {
    const dir = this.dirOf(fileId);
    await mkdir(dir, { recursive: true });
    const part = join(dir, `${spec.index}.part-${randomUUID()}`);
    const hash = createHash('sha256');
    // The whole file's hash, carried on over this chunk (a copy: kept only if the chunk is).
    const whole = wholeSoFar?.copy();
    let received = 0;
    // Generous buffers on the way to disk: with the defaults (16 KiB) every 64 KiB socket read
    // becomes its own write, and those writes cost more CPU than both hashes.
    const meter = new Transform({
      highWaterMark: WRITE_BUFFER_BYTES,
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received > spec.length) {
          callback(new PayloadTooLargeException(`chunk ${spec.index} must be ${spec.length} bytes; more arrived`));
          return;
        }
        hash.update(chunk);
        whole?.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(part, { flags: 'wx', highWaterMark: WRITE_BUFFER_BYTES }));
      if (received !== spec.length) {
        throw new BadRequestException(`chunk ${spec.index} must be ${spec.length} bytes; got ${received}`);
      }
      const actual = hash.digest('hex');
      if (actual !== spec.sha256) {
        throw new UnprocessableEntityException(`chunk ${spec.index} does not match its SHA-256 (got ${actual}); nothing was kept`);
      }
      return { part, whole };
    } catch (error) {
      await this.discardPart(fileId, part);
      // The client went away mid-chunk: nothing can be answered, but nothing is kept either.
      if (!(error instanceof HttpException)) body.resume();
      throw error;
    }
  }

  /** The verified part file becomes chunk `index` (only by the writer that claimed the chunk). */
  async commitPart(fileId: string, index: number, part: string): Promise<void> {
    await rename(part, this.chunkPath(fileId, index));
  }

  /** Removes a part file that did not become a chunk (and the file's directory, if it holds nothing else). */
  async discardPart(fileId: string, part: string): Promise<void> {
    await rm(part, { force: true });
    await this.removeDirIfEmpty(fileId);
  }

  async hasChunk(fileId: string, index: number): Promise<boolean> {
    try {
      await stat(this.chunkPath(fileId, index));
      return true;
    } catch {
      return false;
    }
  }

  /** SHA-256 of the chunks in order, read from disk. */
  async wholeSha256(fileId: string, chunkCount: number): Promise<string> {
    const hash = createHash('sha256');
    for (let index = 0; index < chunkCount; index += 1) {
      for await (const data of createReadStream(this.chunkPath(fileId, index), { highWaterMark: 1 << 20 })) {
        hash.update(data as Buffer);
      }
    }
    return hash.digest('hex');
  }

  /** Bytes start..end (inclusive) of the file, read across chunk files. */
  openRange(fileId: string, chunkSize: number, start: number, end: number): Readable {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    const pump = async (): Promise<void> => {
      let position = start;
      while (position <= end) {
        const index = Math.floor(position / chunkSize);
        const offset = position - index * chunkSize;
        const last = Math.min(chunkSize - 1, end - index * chunkSize);
        const source = createReadStream(this.chunkPath(fileId, index), { start: offset, end: last, highWaterMark: 1 << 20 });
        try {
          for await (const data of source) {
            if (out.destroyed) return;
            if (!out.write(data)) await drained(out);
          }
        } finally {
          source.destroy();
        }
        position = index * chunkSize + last + 1;
      }
      out.end();
    };
    pump().catch((error: Error) => out.destroy(error));
    return out;
  }

  openChunk(fileId: string, index: number): Readable {
    return createReadStream(this.chunkPath(fileId, index), { highWaterMark: 1 << 20 });
  }

  async remove(fileId: string): Promise<void> {
    await rm(this.dirOf(fileId), { recursive: true, force: true });
  }

  /**
   * Removes chunk files a crash left half-written (at start). Another instance sharing the data
   * directory may be writing parts right now: only parts untouched for `olderThanMs` are removed.
   */
  async removeStaleParts(olderThanMs = STALE_PART_MS, now = Date.now()): Promise<void> {
    let dirs: string[];
    try {
      dirs = await readdir(this.root);
    } catch {
      return;
    }
    for (const dir of dirs) {
      let names: string[];
      try {
        names = await readdir(join(this.root, dir));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.includes('.part-')) continue;
        const path = join(this.root, dir, name);
        const modified = await stat(path).then(
          (info) => info.mtimeMs,
          () => undefined,
        );
        if (modified !== undefined && now - modified >= olderThanMs) await rm(path, { force: true });
      }
    }
  }

  private async removeDirIfEmpty(fileId: string): Promise<void> {
    try {
      await rmdir(this.dirOf(fileId));
    } catch {
      // not empty (other chunks are stored) or already gone
    }
  }
}

/** Resolves when the stream wants more data, or when it was closed (the reader went away). */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
