import { ConflictException, HttpException, Inject, Injectable, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, In, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import type { ContactRef } from '../contacts/contacts.service';
import { OutboxService } from '../federation/outbox.service';
import type {
  FederationFileOfferDto,
  FederationFileStateDto,
  FileChunkReceiptDto,
  FileCreateDto,
  FileListQueryDto,
  FileListResponseDto,
  FileResponseDto,
} from './dto/file.dto';
import { FileChunk } from './entities/file-chunk.entity';
import { FileTransfer } from './entities/file-transfer.entity';
import { FileBytes } from './file-bytes';
import { FileContacts } from './file-contacts';
import { FileIntakeService } from './file-intake.service';
import { contentDisposition, sanitizeFileName, sanitizeMime } from './file-names';
import { FileRelayService } from './file-relay.service';
import { type ChunkUpload, chunkCountOf, contentComplete, type FileContent, parseRange, STEP_OF } from './file-rules';
import { FileSweeperService } from './file-sweeper.service';
import { IncomingFilesService } from './incoming-files.service';

export { type ChunkUpload, contentComplete, type FileContent, FILE_OUTBOX, parseRange } from './file-rules';

const DEFAULT_LIST = 100;

/** A complete file as an attachment of an owner-chat message. */
export interface FileAttachment {
  fileId: string;
  name: string;
  size: number;
  mime: string;
  sha256: string;
}

/**
 * Files as the agent, the console and other features see them: records, uploads, downloads and
 * attachments. The relay to a contact (FileRelayService), the bytes coming in (FileIntakeService),
 * a contact's side of a transfer (IncomingFilesService) and the sweep (FileSweeperService) have
 * services of their own; this one is the entry point to all of them.
 */
@Injectable()
export class FilesService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(FileTransfer) private readonly files: Repository<FileTransfer>,
    private readonly dataSource: DataSource,
    private readonly contacts: FileContacts,
    private readonly outbox: OutboxService,
    private readonly relay: FileRelayService,
    private readonly intake: FileIntakeService,
    private readonly incoming: IncomingFilesService,
    private readonly sweeper: FileSweeperService,
    private readonly bytes: FileBytes,
  ) {}

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
    const contactId = dto.contactId === undefined ? null : await this.contacts.activeId(dto.contactId);
    this.intake.checkSize(dto.size);
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
    const stored = await this.intake.insertOrFindRaced(file, async () =>
      dto.id ? this.files.findOne({ where: { id: dto.id.toLowerCase() } }) : null,
    );
    if (stored.raced) return this.replayCreate(stored.file, { ...dto, name, mime, sha256 });
    return this.toResponse(file);
  }

  async get(id: string): Promise<FileResponseDto> {
    return this.toResponse(await this.find(id));
  }

  async list(query: FileListQueryDto): Promise<FileListResponseDto> {
    if (query.contactId !== undefined && !(await this.contacts.exists(query.contactId))) {
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
    if (file.direction === 'in')
      throw new ConflictException(`File ${id} was received from a contact; only files being uploaded take chunks`);
    const { index, stored } = await this.intake.acceptChunk(file, upload, 'uploading');
    let status = file.status;
    if (stored || status === 'uploading') status = await this.intake.finishUploadIfComplete(file);
    return { index, stored, receivedRanges: await this.intake.chunkRanges(file.id), status };
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
      return { status: 200, headers, stream: size === 0 ? null : this.bytes.store.openRange(file.id, file.chunkSize, 0, size - 1) };
    }
    const parsed = parseRange(range, size);
    if (!parsed) {
      throw new HttpException(
        {
          statusCode: 416,
          error: 'Range Not Satisfiable',
          message: `Range "${range.slice(0, 100)}" cannot be served: the file has ${size} bytes (one range, bytes=start-end)`,
          details: { size },
        },
        416,
      );
    }
    headers['content-length'] = String(parsed.end - parsed.start + 1);
    headers['content-range'] = `bytes ${parsed.start}-${parsed.end}/${size}`;
    return { status: 206, headers, stream: this.bytes.store.openRange(file.id, file.chunkSize, parsed.start, parsed.end) };
  }

  /** Deletes the file, its chunks and its bytes; a transfer in progress stops (its next step finds nothing). */
  async remove(id: string): Promise<void> {
    const file = await this.find(id);
    const cancelled = await this.dataSource.transaction(async (manager) => {
      await manager.delete(FileChunk, { fileId: file.id });
      const result = await manager.delete(FileTransfer, { id: file.id });
      return Boolean(result.affected) && (await this.relay.cancel(manager, file));
    });
    if (cancelled) this.outbox.wake();
    this.bytes.forget(file.id);
    await this.bytes.store.remove(file.id);
  }

  // ---- owner-chat attachments ----------------------------------------------------------------

  /**
   * The files to attach to an owner-chat message, in the order given: each must exist (404) and
   * be complete (409: still uploading, failed, or its content removed).
   */
  async attachable(ids: string[]): Promise<FileAttachment[]> {
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

  // ---- the peer's side (IncomingFilesService) -------------------------------------------------

  offer(peer: ContactRef, dto: FederationFileOfferDto): Promise<FederationFileStateDto> {
    return this.incoming.offer(peer, dto);
  }

  receiveChunk(peer: ContactRef, remoteId: string, upload: ChunkUpload): Promise<FederationFileStateDto> {
    return this.incoming.receiveChunk(peer, remoteId, upload);
  }

  complete(peer: ContactRef, remoteId: string): Promise<FederationFileStateDto> {
    return this.incoming.complete(peer, remoteId);
  }

  cancel(peer: ContactRef, remoteId: string): Promise<void> {
    return this.incoming.cancel(peer, remoteId);
  }

  /** See FileSweeperService.sweep. */
  sweep(now = new Date()): Promise<void> {
    return this.sweeper.sweep(now);
  }

  // ---- shared ---------------------------------------------------------------------------------

  private async find(id: string): Promise<FileTransfer> {
    const file = await this.files.findOne({ where: { id } });
    if (!file) throw new NotFoundException(`No file with id ${id}`);
    return file;
  }

  private async replayCreate(
    existing: FileTransfer,
    dto: FileCreateDto & { name: string; mime: string; sha256: string },
  ): Promise<FileResponseDto> {
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
    const delivery = file.direction === 'out' ? await this.relay.latestDelivery(file.id) : null;
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
      receivedRanges: await this.intake.chunkRanges(file.id),
      status: file.status,
      error: file.error,
      contentAvailable: contentComplete(file),
      delivery: delivery
        ? {
            status: delivery.status,
            step: STEP_OF[delivery.kind],
            attempts: delivery.attempts,
            lastError: delivery.lastError,
            nextAttemptAt: delivery.nextAttemptAt,
            parkedAt: delivery.parkedAt,
            parkedReason: delivery.parkedReason,
          }
        : null,
      createdAt: file.createdAt.toISOString(),
      updatedAt: file.updatedAt.toISOString(),
      completedAt: file.completedAt ? file.completedAt.toISOString() : null,
    };
  }
}
