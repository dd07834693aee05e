import type { Readable } from 'node:stream';
import type { FileDeliveryDto } from './dto/file.dto';
import type { FileTransfer } from './entities/file-transfer.entity';
import type { ChunkRanges } from './chunk-ranges';

/**
 * Outbox kinds of a transfer. A file is relayed as a chain of small steps (offer, one chunk, …,
 * complete), each its own outbox item, and each step enqueues the next one when it is delivered.
 * Why not one item per file: the outbox delivers a peer's items strictly in order, so a 2 GiB item
 * would hold every message to that peer back for the whole transfer. Why not all chunks enqueued at
 * once: messages sent meanwhile would still queue behind all of them. With the chain, a message sent
 * during a transfer waits for at most one chunk. The receiver answers every step with the chunks it
 * already holds, and the next step is chosen from that answer, so after a restart of either Portal
 * (the pending step is durable) the transfer resumes without re-sending verified chunks.
 *
 * The relay runs while the agent is still uploading: the first chunk stored enqueues the offer (the
 * declared SHA-256 travels with it; the receiver checks every chunk and the whole file anyway), and
 * each step sends the lowest chunk that we hold and the receiver lacks. When there is none, the
 * chain stops with no step pending, which is its durable "waiting" state: the next chunk stored
 * (or, once all are here, the whole-file check) sees that the newest step is delivered and enqueues
 * the next one in its own transaction. Nothing polls. `complete` is only enqueued once our own
 * whole-file check passed (status sending), so the receiver never verifies, nor offers its agent, a
 * file that fails here; when it fails here (or is deleted) during the relay, `file.cancel` tells
 * the receiver to drop its partial copy. Both sides of the hand-over (a step delivered, a chunk
 * stored) first update the file's row, so with several instances on PostgreSQL one of them waits
 * for the other's commit and exactly one of them enqueues the next step.
 */
export const FILE_OUTBOX = { offer: 'file.offer', chunk: 'file.chunk', complete: 'file.complete', cancel: 'file.cancel' } as const;
/** The kinds of the relay chain (the cancel message is not a step of it). */
export const FILE_KINDS: string[] = [FILE_OUTBOX.offer, FILE_OUTBOX.chunk, FILE_OUTBOX.complete];
export const STEP_OF: Record<string, FileDeliveryDto['step']> = {
  'file.offer': 'offer',
  'file.chunk': 'chunk',
  'file.complete': 'complete',
};
/** Outgoing files whose relay may run: still uploading, or uploaded and verified. */
export const RELAYING: FileTransfer['status'][] = ['uploading', 'sending'];

/** One chunk as it arrives over HTTP (from the agent, the console or a contact's Portal). */
export interface ChunkUpload {
  index: string;
  sha256: string | string[] | undefined;
  contentLength: string | string[] | undefined;
  body: Readable;
}

export interface FileContent {
  status: 200 | 206;
  headers: Record<string, string>;
  stream: Readable | null;
}

/** The whole content is here and verified (and not removed since). */
export function contentComplete(file: Pick<FileTransfer, 'status' | 'contentStored'>): boolean {
  return (
    file.contentStored &&
    (file.status === 'sending' || file.status === 'delivered' || file.status === 'received' || file.status === 'stored')
  );
}

export function countOf(ranges: ChunkRanges): number {
  return ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0);
}

export function chunkCountOf(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** One byte range (RFC 9110): `bytes=a-b`, `bytes=a-`, `bytes=-n`. Null when malformed, multiple or unsatisfiable. */
export function parseRange(header: string, size: number): { start: number; end: number } | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return null;
  }
  if (start >= size || !Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return null;
  return { start, end };
}
