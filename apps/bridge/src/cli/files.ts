import { sanitizeFileName } from '@agent-p2p/protocol';
import { bytesInChunks, chunkCount, chunkIndexes, createPortalClient, type FileTransfer, type FileListQuery, PortalApiError, type PortalClient } from '@agent-p2p/sdk';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { pipeline } from 'node:stream/promises';
import { CliError, type CommandContext, type CommandSpec, EXIT, requestTimeoutMs, UsageError } from './framework';
import { bytes, fields, FRAMED_NOTE, framed, safe, table, time, toJson } from './output';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
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

// ---- helpers ----------------------------------------------------------------------------------

function contactIdOf(value: string | boolean | undefined, what: string): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim()) || Number(value.trim()) < 1) {
    throw new UsageError(`${what} must be a contact id, a whole number from 1 (got "${safe(value)}")`);
  }
  return Number(value.trim());
}

function fileIdOf(value: string | undefined): string {
  if (value === undefined || !UUID.test(value)) throw new UsageError(`the file id must be a UUID as shown by "agent-p2p files list" (got "${safe(value)}")`);
  return value.toLowerCase();
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** A progress line on a terminal (redrawn in place); nothing when stderr is not a terminal. */
class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly enabled: boolean,
    private readonly startAt = 0,
  ) {}

  update(done: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const elapsed = Math.max(0.001, (now - this.started) / 1000);
    const rate = (done - this.startAt) / elapsed;
    const percent = this.total ? Math.min(100, (done / this.total) * 100) : 100;
    const eta = rate > 0 ? (this.total - done) / rate : Number.POSITIVE_INFINITY;
    const width = 24;
    const filled = Math.round((percent / 100) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line = `${this.label} [${bar}] ${percent.toFixed(0).padStart(3)}%  ${bytes(done)} / ${bytes(this.total)}  ${bytes(rate)}/s  ETA ${duration(eta)}`;
    process.stderr.write(`\r\u001b[2K${line}`);
    this.drawn = true;
  }

  finish(): void {
    if (this.enabled && this.drawn) process.stderr.write('\n');
  }
}

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

async function withRetries<T>(what: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (error) {
      if (attempt >= CHUNK_ATTEMPTS || !retryable(error)) throw error;
      const delay = Math.min(8000, 250 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      await new Promise((done) => setTimeout(done, delay));
    }
  }
}

// ---- send-file --------------------------------------------------------------------------------

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
async function uploadChunks(client: PortalClient, path: string, upload: FileTransfer, progress: Progress, known: string[] | null): Promise<void> {
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
      await withRetries(() => client.uploadFileChunk(upload.id, chunk.index, chunk.buffer, chunk.sha256)).catch((error: unknown) => {
        // Hashed earlier than read: a mismatch means the file changed in between.
        if (known && error instanceof PortalApiError && error.status === 422) {
          throw new CliError(`${safe(path)} changed while it was being sent (chunk ${chunk.index} no longer matches); send it again`, EXIT.refused);
        }
        throw error;
      });
      done += chunk.buffer.length;
      progress.update(done);
    }
  } finally {
    await handle.close();
  }
  progress.update(done, true);
  progress.finish();
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/** Checks a --mime value (undefined when not given). */
export function mimeOption(value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !MIME.test(value)) throw new UsageError(`--mime must be a media type like application/pdf (got "${safe(value)}")`);
  return value;
}

export interface UploadRequest {
  path: string;
  /** The contact to send to; without it the file stays on the Portal (an owner-chat attachment). */
  contactId?: number;
  id?: string;
  mime?: string;
}

/**
 * Hashes a file, uploads it to the Portal in verified chunks (resuming those already there) and
 * returns it once the Portal holds it whole. Progress goes to stderr on a terminal.
 */
