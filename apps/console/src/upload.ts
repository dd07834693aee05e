import { withRetries } from '@agent-p2p/protocol';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { chunkIndexes, type FileTransfer, PortalApiError, type PortalClient } from '@agent-p2p/sdk';

/** Slices read while hashing the whole file: the file is never held in memory whole. */
const HASH_SLICE = 4 * 1024 * 1024;
/** Tries per chunk when the network or the Portal fails (status 0, 408, 429, 5xx), waiting about 1 s, 2 s, 4 s between them. */
const CHUNK_RETRIES = { attempts: 4, initialMs: 1000, maxMs: 4000 };

export interface UploadProgress {
  phase: 'hashing' | 'uploading';
  done: number;
  total: number;
}

async function bytesOf(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

function retryable(error: unknown): boolean {
  return error instanceof PortalApiError && (error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500);
}

/**
 * Uploads a file picked in the browser the way the CLI does: the SHA-256 of the whole file first
 * (read in slices), then each chunk with its own SHA-256. Without a contact the file stays on the
 * Portal (an owner-chat attachment); with one, the Portal relays it. Resolves once the Portal
 * holds the whole file verified.
 */
export async function uploadFile(
  client: PortalClient,
  file: File,
  options: { contactId?: number; onProgress?: (progress: UploadProgress) => void } = {},
): Promise<FileTransfer> {
  const report = options.onProgress ?? (() => undefined);
  const whole = sha256.create();
  for (let offset = 0; offset < file.size; offset += HASH_SLICE) {
    whole.update(await bytesOf(file.slice(offset, offset + HASH_SLICE)));
    report({ phase: 'hashing', done: Math.min(file.size, offset + HASH_SLICE), total: file.size });
  }
  const upload = await client.createFileUpload({
    ...(options.contactId !== undefined ? { contactId: options.contactId } : {}),
    name: file.name || 'file',
    size: file.size,
    sha256: bytesToHex(whole.digest()),
    ...(file.type && file.type.length <= 255 ? { mime: file.type } : {}),
  });
  const have = new Set(chunkIndexes(upload.receivedRanges));
  let done = 0;
  for (let index = 0; index < upload.chunks; index++) {
    const start = index * upload.chunkSize;
    const end = Math.min(file.size, start + upload.chunkSize);
    if (!have.has(index)) {
      const slice = file.slice(start, end);
      const hash = bytesToHex(sha256(await bytesOf(slice)));
      // The slice itself as the body: Chromium sends a Blob several times faster than a typed array.
      await withRetries(() => client.uploadFileChunk(upload.id, index, slice, hash), { ...CHUNK_RETRIES, retryable });
    }
    done += end - start;
    report({ phase: 'uploading', done, total: file.size });
  }
  return client.getFile(upload.id);
}
