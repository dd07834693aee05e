import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
  PayloadTooLargeException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, type Hash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DataSource, type EntityManager, In, LessThan, Not, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { type ContactCaller, ContactsService } from '../contacts/contacts.service';
import type { Contact } from '../contacts/entities/contact.entity';
import { dialectOf } from '../database/data-source-options';
import type { OwnerChatAttachmentDto } from '../owner-chat/dto/owner-chat.dto';
import type { FileDeliveredPayloadDto, FileFailedPayloadDto, FileReceivedPayloadDto } from '../events/dto/event-payloads.dto';
import { EventsService } from '../events/events.service';
import type { OutboxItem } from '../federation/entities/outbox-item.entity';
import { OutboxService } from '../federation/outbox.service';
import type { PeerRequest, PeerResponse } from '../federation/peer-client';
import type {
  FederationFileOfferDto,
  FederationFileStateDto,
  FileChunkReceiptDto,
  FileCreateDto,
  FileDeliveryDto,
  FileListQueryDto,
  FileListResponseDto,
  FileResponseDto,
} from './dto/file.dto';
import { FileChunk } from './entities/file-chunk.entity';
import { FileTransfer } from './entities/file-transfer.entity';
import { contentDisposition, sanitizeFileName, sanitizeMime } from './file-names';
import { FileStore, InsufficientStorageException } from './file-store';
import { type ChunkRanges, firstMissing, heldByPeer, toChunkRanges } from './chunk-ranges';

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
const FILE_KINDS: string[] = [FILE_OUTBOX.offer, FILE_OUTBOX.chunk, FILE_OUTBOX.complete];
const STEP_OF: Record<string, FileDeliveryDto['step']> = { 'file.offer': 'offer', 'file.chunk': 'chunk', 'file.complete': 'complete' };
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Outgoing files whose relay may run: still uploading, or uploaded and verified. */
const RELAYING: FileTransfer['status'][] = ['uploading', 'sending'];
/** A chunk upload to a peer may take longer than a JSON call; it stays below the outbox lease (total + 30 s). */
const CHUNK_EXTRA_TIMEOUT_MS = 20_000;
const DEFAULT_LIST = 100;
const MAX_RUNNING_HASHES = 1000;
/** First argument of the PostgreSQL advisory lock that serialises quota checks per contact ("ap2q"). */
const QUOTA_LOCK_CLASS = 0x61703271;

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