/** What an upload needs from its caller (a command, or the MCP server's send_file tool). */
export type UploadContext = Pick<CommandContext, 'client' | 'json' | 'err'>;

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
    throw new CliError(`the Portal has ${chunkCount(final.receivedRanges)} of ${final.chunks} chunks of file ${final.id}; run the same command again to resume`, EXIT.refused);
  }
  if (final.status === 'failed') throw new CliError(`file ${final.id} failed: ${safe(final.error ?? 'unknown error')}`, EXIT.refused);
  const seconds = Math.max(0.001, (Date.now() - started) / 1000);
  const sentBytes = final.size - Math.min(final.size, already * final.chunkSize);
  if (!tty && !context.json) {
    context.err(`sent ${bytes(sentBytes)} of ${bytes(final.size)} in ${seconds.toFixed(1)} s (${bytes(sentBytes / seconds)}/s)${already ? `, ${already} chunks were already there` : ''}`);
  }
  return final;
}

function uuidOption(value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !UUID.test(value)) throw new UsageError(`--id must be a UUID (got "${safe(value)}")`);
  return value;
}

async function sendFile(context: CommandContext): Promise<void> {
  const values = context.values;
  const fileOption = typeof values.file === 'string' ? values.file : undefined;
  if (fileOption !== undefined && context.positionals.length > 0) throw new UsageError('give the file either as an argument or with --file, not both');
  const path = fileOption ?? context.positionals[0];
  if (path === undefined) throw new UsageError('missing argument: agent-p2p send-file --to <contact-id> <path>');
  if (values.to === undefined) throw new UsageError('send-file needs --to <contact-id>');
  const contactId = contactIdOf(values.to, '--to');
  const id = uuidOption(values.id);
  const mime = mimeOption(values.mime);
  const final = await uploadFile(context, { path, contactId, id, mime });
  if (context.json) return context.out(toJson(final));
  context.out(`File ${final.id} (${safe(final.name)}, ${bytes(final.size)}) is on your Portal, which now relays it to contact ${final.contactId} (${final.status}).`);
  context.out(`Follow its delivery: agent-p2p files show ${final.id}`);
}

const SEND_FILE_OPTIONS: CommandSpec['options'] = {
  to: { type: 'string', short: 't', value: 'ID', help: 'the contact id (see agent-p2p contacts list)' },
  file: { type: 'string', short: 'f', value: 'PATH', help: 'the file (instead of the <path> argument)' },
  id: { type: 'string', value: 'UUID', help: 'your own file id: the same command with the same id resumes and never sends twice' },
  mime: { type: 'string', value: 'TYPE', help: 'media type, e.g. application/pdf (default application/octet-stream)' },
};

export const sendFileCommand: CommandSpec = {
  path: ['send-file'],
  args: '--to <contact-id> <path>',
  summary: 'Send a file to a contact (chunked, verified, resumable with --id)',
  details: [
    'Hashes the file (SHA-256), uploads it to your Portal in chunks, each with its own SHA-256, and',
    'ends when the Portal holds every chunk verified. The Portal relays the chunks to the contact as',
    'they arrive, finishes on its own and retries: "agent-p2p files show <id>" follows the delivery.',
    'Give --id (a UUID) to make retries safe: running the same command again with the same id skips',
    'the chunks already there.',
    'A progress bar (bytes, rate, ETA) is shown on a terminal; otherwise one summary line on stderr.',
    'Also accepted: agent-p2p send_file -f <path> -t <contact-id>.',
    '',
    'Example: agent-p2p send-file --to 3 ./report.pdf --id 7d3c0c9e-8f1a-4a51-9d43-0b8d4f6f0a11',
  ].join('\n'),
  options: SEND_FILE_OPTIONS,
  positionals: { min: 0, max: 1 },
  run: sendFile,
};

export const sendFileAlias: CommandSpec = {
  ...sendFileCommand,
  path: ['send_file'],
  args: '-f <path> -t <contact-id>',
  summary: 'Same as send-file',
};

// ---- files list / show / get / delete -----------------------------------------------------------

function fileRow(file: FileTransfer): string[] {
  const progress = file.status === 'uploading' || file.status === 'receiving' ? ` ${chunkCount(file.receivedRanges)}/${file.chunks}` : '';
  return [file.id, file.direction, `${file.status}${progress}`, bytes(file.size), file.contactId === null ? '-' : String(file.contactId), framed(file.name, 60), time(file.createdAt)];
}

