import { withRetries } from '@agent-p2p/protocol';
import { bytesInChunks, chunkCount, chunkIndexes, type FileTransfer, PortalApiError, type PortalClient } from '@agent-p2p/sdk';
import { createHash } from 'node:crypto';
import { type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CliError, EXIT, UsageError } from '../portal';
import { bytes, safe } from '../text';
import { Progress } from './progress';

/** Attempts per chunk when the network or the Portal fails (5xx, 408, 429). */
const CHUNK_ATTEMPTS = 6;
/** Read size while hashing the whole file. */
const HASH_READ_BYTES = 4 * 1024 * 1024;
/** The chunk size of Portals that do not set PORTAL_FILE_CHUNK_BYTES. */
const USUAL_CHUNK_BYTES = 8 * 1024 * 1024;

/** Worker code: the SHA-256 of every chunk of a file (workerData: path, size, chunkSize). */
const CHUNK_HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { path, size, chunkSize } = workerData;
const buffer = Buffer.allocUnsafe(Math.min(chunkSize, ${HASH_READ_BYTES}));
const fd = openSync(path, 'r');
const hashes = [];
try {
  for (let start = 0; start < size; start += chunkSize) {
    const end = Math.min(size, start + chunkSize);
    const hash = createHash('sha256');
    for (let position = start; position < end; ) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
      if (read === 0) throw new Error('the file became shorter');
      hash.update(buffer.subarray(0, read));
      position += read;
    }
    hashes.push(hash.digest('hex'));
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage(hashes);
`;

/**
 * Hashes the whole file, reading through two reused buffers in turn: the next block is read while
 * this one is hashed (a stream would allocate a new buffer per read). Nothing is sent before this
 * ends, so its speed counts in full.
 */
async function sha256OfFile(path: string, progress: Progress): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(HASH_READ_BYTES), Buffer.allocUnsafe(HASH_READ_BYTES)];
  let done = 0;
  try {
    let position = 0;
    let next = handle.read(buffers[0], 0, HASH_READ_BYTES, position);
    for (let turn = 0; ; turn++) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break;
      position += bytesRead;
      next = handle.read(buffers[(turn + 1) % 2], 0, HASH_READ_BYTES, position);
      // A read error of the next block surfaces when it is awaited, not as an unhandled rejection.
      next.catch(() => undefined);
      hash.update(buffers[turn % 2].subarray(0, bytesRead));
      done += bytesRead;
      progress.update(done);
    }
  } finally {
    await handle.close();
  }
  progress.update(done, true);
  progress.finish();
  return hash.digest('hex');
}

function retryable(error: unknown): boolean {
  if (!(error instanceof PortalApiError)) return false;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

/** The retry schedule of a chunk upload: 250 ms doubling up to 8 s, CHUNK_ATTEMPTS tries in all. */
const CHUNK_RETRIES = { attempts: CHUNK_ATTEMPTS, initialMs: 250, maxMs: 8000, retryable } as const;

async function statFile(path: string): Promise<Stats> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`not a regular file: ${safe(path)}`);
    return info;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${safe(path)}`);
    throw new UsageError(`cannot read ${safe(path)}: ${safe((error as Error).message)}`);
  }
}

/**
 * The SHA-256 of each chunk at `chunkSize`, computed in a worker thread. Started alongside the
 * whole-file hash (which the upload must wait for anyway), it runs on a core that would otherwise
 * idle and takes the chunk hashing off the upload's path, where the CPU is shared with the
 * Portal. Resolves to null when the worker cannot run; stop() ends it when its result is not needed.
 */
export function hashChunksAside(path: string, size: number, chunkSize: number): { hashes: Promise<string[] | null>; stop(): void } {
  let worker: Worker;
  try {
    worker = new Worker(CHUNK_HASH_WORKER, { eval: true, workerData: { path, size, chunkSize } });
  } catch {
    return { hashes: Promise.resolve(null), stop: () => undefined };
  }
  const hashes = new Promise<string[] | null>((resolve) => {
    worker.once('message', (value: string[]) => resolve(value));
    worker.once('error', () => resolve(null));
    worker.once('exit', () => resolve(null));
  });
  return { hashes, stop: () => void worker.terminate() };
}

