import { sanitizeFileName } from '@agent-p2p/protocol';
import { chunkIndexes, type FileTransfer, type PortalClient } from '@agent-p2p/sdk';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
// Extensionless: Jest loads this module from its source (test/replayed-sends.e2e-spec.ts) and maps no '.js'.
import { captionId, fileSendId } from './ids';
import { sendToContact } from './portal';

/** Where received files are kept for the agent to read: <OpenClaw state dir>/agent-p2p/media/<fileId>/. */
export function mediaRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.OPENCLAW_STATE_DIR || join(env.OPENCLAW_HOME || homedir(), '.openclaw'), 'agent-p2p', 'media');
}

/**
 * Downloads a received file into the media directory, checking its SHA-256 against the one the
 * Portal verified; a mismatch leaves nothing behind. Returns the local path.
 */
export async function downloadReceivedFile(
  client: PortalClient,
  file: { fileId: string; name: string; sha256: string },
  root = mediaRoot(),
): Promise<string> {
  const dir = join(root, file.fileId);
  await mkdir(dir, { recursive: true });
  const target = join(dir, sanitizeFileName(file.name));
  try {
    const existing = await stat(target);
    if (existing.isFile() && (await sha256OfFile(target)) === file.sha256.toLowerCase()) return target;
  } catch {
    // not there yet
  }
  const response = await client.downloadFile(file.fileId);
  if (!response.ok || !response.body) throw new Error(`the Portal did not hand over file ${file.fileId} (HTTP ${response.status})`);
  const partial = `${target}.${randomBytes(4).toString('hex')}.part`;
  const hash = createHash('sha256');
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  try {
    await pipeline(body, createWriteStream(partial, { mode: 0o600 }));
    const digest = hash.digest('hex');
    if (digest !== file.sha256.toLowerCase()) throw new Error(`file ${file.fileId}: SHA-256 ${digest} is not the announced ${file.sha256}`);
    await rename(partial, target);
    return target;
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return hash.digest('hex');
}

const MIME: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

/** What a send of a file may fix in advance. */
export interface FileSendOptions {
  /** Media type (default: from the name's extension). */
  mime?: string;
  /**
   * The upload's id, from the file's SHA-256 and name (e.g. `fileSendId`). Creating the same id
   * again gives back the transfer the Portal already has: only its missing chunks are uploaded,
   * and a complete one is not sent again.
   */
  idFor?: (file: { sha256: string; name: string }) => string;
}

/**
 * Sends a local file to a contact through the Portal's verified transfer: the whole file's and
 * each chunk's SHA-256 go with it; the Portal relays it to the contact.
 */
export async function sendFileToContact(
  client: PortalClient,
  contactId: number,
  path: string,
  options: FileSendOptions = {},
): Promise<FileTransfer> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  const sha256 = await sha256OfFile(path);
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  const type = options.mime || MIME[dot > 0 ? name.slice(dot).toLowerCase() : ''] || 'application/octet-stream';
  const id = options.idFor?.({ sha256, name });
  const upload = await client.createFileUpload({ contactId, name, size: info.size, sha256, mime: type, ...(id ? { id } : {}) });
  // The same id again: a transfer past its upload (sending, delivered, failed) is the answer as it is.
  if (upload.status !== 'uploading') return upload;
  const held = new Set(chunkIndexes(upload.receivedRanges));
  const handle = await open(path, 'r');
  try {
    for (let index = 0; index < upload.chunks; index += 1) {
      if (held.has(index)) continue;
      const start = index * upload.chunkSize;
      const length = Math.min(upload.chunkSize, info.size - start);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, start);
      await client.uploadFileChunk(upload.id, index, buffer, createHash('sha256').update(buffer).digest('hex'));
    }
  } finally {
    await handle.close();
  }
  return client.getFile(upload.id);
}

/**
 * A file (and its caption) from the agent to a contact. With `inboundId`, the Portal id of the
 * message the turn answers, both get ids derived from it (`ids.ts`): a turn replayed after a crash
 * neither sends the file nor its caption twice. Without one (a send outside a contact's turn) the
 * Portal picks the file's id and the caption gets a fresh one.
 */
export async function sendMediaToContact(
  client: PortalClient,
  contactId: number,
  path: string,
  caption: string,
  inboundId: string | null,
): Promise<FileTransfer> {
  const file = await sendFileToContact(client, contactId, path, inboundId ? { idFor: (f) => fileSendId(inboundId, contactId, f) } : {});
  const text = caption.trim();
  if (text) await sendToContact(client, contactId, text, inboundId ? captionId(file.id) : undefined);
  return file;
}