export const filesList: CommandSpec = {
  path: ['files', 'list'],
  args: '[--with <contact-id>] [--direction in|out|local]',
  summary: 'Files sent and received (newest first)',
  details: [
    'Names of received files were chosen by the peer: untrusted text, shown inside <<<untrusted … >>>.',
    '--json prints the raw fields: text written by peers is untrusted data there too, without markers.',
  ].join('\n'),
  options: {
    with: { type: 'string', value: 'ID', help: 'only files with this contact' },
    direction: { type: 'string', value: 'DIR', help: 'in (received), out (sent) or local (owner-chat files)' },
    limit: { type: 'string', value: 'N', help: 'at most N files (1-500)' },
  },
  positionals: { min: 0, max: 0 },
  async run(context) {
    const query: FileListQuery = {};
    if (context.values.with !== undefined) query.contactId = contactIdOf(context.values.with, '--with');
    const direction = context.values.direction;
    if (direction !== undefined) {
      if (direction !== 'in' && direction !== 'out' && direction !== 'local') throw new UsageError(`--direction must be one of in, out, local (got "${safe(direction)}")`);
      query.direction = direction;
    }
    const limit = context.values.limit;
    if (limit !== undefined) {
      if (typeof limit !== 'string' || !/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 500) throw new UsageError(`--limit must be between 1 and 500 (got "${safe(limit)}")`);
      query.limit = Number(limit);
    }
    const files = await context.client().listFiles(query);
    if (context.json) return context.out(toJson(files));
    if (files.length === 0) return context.out('No files.');
    context.out(table(['ID', 'DIR', 'STATUS', 'SIZE', 'CONTACT', 'NAME', 'CREATED'], files.map(fileRow)));
    context.out(FRAMED_NOTE);
  },
};

export const filesShow: CommandSpec = {
  path: ['files', 'show'],
  args: '<file-id>',
  summary: 'One file: status, chunks, delivery to the contact',
  positionals: { min: 1, max: 1 },
  async run(context) {
    const file = await context.client().getFile(fileIdOf(context.positionals[0]));
    if (context.json) return context.out(toJson(file));
    const lines: Array<[string, string]> = [
      ['File', file.id],
      ['Name', framed(file.name)],
      [
        'Direction',
        file.direction === 'in' ? `in, from contact ${file.contactId}` : file.direction === 'out' ? `out, to contact ${file.contactId}` : 'local (kept on your Portal for the owner chat, never sent)',
      ],
      ['Status', `${file.status}${file.error ? `: ${framed(file.error, 300)}` : ''}`],
      ['Size', `${bytes(file.size)} (${file.size} bytes), ${framed(file.mime, 100)}`],
      ['SHA-256', safe(file.sha256)],
      ['Chunks', `${chunkCount(file.receivedRanges)} of ${file.chunks} here (${bytes(file.chunkSize)} each)`],
    ];
    if (file.delivery) {
      const d = file.delivery;
      lines.push([
        'Delivery',
        `${d.step} ${d.status}, ${d.attempts} attempts${d.lastError ? `, last error: ${framed(d.lastError, 200)}` : ''}${d.nextAttemptAt ? `, next ${time(d.nextAttemptAt)}` : ''}`,
      ]);
    }
    lines.push(['Created', time(file.createdAt)], ['Completed', time(file.completedAt)]);
    context.out(fields(lines));
    if (file.direction === 'in' && file.contentAvailable) context.out(`Download: agent-p2p files get ${file.id}`);
    context.out(FRAMED_NOTE);
  },
};

/**
 * A client whose timeout covers only the wait for the answer's headers, not reading the body: a
 * large download streams for as long as it needs.
 */