/** Uploads the chunks the Portal lacks; `known` holds chunk hashes computed beforehand (else each chunk is hashed as it is read). */
async function uploadChunks(
  client: PortalClient,
  path: string,
  upload: FileTransfer,
  progress: Progress,
  known: string[] | null,
): Promise<void> {
  const have = new Set(chunkIndexes(upload.receivedRanges));
  const missing: number[] = [];
  for (let index = 0; index < upload.chunks; index++) if (!have.has(index)) missing.push(index);
  let done = bytesInChunks(upload.receivedRanges, upload.chunkSize, upload.size);
  const handle = await open(path, 'r');
  // Two chunk buffers, used in turn: one being uploaded while the next chunk is read into the other.
  // Fresh 8 MiB buffers per chunk would cost more CPU than the hashing.
  const buffers = [0, 1].map(() => Buffer.allocUnsafe(Math.min(upload.chunkSize, upload.size)));
  /** Reads chunk `index` from disk into the buffer of its turn, and hashes it. */
  const prepare = async (index: number, turn: number): Promise<{ index: number; buffer: Buffer; sha256: string }> => {
    const start = index * upload.chunkSize;
    const length = Math.min(upload.chunkSize, upload.size - start);
    const buffer = buffers[turn % 2].subarray(0, length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, start + read);
      if (bytesRead === 0) throw new CliError(`${safe(path)} became shorter while it was being sent`, EXIT.refused);
      read += bytesRead;
    }
    return { index, buffer, sha256: known?.[index] ?? createHash('sha256').update(buffer).digest('hex') };
  };
  try {
    // One chunk uploading while the next one is read and hashed: at most two chunks in memory and
    // one request at a time on the Portal.
    let pending = missing.length ? prepare(missing[0], 0) : null;
    for (let position = 0; pending; position++) {
      const chunk = await pending;
      pending = position + 1 < missing.length ? prepare(missing[position + 1], position + 1) : null;
      // A read error of the prefetched chunk surfaces when it is awaited, not as an unhandled rejection.
      pending?.catch(() => undefined);
      await withRetries(() => client.uploadFileChunk(upload.id, chunk.index, chunk.buffer, chunk.sha256), CHUNK_RETRIES).catch(
        (error: unknown) => {
          // Hashed earlier than read: a mismatch means the file changed in between.
          if (known && error instanceof PortalApiError && error.status === 422) {
            throw new CliError(
              `${safe(path)} changed while it was being sent (chunk ${chunk.index} no longer matches); send it again`,
              EXIT.refused,
            );
          }
          throw error;
        },
      );
      done += chunk.buffer.length;
      progress.update(done);
    }
  } finally {
    await handle.close();
  }
  progress.update(done, true);
  progress.finish();
}

export interface UploadRequest {
  path: string;
  /** The contact to send to; without it the file stays on the Portal (an owner-chat attachment). */
  contactId?: number;
  id?: string;
  mime?: string;
}

/** What an upload needs from its caller (a command, or the MCP server's send_file tool). */
export interface UploadContext {
  client(): PortalClient;
  /** Machine output: no progress bar and no summary line. */
  json: boolean;
  /** A line for stderr (the summary when stderr is not a terminal). */
  err(text: string): void;
}

/**
 * Hashes a file, uploads it to the Portal in verified chunks (resuming those already there) and
 * returns it once the Portal holds it whole. Progress goes to stderr on a terminal.
 */

export async function uploadFile(context: UploadContext, request: UploadRequest): Promise<FileTransfer> {
  const info = await statFile(request.path);
  const client = context.client();
  const tty = !context.json && process.stderr.isTTY === true;
  const started = Date.now();
  // The chunk hashes for the usual chunk size, alongside the whole-file hash (used if the Portal has that size).
  const aside = info.size > USUAL_CHUNK_BYTES ? hashChunksAside(request.path, info.size, USUAL_CHUNK_BYTES) : null;
  let upload: FileTransfer;
  try {
    const sha256 = await sha256OfFile(request.path, new Progress('hashing ', info.size, tty));
    const name = basename(resolve(request.path));
    upload = await client.createFileUpload({
      ...(request.contactId !== undefined ? { contactId: request.contactId } : {}),
      name,
      size: info.size,
      sha256,
      ...(request.mime ? { mime: request.mime } : {}),
      ...(request.id ? { id: request.id } : {}),
    });
    if (upload.status === 'uploading') {
      const known = aside && upload.chunkSize === USUAL_CHUNK_BYTES ? await aside.hashes : null;
      const startAt = bytesInChunks(upload.receivedRanges, upload.chunkSize, upload.size);
      await uploadChunks(client, request.path, upload, new Progress('sending ', upload.size, tty, startAt), known);
    }
  } finally {
    aside?.stop();
  }
  const already = chunkCount(upload.receivedRanges);
  const final = await client.getFile(upload.id);
  if (final.status === 'uploading' || chunkCount(final.receivedRanges) < final.chunks) {
    throw new CliError(
      `the Portal has ${chunkCount(final.receivedRanges)} of ${final.chunks} chunks of file ${final.id}; run the same command again to resume`,
      EXIT.refused,
    );
  }
  if (final.status === 'failed') throw new CliError(`file ${final.id} failed: ${safe(final.error ?? 'unknown error')}`, EXIT.refused);
  const seconds = Math.max(0.001, (Date.now() - started) / 1000);
  const sentBytes = final.size - Math.min(final.size, already * final.chunkSize);
  if (!tty && !context.json) {
    context.err(
      `sent ${bytes(sentBytes)} of ${bytes(final.size)} in ${seconds.toFixed(1)} s (${bytes(sentBytes / seconds)}/s)${already ? `, ${already} chunks were already there` : ''}`,
    );
  }
  return final;
}