@Injectable()
export class FilesService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FilesService.name);
  readonly store: FileStore;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Files whose whole-file check runs now (parallel last chunks must not both finish the upload). */
  private readonly finishing = new Set<string>();
  /**
   * The whole-file hash of transfers whose chunks arrived in order so far (the usual case: the CLI
   * and the relay send in order), so completing one does not read the whole file back from disk.
   * Anything else (out of order, a restart, another instance) falls back to reading the chunks.
   */
  private readonly runningHashes = new Map<string, { next: number; hash: Hash }>();
  private readonly dialect: 'sqlite' | 'postgres';
  /** PostgreSQL: this Portal's schema (instances on other schemas of the database do not share its locks). */
  private readonly schema: string;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(FileTransfer) private readonly files: Repository<FileTransfer>,
    @InjectRepository(FileChunk) private readonly chunks: Repository<FileChunk>,
    private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
  ) {
    this.store = new FileStore(join(config.dataDir, 'files'));
    this.dialect = dialectOf(config);
    this.schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  }

  onModuleInit(): void {
    for (const kind of FILE_KINDS) {
      this.outbox.registerHandler(kind, {
        buildRequest: (item) => this.buildStep(item),
        onDelivered: (manager, item, response) => this.stepDelivered(manager, item, response),
        onFailed: (manager, item, reason) => this.relayFailed(manager, item, reason),
      });
    }
    this.outbox.registerHandler(FILE_OUTBOX.cancel, {
      buildRequest: (item) => this.buildCancel(item),
      onDelivered: async () => undefined,
      onFailed: async () => undefined,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.store.removeStaleParts();
    this.sweepTimer = setInterval(() => void this.sweep().catch((error) => this.logger.error({ err: error }, 'File sweep failed')), this.config.files.sweepIntervalSeconds * 1000);
    this.sweepTimer.unref();
    void this.sweep().catch((error) => this.logger.error({ err: error }, 'File sweep failed'));
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  // ---- the agent's side ----------------------------------------------------------------------

  /** Starts an upload: to a contact (relayed when complete), or, without a contact, a local file for the owner chat. */
  async create(dto: FileCreateDto): Promise<FileResponseDto> {
    const name = sanitizeFileName(dto.name);
    const mime = sanitizeMime(dto.mime);
    const sha256 = dto.sha256.toLowerCase();
    if (dto.id) {
      const existing = await this.files.findOne({ where: { id: dto.id.toLowerCase() } });
      if (existing) return this.replayCreate(existing, { ...dto, name, mime, sha256 });
    }
    const contactId = dto.contactId === undefined ? null : (await this.contacts.getActive(dto.contactId)).id;
    this.checkSize(dto.size);
    const chunkSize = this.config.files.chunkBytes;
    const { maxChunksPerFile } = this.config.files;
    if (chunkCountOf(dto.size, chunkSize) > maxChunksPerFile) {
      throw new PayloadTooLargeException(
        `The file is ${dto.size} bytes: in chunks of ${chunkSize} bytes that is more than the ${maxChunksPerFile} chunks a file may have here`,
      );
    }
    const now = new Date();
    const file = this.files.create({
      id: dto.id?.toLowerCase() ?? randomUUID(),
      contactId,
      direction: contactId === null ? 'local' : 'out',
      remoteId: null,
      name,
      size: dto.size,
      sha256,
      mime,
      chunkSize,
      chunkCount: chunkCountOf(dto.size, chunkSize),
      status: 'uploading',
      error: null,
      contentStored: true,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    });
    try {
      await this.insertWithinQuota(file);
    } catch (error) {
      if (error instanceof HttpException) throw error;
      const raced = dto.id ? await this.files.findOne({ where: { id: dto.id.toLowerCase() } }) : null;
      if (raced) return this.replayCreate(raced, { ...dto, name, mime, sha256 });
      throw error;
    }
    return this.toResponse(file);
  }

  async get(id: string): Promise<FileResponseDto> {
    return this.toResponse(await this.find(id));
  }

  async list(query: FileListQueryDto): Promise<FileListResponseDto> {
    if (query.contactId !== undefined && !(await this.contacts.findById(query.contactId))) {
      throw new NotFoundException(`No contact with id ${query.contactId}`);
    }
    const where: { contactId?: number; direction?: FileTransfer['direction'] } = {};
    if (query.contactId !== undefined) where.contactId = query.contactId;
    if (query.direction) where.direction = query.direction;
    const rows = await this.files.find({ where, order: { createdAt: 'DESC', id: 'ASC' }, take: query.limit ?? DEFAULT_LIST });
    const out: FileResponseDto[] = [];
    for (const row of rows) out.push(await this.toResponse(row));
    return { files: out };
  }

  /** One chunk of a file being uploaded (to send, or local), streamed from the agent or the console. */
  async uploadChunk(id: string, upload: ChunkUpload): Promise<FileChunkReceiptDto> {
    const file = await this.find(id);
    if (file.direction === 'in') throw new ConflictException(`File ${id} was received from a contact; only files being uploaded take chunks`);
    const { index, stored } = await this.acceptChunk(file, upload, 'uploading');
    let status = file.status;
    if (stored || status === 'uploading') status = await this.finishUploadIfComplete(file);
    return { index, stored, receivedRanges: await this.chunkRanges(file.id), status };
  }

  async content(id: string, range: string | undefined): Promise<FileContent> {
    const file = await this.find(id);
    if (!contentComplete(file)) {
      throw new ConflictException(
        file.contentStored ? `File ${id} is ${file.status}: its content is not complete` : `The content of file ${id} is no longer stored`,
      );
    }
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-disposition': contentDisposition(file.name),
      'accept-ranges': 'bytes',
      etag: `"${file.sha256}"`,
      'x-file-sha256': file.sha256,
      'x-file-mime': file.mime,
      'cache-control': 'private, no-store',
    };
    const size = file.size;
    if (range === undefined) {
      headers['content-length'] = String(size);
      return { status: 200, headers, stream: size === 0 ? null : this.store.openRange(file.id, file.chunkSize, 0, size - 1) };
    }
    const parsed = parseRange(range, size);
    if (!parsed) {
      throw new HttpException(
        { statusCode: 416, error: 'Range Not Satisfiable', message: `Range "${range.slice(0, 100)}" cannot be served: the file has ${size} bytes (one range, bytes=start-end)`, details: { size } },
        416,
      );
    }
    headers['content-length'] = String(parsed.end - parsed.start + 1);
    headers['content-range'] = `bytes ${parsed.start}-${parsed.end}/${size}`;
    return { status: 206, headers, stream: this.store.openRange(file.id, file.chunkSize, parsed.start, parsed.end) };
  }

  /** Deletes the file, its chunks and its bytes; a transfer in progress stops (its next step finds nothing). */
  async remove(id: string): Promise<void> {
    const file = await this.find(id);
    const cancelled = await this.dataSource.transaction(async (manager) => {
      await manager.delete(FileChunk, { fileId: file.id });
      const result = await manager.delete(FileTransfer, { id: file.id });
      return Boolean(result.affected) && (await this.cancelRelay(manager, file));
    });
    if (cancelled) this.outbox.wake();
    this.runningHashes.delete(file.id);
    await this.store.remove(file.id);
  }

  // ---- owner-chat attachments ----------------------------------------------------------------

  /**
   * The files to attach to an owner-chat message, in the order given: each must exist (404) and
   * be complete (409: still uploading, failed, or its content removed).
   */
  async attachable(ids: string[]): Promise<OwnerChatAttachmentDto[]> {
    const wanted = ids.map((id) => id.toLowerCase());
    const rows = wanted.length ? await this.files.find({ where: { id: In(wanted) } }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return wanted.map((id) => {
      const file = byId.get(id);
      if (!file) throw new NotFoundException(`No file with id ${id}`);
      if (!contentComplete(file)) {
        throw new ConflictException(
          file.contentStored && file.status === 'uploading'
            ? `File ${id} is still uploading (${file.name}): attach it once every chunk is stored`
            : `File ${id} cannot be attached: it is ${file.status}${file.contentStored ? '' : ' and its content is no longer stored'}`,
        );
      }
      return { fileId: file.id, name: file.name, size: file.size, mime: file.mime, sha256: file.sha256 };
    });
  }

  /** Which of these files can still be downloaded. */
  async availableAmong(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.files.find({ select: { id: true, status: true, contentStored: true }, where: { id: In([...new Set(ids)]) } });
    return new Set(rows.filter(contentComplete).map((row) => row.id));
  }

  // ---- the peer's side ------------------------------------------------------------------------

  /** A contact announces a file: answers which chunks are already here (none for a new one). */
  async offer(caller: ContactCaller, dto: FederationFileOfferDto): Promise<FederationFileStateDto> {
    const contact = await this.activeCaller(caller);
    const remoteId = dto.id.toLowerCase();
    const sha256 = dto.sha256.toLowerCase();
    const existing = await this.files.findOne({ where: { contactId: contact.id, remoteId } });
    if (existing) {
      if (existing.size !== dto.size || existing.sha256 !== sha256 || existing.chunkSize !== dto.chunkSize) {
        throw new ConflictException(`File id ${dto.id} was already offered with a different size, hash or chunk size`);
      }
      return this.peerState(existing);
    }
    this.checkSize(dto.size);
    this.checkOfferedChunks(dto.size, dto.chunkSize);
    const now = new Date();
    const file = this.files.create({
      id: randomUUID(),
      contactId: contact.id,
      direction: 'in',
      remoteId,
      name: sanitizeFileName(dto.name),
      size: dto.size,
      sha256,
      mime: sanitizeMime(dto.mime),
      chunkSize: dto.chunkSize,
      chunkCount: chunkCountOf(dto.size, dto.chunkSize),
      status: 'receiving',
      error: null,
      contentStored: true,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    });
    try {
      await this.insertWithinQuota(file);
    } catch (error) {
      if (error instanceof HttpException) throw error;
      const raced = await this.files.findOne({ where: { contactId: contact.id, remoteId } });
      if (raced) return this.peerState(raced);
      throw error;
    }
    return this.peerState(file);
  }

  async receiveChunk(caller: ContactCaller, remoteId: string, upload: ChunkUpload): Promise<FederationFileStateDto> {
    const contact = await this.activeCaller(caller);
    const file = await this.findIncoming(contact.id, remoteId);
    await this.acceptChunk(file, upload, 'receiving');
    return this.peerState(file);
  }

  /**
   * The sender has sent every chunk: verify the whole file. Missing chunks are answered (the sender
   * sends them); a whole-file hash that does not match fails the transfer (422, file.failed here,
   * the bytes removed) and the agent is never offered the file.
   */
  async complete(caller: ContactCaller, remoteId: string): Promise<FederationFileStateDto> {
    const contact = await this.activeCaller(caller);
    const file = await this.findIncoming(contact.id, remoteId);
    if (file.status === 'failed') throw new UnprocessableEntityException(`This transfer failed: ${file.error ?? 'unknown reason'}`);
    if (file.status === 'received') return this.peerState(file);
    const have = toChunkRanges(await this.chunkIndexes(file.id));
    if (countOf(have) < file.chunkCount) return { id: remoteId, status: 'receiving', receivedRanges: have };
    const actual = await this.wholeSha256(file);
    if (actual !== file.sha256) {
      const error = `the whole file does not match its SHA-256 (expected ${file.sha256}, got ${actual})`;
      await this.failFile(file, error);
      throw new UnprocessableEntityException(`${error}; the transfer failed`);
    }
    const now = new Date();
    const received = await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(FileTransfer, { id: file.id, status: 'receiving' }, { status: 'received', completedAt: now, updatedAt: now });
      if (!result.affected) return false;
      await this.events.append<FileReceivedPayloadDto>(manager, 'file.received', {
        fileId: file.id,
        contactId: contact.id,
        contactName: contact.agentName,
        name: file.name,
        size: file.size,
        mime: file.mime,
        sha256: file.sha256,
      });
      return true;
    });
    if (received) this.events.wake();
    return { id: remoteId, status: 'received', receivedRanges: have };
  }

  /**
   * The sender gave the transfer up (its own check of the whole file failed, or it was deleted):
   * an incomplete copy fails here (file.failed) and its bytes are removed. A file already received
   * stays; an unknown id changes nothing (the call is idempotent).
   */
  async cancel(caller: ContactCaller, remoteId: string): Promise<void> {
    const contact = await this.activeCaller(caller);
    const file = await this.files.findOne({ where: { contactId: contact.id, remoteId: remoteId.toLowerCase() } });
    if (file?.status === 'receiving') await this.failFile(file, 'the sender cancelled the transfer');
  }

  // ---- housekeeping ---------------------------------------------------------------------------

  /**
   * Removes uploads (ours or a peer's) without progress for incompleteExpireHours (they fail), and
   * the bytes of files we sent once the contact confirmed them sentRetentionHours ago.
   */
  async sweep(now = new Date()): Promise<void> {
    const { incompleteExpireHours, sentRetentionHours } = this.config.files;
    const stale = await this.files.find({
      where: { status: In(['uploading', 'receiving']), updatedAt: LessThan(new Date(now.getTime() - incompleteExpireHours * 3_600_000)) },
    });
    for (const file of stale) await this.failFile(file, `expired: no progress for ${incompleteExpireHours} hours`);
    const delivered = await this.files.find({
      where: { status: 'delivered', contentStored: true, completedAt: LessThan(new Date(now.getTime() - sentRetentionHours * 3_600_000)) },
    });
    for (const file of delivered) await this.dropContent(file);
    const failed = await this.files.find({ where: { status: 'failed', contentStored: true } });
    for (const file of failed) await this.dropContent(file);
  }

  // ---- outbox steps ---------------------------------------------------------------------------

  private async buildStep(item: OutboxItem): Promise<PeerRequest | null> {
    const target = item.contactId === null ? null : await this.contacts.outboundFor(item.contactId);
    const file = item.refId ? await this.files.findOne({ where: { id: item.refId } }) : null;
    if (!target || !file || !RELAYING.includes(file.status) || !file.contentStored) return null;
    const base = `/api/federation/files/${file.id}`;
    if (item.kind === FILE_OUTBOX.offer) {
      return {
        portalUrl: target.portalUrl,
        method: 'POST',
        path: '/api/federation/files',
        key: target.key,
        body: { id: file.id, name: file.name, size: file.size, sha256: file.sha256, mime: file.mime, chunkSize: file.chunkSize },
      };
    }
    if (item.kind === FILE_OUTBOX.complete) {
      // Only enqueued once our whole-file check passed; never ask the receiver to verify before that.
      if (file.status !== 'sending') return null;
      return { portalUrl: target.portalUrl, method: 'POST', path: `${base}/complete`, key: target.key };
    }
    const { index } = JSON.parse(item.payload) as { index: number };
    const chunk = await this.chunks.findOne({ where: { fileId: file.id, chunkIndex: index } });
    if (!chunk) return null;
    return {
      portalUrl: target.portalUrl,
      method: 'PUT',
      path: `${base}/chunks/${index}`,
      key: target.key,
      headers: { 'x-chunk-sha256': chunk.sha256 },
      stream: { open: () => this.store.openChunk(file.id, index), length: chunk.size, contentType: 'application/octet-stream' },
      timeoutMs: this.config.peers.totalTimeoutMs + CHUNK_EXTRA_TIMEOUT_MS,
    };
  }

  /**
   * The receiver answered a step with what it holds: enqueue the next step, finish, or leave the
   * chain waiting for the upload (no step pending; see FILE_OUTBOX).
   */
  private async stepDelivered(manager: EntityManager, item: OutboxItem, response: PeerResponse): Promise<void> {
    if (!item.refId) return;
    // The file's row first: a chunk stored meanwhile either committed before the chunks are read
    // below, or waits for this commit and then finds no step pending (and enqueues one itself).
    const now = new Date();
    const touched = await manager.update(FileTransfer, { id: item.refId, status: In(RELAYING) }, { updatedAt: now });
    if (!touched.affected) return;
    const file = await manager.findOne(FileTransfer, { where: { id: item.refId } });
    if (!file || file.contactId === null) return;
    const state = response.body as Partial<FederationFileStateDto> | null;
    if (state?.status === 'received' && file.status === 'sending') {
      await manager.update(FileTransfer, { id: file.id }, { status: 'delivered', completedAt: now, updatedAt: now });
      await this.events.append<FileDeliveredPayloadDto>(manager, 'file.delivered', {
        fileId: file.id,
        contactId: file.contactId,
        deliveredAt: now.toISOString(),
      });
      return;
    }
    const theirs = heldByPeer(state as { receivedRanges?: unknown; receivedChunks?: unknown } | null);
    const ours = await manager.find(FileChunk, { select: { chunkIndex: true }, where: { fileId: file.id }, order: { chunkIndex: 'ASC' } });
    const next = firstMissing(
      ours.map((chunk) => chunk.chunkIndex),
      theirs,
    );
    if (next !== undefined) {
      await this.outbox.enqueue(manager, { kind: FILE_OUTBOX.chunk, peerUrl: item.peerUrl, contactId: file.contactId, refId: file.id, payload: { index: next } });
    } else if (file.status === 'sending') {
      // Every chunk is here and verified, and the receiver holds all of them.
      await this.outbox.enqueue(manager, { kind: FILE_OUTBOX.complete, peerUrl: item.peerUrl, contactId: file.contactId, refId: file.id });
    }
    // Otherwise the receiver holds every chunk we have: the upload's next chunk resumes the chain.
  }

  /**
   * Our side moved on (a chunk stored, the whole file verified): if the chain waits (its newest
   * step is delivered and none is pending), enqueue the step this allows; if it never started, the
   * offer. Runs in the transaction that recorded the progress, after it updated the file's row.
   */
  private async resumeRelay(manager: EntityManager, file: FileTransfer, next: { kind: string; payload?: unknown }): Promise<boolean> {
    // A local file (owner-chat attachment) is never relayed.
    if (file.contactId === null) return false;
    const latest = await this.outbox.latestDeliveryState(FILE_KINDS, file.id, manager);
    if (latest && latest.status !== 'delivered') return false;
    let peerUrl = latest?.peerUrl;
    if (!peerUrl) {
      const contact = await this.contacts.findById(file.contactId);
      // A contact no longer active: nothing is offered, and the whole-file check fails the upload.
      if (!contact || contact.status !== 'active') return false;
      peerUrl = contact.portalUrl;
    }
    const step = latest ? next : { kind: FILE_OUTBOX.offer };
    await this.outbox.enqueue(manager, { kind: step.kind, peerUrl, contactId: file.contactId, refId: file.id, payload: step.payload });
    return true;
  }

  /** Tells the receiver to drop its partial copy of a file whose relay had started. Inside the caller's transaction. */
  private async cancelRelay(manager: EntityManager, file: FileTransfer): Promise<boolean> {
    if (file.direction !== 'out' || !RELAYING.includes(file.status)) return false;
    const latest = await this.outbox.latestDeliveryState(FILE_KINDS, file.id, manager);
    if (!latest) return false;
    await this.outbox.enqueue(manager, { kind: FILE_OUTBOX.cancel, peerUrl: latest.peerUrl, contactId: file.contactId, refId: file.id });
    return true;
  }

  private async buildCancel(item: OutboxItem): Promise<PeerRequest | null> {
    const target = item.contactId === null ? null : await this.contacts.outboundFor(item.contactId);
    if (!target || !item.refId) return null;
    return { portalUrl: target.portalUrl, method: 'DELETE', path: `/api/federation/files/${item.refId}`, key: target.key };
  }

  private async relayFailed(manager: EntityManager, item: OutboxItem, reason: string): Promise<void> {
    if (!item.refId) return;
    const result = await manager.update(
      FileTransfer,
      { id: item.refId, status: In(RELAYING) },
      { status: 'failed', error: reason.slice(0, 500), updatedAt: new Date() },
    );
    if (!result.affected) return;
    const file = await manager.findOne(FileTransfer, { where: { id: item.refId } });
    if (!file) return;
    this.runningHashes.delete(file.id);
    await this.events.append<FileFailedPayloadDto>(manager, 'file.failed', {
      fileId: file.id,
      contactId: file.contactId,
      direction: 'out',
      name: file.name,
      error: reason,
    });
  }

  // ---- shared ---------------------------------------------------------------------------------

  /**
   * Checks and stores one chunk (both sides): index in range, exact length (413 when more than
   * the chunk's length is announced or arrives), the SHA-256 header, room on disk, then streams it.
   * A chunk already verified answers stored=false and its body is not read.
   */
  private async acceptChunk(file: FileTransfer, upload: ChunkUpload, openStatus: 'uploading' | 'receiving'): Promise<{ index: number; stored: boolean }> {
    if (!/^\d{1,9}$/.test(upload.index)) throw new BadRequestException('index must be a chunk number (0, 1, …)');
    const index = Number(upload.index);
    if (index >= file.chunkCount) {
      throw new BadRequestException(`chunk index ${index} is out of range: this file has ${file.chunkCount} chunks (0–${file.chunkCount - 1})`);
    }
    const sha256 = typeof upload.sha256 === 'string' ? upload.sha256.trim().toLowerCase() : '';
    if (!SHA256_HEX.test(sha256)) throw new BadRequestException('X-Chunk-Sha256 must be the SHA-256 of the chunk as 64 hex characters');
    const length = index < file.chunkCount - 1 ? file.chunkSize : file.size - (file.chunkCount - 1) * file.chunkSize;
    const announced = typeof upload.contentLength === 'string' && /^\d+$/.test(upload.contentLength) ? Number(upload.contentLength) : undefined;
    if (announced !== undefined && announced > length) {
      throw new PayloadTooLargeException(
        announced > file.chunkSize
          ? `a chunk is at most ${file.chunkSize} bytes (the chunk size); got ${announced}`
          : `chunk ${index} must be ${length} bytes; got ${announced}`,
      );
    }
    if (announced !== undefined && announced !== length) throw new BadRequestException(`chunk ${index} must be ${length} bytes; got ${announced}`);
    const existing = await this.chunks.findOne({ where: { fileId: file.id, chunkIndex: index } });
    if (existing) {
      if (existing.sha256 !== sha256) throw new ConflictException(`chunk ${index} is already stored with a different SHA-256`);
      return { index, stored: false };
    }
    if (file.status !== openStatus || !file.contentStored) {
      throw new ConflictException(`File ${file.id} is ${file.status}${file.error ? ` (${file.error})` : ''}: it takes no more chunks`);
    }
    if ((await this.store.freeBytes()) - length < this.config.limits.minFreeDiskBytes) {
      throw new InsufficientStorageException(`Not enough free disk space for chunk ${index} (${length} bytes) above the configured floor`);
    }
    const running = this.runningHashes.get(file.id) ?? (index === 0 ? { next: 0, hash: createHash('sha256') } : undefined);
    const { part, whole } = await this.store.writePart(file.id, { index, length, sha256 }, upload.body, running?.next === index ? running.hash : undefined);
    // The claim: one writer per chunk. The file's row is updated first, so concurrent commits of
    // this file's chunks (on any instance) take turns; the first to insert the chunk's row renames
    // its bytes into place before it commits, and any other writer of that chunk finds the row
    // and never touches the bytes. So the bytes on disk are always the ones the row describes.
    let outcome: 'stored' | 'same' | 'different' | 'closed';
    let resumed = false;
    try {
      ({ outcome, resumed } = await this.dataSource.transaction(async (manager) => {
        const touched = await manager.update(FileTransfer, { id: file.id, status: openStatus, contentStored: true }, { updatedAt: new Date() });
        if (!touched.affected) return { outcome: 'closed' as const, resumed: false };
        const claimed = await manager.findOne(FileChunk, { where: { fileId: file.id, chunkIndex: index } });
        if (claimed) return { outcome: claimed.sha256 === sha256 ? ('same' as const) : ('different' as const), resumed: false };
        await manager.insert(FileChunk, { fileId: file.id, chunkIndex: index, sha256, size: length });
        await this.store.commitPart(file.id, index, part);
        // An upload feeds the relay as it goes: this chunk may be the one a waiting relay needs.
        const relay = openStatus === 'uploading' && (await this.resumeRelay(manager, file, { kind: FILE_OUTBOX.chunk, payload: { index } }));
        return { outcome: 'stored' as const, resumed: relay };
      }));
    } catch (error) {
      await this.store.discardPart(file.id, part);
      throw error;
    }
    if (outcome !== 'stored') {
      await this.store.discardPart(file.id, part);
      if (outcome === 'same') return { index, stored: false };
      if (outcome === 'different') throw new ConflictException(`chunk ${index} is already stored with a different SHA-256`);
      const current = await this.files.findOne({ where: { id: file.id } });
      throw new ConflictException(
        current ? `File ${file.id} is ${current.status}${current.error ? ` (${current.error})` : ''}: it takes no more chunks` : `File ${file.id} was deleted: it takes no more chunks`,
      );
    }
    // The running hash only ever covers committed chunks, in order.
    const base = this.runningHashes.get(file.id);
    if (whole && (base ? base.next === index : index === 0)) {
      if (this.runningHashes.size >= MAX_RUNNING_HASHES) this.runningHashes.clear();
      this.runningHashes.set(file.id, { next: index + 1, hash: whole });
    }
    if (resumed) this.outbox.wake();
    return { index, stored: true };
  }

  /** All chunks of an upload are here: check the whole file, then let the relay finish (or fail it). */
  private async finishUploadIfComplete(file: FileTransfer): Promise<FileTransfer['status']> {
    const have = await this.chunks.count({ where: { fileId: file.id } });
    if (have < file.chunkCount || this.finishing.has(file.id)) return (await this.find(file.id)).status;
    this.finishing.add(file.id);
    try {
      const current = await this.find(file.id);
      if (current.status !== 'uploading') return current.status;
      const actual = await this.wholeSha256(file);
      if (actual !== file.sha256) {
        const error = `the whole file does not match its SHA-256 (expected ${file.sha256}, got ${actual})`;
        await this.failFile(current, error);
        throw new UnprocessableEntityException(
          file.contactId === null ? `${error}; the upload failed` : `${error}; the upload failed and its relay to the contact stops`,
        );
      }
      if (file.contactId === null) {
        const storedAt = new Date();
        const result = await this.files.update({ id: file.id, status: 'uploading' }, { status: 'stored', completedAt: storedAt, updatedAt: storedAt });
        return result.affected ? 'stored' : (await this.find(file.id)).status;
      }
      const contact = await this.contacts.findById(file.contactId);
      if (!contact || contact.status !== 'active') {
        await this.failFile(current, 'the contact is no longer active');
        throw new ConflictException(`Contact ${file.contactId} is no longer active; the file will not be sent`);
      }
      // Conditional, so that with several instances only one turns it to sending. A relay waiting
      // for this (the receiver holds every chunk) goes on to complete.
      const handed = await this.dataSource.transaction(async (manager) => {
        const result = await manager.update(FileTransfer, { id: file.id, status: 'uploading' }, { status: 'sending', updatedAt: new Date() });
        if (!result.affected) return false;
        await this.resumeRelay(manager, file, { kind: FILE_OUTBOX.complete });
        return true;
      });
      if (handed) this.outbox.wake();
      return handed ? 'sending' : (await this.find(file.id)).status;
    } finally {
      this.finishing.delete(file.id);
    }
  }

  /** The whole file's SHA-256: carried along while chunks arrived in order, else read back from disk. */
  private async wholeSha256(file: FileTransfer): Promise<string> {
    const running = this.runningHashes.get(file.id);
    this.runningHashes.delete(file.id);
    if (running && running.next === file.chunkCount) return running.hash.digest('hex');
    return this.store.wholeSha256(file.id, file.chunkCount);
  }

  /** Marks a transfer failed with file.failed, and removes its bytes. */
  private async failFile(file: FileTransfer, error: string): Promise<void> {
    const failed = await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        FileTransfer,
        { id: file.id, status: Not(In(['failed', 'delivered', 'received'])) },
        { status: 'failed', error: error.slice(0, 500), contentStored: false, updatedAt: new Date() },
      );
      if (!result.affected) return false;
      await manager.delete(FileChunk, { fileId: file.id });
      await this.cancelRelay(manager, file);
      await this.events.append<FileFailedPayloadDto>(manager, 'file.failed', {
        fileId: file.id,
        contactId: file.contactId,
        direction: file.direction,
        name: file.name,
        error,
      });
      return true;
    });
    if (failed) {
      this.events.wake();
      this.outbox.wake();
    }
    this.runningHashes.delete(file.id);
    await this.store.remove(file.id);
  }

  private async dropContent(file: FileTransfer): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(FileTransfer, { id: file.id }, { contentStored: false });
      await manager.delete(FileChunk, { fileId: file.id });
    });
    await this.store.remove(file.id);
  }

  private checkSize(size: number): void {
    const max = this.config.files.maxFileBytes;
    if (!Number.isSafeInteger(size) || size > max) throw new PayloadTooLargeException(`The file is ${size} bytes; the limit is ${max}`);
  }

  /**
   * The chunking a contact chose: chunks of at least minChunkBytes (a file of one chunk may use any
   * size), and at most maxChunksPerFile of them, so that a file cannot become millions of tiny
   * chunk files and rows.
   */
  private checkOfferedChunks(size: number, chunkSize: number): void {
    const { minChunkBytes, maxChunksPerFile } = this.config.files;
    const count = chunkCountOf(size, chunkSize);
    if (count > 1 && chunkSize < minChunkBytes) {
      throw new BadRequestException(`chunkSize must be at least ${minChunkBytes} bytes (got ${chunkSize}); only a file of one chunk may use a smaller one`);
    }
    if (count > maxChunksPerFile) {
      throw new BadRequestException(`A file may have at most ${maxChunksPerFile} chunks; ${size} bytes in chunks of ${chunkSize} bytes are ${count}`);
    }
  }

  /**
   * Inserts a new file only if it fits: refuses (507) a file that would take the contact (or, for
   * contactId null, the local files of the owner chat) over the quota, or the disk under its floor.
   * The sum and the insert are one transaction under a lock per contact (PostgreSQL: an advisory
   * lock, so instances sharing the database take turns too; SQLite: transactions run one at a
   * time), so parallel offers or uploads cannot all pass the check before any of them is counted.
   * The file's declared size is its reservation from then on, while it is still incomplete.
   */
  private async insertWithinQuota(file: FileTransfer): Promise<void> {
    const free = await this.store.freeBytes();
    if (free - file.size < this.config.limits.minFreeDiskBytes) {
      throw new InsufficientStorageException(`Not enough free disk space for ${file.size} bytes above the configured floor`);
    }
    await this.dataSource.transaction(async (manager) => {
      if (this.dialect === 'postgres') {
        await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [QUOTA_LOCK_CLASS, `${this.schema}:${file.contactId ?? 'local'}`]);
      }
      const query = manager
        .createQueryBuilder(FileTransfer, 'f')
        .select('COALESCE(SUM(f.size), 0)', 'used')
        .where('f.content_stored = :stored', { stored: true });
      if (file.contactId === null) query.andWhere('f.contact_id IS NULL');
      else query.andWhere('f.contact_id = :contactId', { contactId: file.contactId });
      const row = await query.getRawOne<{ used: string | number }>();
      const used = Number(row?.used ?? 0);
      const quota = this.config.files.contactQuotaBytes;
      if (used + file.size > quota) {
        throw new InsufficientStorageException(
          file.contactId === null
            ? `The owner chat's local files would take ${used + file.size} bytes; the quota is ${quota}`
            : `Contact ${file.contactId}'s files would take ${used + file.size} bytes; the quota per contact is ${quota}`,
        );
      }
      await manager.insert(FileTransfer, file);
    });
  }

  private async activeCaller(caller: ContactCaller): Promise<Contact> {
    const contact = await this.contacts.admitPeerCall(caller);
    if (contact.status !== 'active') throw new ForbiddenException(`This contact is ${contact.status}`);
    return contact;
  }

  private async find(id: string): Promise<FileTransfer> {
    const file = await this.files.findOne({ where: { id } });
    if (!file) throw new NotFoundException(`No file with id ${id}`);
    return file;
  }

  private async findIncoming(contactId: number, remoteId: string): Promise<FileTransfer> {
    const file = await this.files.findOne({ where: { contactId, remoteId: remoteId.toLowerCase() } });
    if (!file) throw new NotFoundException(`No file ${remoteId} was offered by this contact`);
    return file;
  }

  private async chunkIndexes(fileId: string): Promise<number[]> {
    const rows = await this.chunks.find({ select: { chunkIndex: true }, where: { fileId }, order: { chunkIndex: 'ASC' } });
    return rows.map((row) => row.chunkIndex);
  }

  private async chunkRanges(fileId: string): Promise<ChunkRanges> {
    return toChunkRanges(await this.chunkIndexes(fileId));
  }

  private async peerState(file: FileTransfer): Promise<FederationFileStateDto> {
    return {
      id: file.remoteId ?? file.id,
      status: file.status === 'received' || file.status === 'failed' ? file.status : 'receiving',
      receivedRanges: await this.chunkRanges(file.id),
    };
  }

  private async replayCreate(existing: FileTransfer, dto: FileCreateDto & { name: string; mime: string; sha256: string }): Promise<FileResponseDto> {
    if (
      existing.direction === 'in' ||
      existing.contactId !== (dto.contactId ?? null) ||
      existing.size !== dto.size ||
      existing.sha256 !== dto.sha256 ||
      existing.name !== dto.name ||
      existing.mime !== dto.mime
    ) {
      throw new ConflictException(`File id ${existing.id} was already used for a different file`);
    }
    return this.toResponse(existing);
  }

  private async toResponse(file: FileTransfer): Promise<FileResponseDto> {
    const delivery = file.direction === 'out' ? await this.outbox.latestDeliveryState(FILE_KINDS, file.id) : null;
    return {
      id: file.id,
      contactId: file.contactId,
      direction: file.direction,
      name: file.name,
      size: file.size,
      sha256: file.sha256,
      mime: file.mime,
      chunkSize: file.chunkSize,
      chunks: file.chunkCount,
      receivedRanges: await this.chunkRanges(file.id),
      status: file.status,
      error: file.error,
      contentAvailable: contentComplete(file),
      delivery: delivery
        ? { status: delivery.status, step: STEP_OF[delivery.kind], attempts: delivery.attempts, lastError: delivery.lastError, nextAttemptAt: delivery.nextAttemptAt }
        : null,
      createdAt: file.createdAt.toISOString(),
      updatedAt: file.updatedAt.toISOString(),
      completedAt: file.completedAt ? file.completedAt.toISOString() : null,
    };
  }
}

/** The whole content is here and verified (and not removed since). */
export function contentComplete(file: Pick<FileTransfer, 'status' | 'contentStored'>): boolean {
  return file.contentStored && (file.status === 'sending' || file.status === 'delivered' || file.status === 'received' || file.status === 'stored');
}

function countOf(ranges: ChunkRanges): number {
  return ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0);
}

function chunkCountOf(size: number, chunkSize: number): number {
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