export function downloadClient(config: { hubUrl: string; apiKey: string }, env: NodeJS.ProcessEnv): PortalClient {
  const timeoutMs = requestTimeoutMs(env);
  return createPortalClient({
    baseUrl: config.hubUrl,
    apiKey: config.apiKey,
    fetch: async (input, init) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      try {
        return await globalThis.fetch(input, { ...init, signal: controller.signal });
      } catch (error) {
        if (controller.signal.aborted) throw new Error(`no answer within ${timeoutMs / 1000} s`);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export const filesGet: CommandSpec = {
  path: ['files', 'get'],
  args: '<file-id> [-o DIR] [--force]',
  summary: 'Download a file into a directory (checks its SHA-256; never overwrites without --force)',
  details: [
    'Streams to a temporary file in DIR, checks the SHA-256, then gives it its name. The name is the',
    "sender's, cleaned again here: no directories, no leading dots, no control characters; the file",
    'always lands directly inside DIR. An existing file of that name is kept unless --force.',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o', value: 'DIR', help: 'the directory to save into (default: the current one)' },
    force: { type: 'boolean', help: 'replace an existing file of the same name' },
  },
  positionals: { min: 1, max: 1 },
  async run(context) {
    const id = fileIdOf(context.positionals[0]);
    const dir = typeof context.values.output === 'string' ? context.values.output : '.';
    const config = context.config();
    const { file, path } = await saveFile(context.client(), downloadClient(config, context.env), id, dir, context.values.force === true);
    if (context.json) return context.out(toJson({ ...file, path }));
    // The file name in the path is the peer's choice (made safe for the disk, still their words).
    context.out(`Saved ${framed(path)} (${bytes(file.size)}, SHA-256 verified).`);
  },
};

/**
 * Downloads a file into a directory under its cleaned name: streamed to a temporary file, checked
 * against its size and SHA-256, then named (never replacing a file unless `force`).
 */
export async function saveFile(client: PortalClient, download: PortalClient, id: string, directory: string, force: boolean): Promise<{ file: FileTransfer; path: string }> {
  const dir = resolve(directory);
  let dirInfo: Stats;
  try {
    dirInfo = await stat(dir);
  } catch {
    throw new UsageError(`no such directory: ${safe(dir)}`);
  }
  if (!dirInfo.isDirectory()) throw new UsageError(`not a directory: ${safe(dir)}`);
  const file = await client.getFile(id);
  if (!file.contentAvailable) throw new CliError(`file ${file.id} cannot be downloaded (status ${file.status})`, EXIT.refused);
  const name = sanitizeFileName(file.name);
  const target = join(dir, name);
  // Belt and braces: the cleaned name has no separators, so this always holds.
  if (dirname(target) !== dir || basename(target) !== name) throw new CliError(`refusing the file name ${framed(file.name, 200)}`, EXIT.refused);
  if (!force && (await exists(target))) throw new CliError(`${safe(target)} already exists (give --force to replace it)`, EXIT.refused);
  const temp = join(dir, `.agent-p2p-${file.id.slice(0, 8)}-${randomBytes(4).toString('hex')}.part`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    const response = await download.downloadFile(file.id);
    if (!response.body) throw new CliError('the Portal sent no content', EXIT.unreachable);
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    await pipeline(body, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    const sha256 = hash.digest('hex');
    if (size !== file.size || sha256 !== file.sha256.toLowerCase()) {
      throw new CliError(`the download of file ${file.id} does not match its SHA-256 (got ${size} bytes, ${sha256}); nothing saved`, EXIT.refused);
    }
    if (force) {
      await rename(temp, target);
    } else {
      // link() fails when the name appeared meanwhile: never overwrites.
      try {
        await link(temp, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${safe(target)} already exists (give --force to replace it)`, EXIT.refused);
        throw error;
      }
      await unlink(temp);
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof PortalApiError || error instanceof CliError || error instanceof UsageError) throw error;
    throw new CliError(`cannot save file ${file.id}: ${(error as Error).message}`, EXIT.refused);
  }
  return { file, path: target };
}

export const filesDelete: CommandSpec = {
  path: ['files', 'delete'],
  args: '<file-id>',
  summary: 'Delete a file from this Portal (a transfer in progress stops)',
  positionals: { min: 1, max: 1 },
  async run(context) {
    const id = fileIdOf(context.positionals[0]);
    await context.client().deleteFile(id);
    if (context.json) return context.out(toJson({ id, deleted: true }));
    context.out(`File ${id} deleted.`);
  },
};

export const FILE_COMMANDS: CommandSpec[] = [sendFileCommand, sendFileAlias, filesList, filesShow, filesGet, filesDelete];
