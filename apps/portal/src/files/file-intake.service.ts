import {
  BadRequestException,
  ConflictException,
  HttpException,
  Inject,
  Injectable,
  NotFoundException,
  PayloadTooLargeException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Not, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { dialectOf } from '../database/data-source-options';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../federation/outbox.service';
import { type ChunkRanges, toChunkRanges } from './chunk-ranges';
import { FileChunk } from './entities/file-chunk.entity';
import { FileTransfer } from './entities/file-transfer.entity';
import { FileBytes } from './file-bytes';
import { FileContacts } from './file-contacts';
import { FileRelayService } from './file-relay.service';
import { type ChunkUpload, FILE_OUTBOX } from './file-rules';
import { InsufficientStorageException } from './file-store';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** First argument of the PostgreSQL advisory lock that serialises quota checks per contact ("ap2q"). */
const QUOTA_LOCK_CLASS = 0x61703271;

/**
 * What both sides do with a file's bytes: new files within the quota, chunks checked and stored
 * (an upload's chunk feeds the relay), the whole-file check of an upload, and failing or dropping
 * a file's content.
 */
@Injectable()
export class FileIntakeService {
  /** Files whose whole-file check runs now (parallel last chunks must not both finish the upload). */
  private readonly finishing = new Set<string>();
  private readonly dialect: 'sqlite' | 'postgres';
  /** PostgreSQL: this Portal's schema (instances on other schemas of the database do not share its locks). */
  private readonly schema: string;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(FileTransfer) private readonly files: Repository<FileTransfer>,
    @InjectRepository(FileChunk) private readonly chunks: Repository<FileChunk>,
    private readonly dataSource: DataSource,
    private readonly contacts: FileContacts,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly relay: FileRelayService,
    private readonly bytes: FileBytes,
  ) {
    this.dialect = dialectOf(config);
    this.schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  }

  /**
   * Checks and stores one chunk (both sides): index in range, exact length (413 when more than
   * the chunk's length is announced or arrives), the SHA-256 header, room on disk, then streams it.
   * A chunk already verified answers stored=false and its body is not read.
   */
  async acceptChunk(
    file: FileTransfer,
    upload: ChunkUpload,
    openStatus: 'uploading' | 'receiving',
  ): Promise<{ index: number; stored: boolean }> {
    if (!/^\d{1,9}$/.test(upload.index)) throw new BadRequestException('index must be a chunk number (0, 1, …)');
    const index = Number(upload.index);
    if (index >= file.chunkCount) {
      throw new BadRequestException(
        `chunk index ${index} is out of range: this file has ${file.chunkCount} chunks (0–${file.chunkCount - 1})`,
      );
    }
    const sha256 = typeof upload.sha256 === 'string' ? upload.sha256.trim().toLowerCase() : '';
    if (!SHA256_HEX.test(sha256)) throw new BadRequestException('X-Chunk-Sha256 must be the SHA-256 of the chunk as 64 hex characters');
    const length = index < file.chunkCount - 1 ? file.chunkSize : file.size - (file.chunkCount - 1) * file.chunkSize;
    const announced =
      typeof upload.contentLength === 'string' && /^\d+$/.test(upload.contentLength) ? Number(upload.contentLength) : undefined;
    if (announced !== undefined && announced > length) {
      throw new PayloadTooLargeException(
        announced > file.chunkSize
          ? `a chunk is at most ${file.chunkSize} bytes (the chunk size); got ${announced}`
          : `chunk ${index} must be ${length} bytes; got ${announced}`,
      );
    }
    if (announced !== undefined && announced !== length)
      throw new BadRequestException(`chunk ${index} must be ${length} bytes; got ${announced}`);
    const existing = await this.chunks.findOne({ where: { fileId: file.id, chunkIndex: index } });
    if (existing) {
      if (existing.sha256 !== sha256) throw new ConflictException(`chunk ${index} is already stored with a different SHA-256`);
      return { index, stored: false };
    }
    if (file.status !== openStatus || !file.contentStored) {
      throw new ConflictException(`File ${file.id} is ${file.status}${file.error ? ` (${file.error})` : ''}: it takes no more chunks`);
    }
    const { store } = this.bytes;
    if ((await store.freeBytes()) - length < this.config.limits.minFreeDiskBytes) {
      throw new InsufficientStorageException(
        `Not enough free disk space for chunk ${index} (${length} bytes) above the configured floor`,
        'disk_full',
      );
    }
    const { part, whole } = await store.writePart(file.id, { index, length, sha256 }, upload.body, this.bytes.hashBefore(file.id, index));
    // The claim: one writer per chunk. The file's row is updated first, so concurrent commits of
    // this file's chunks (on any instance) take turns; the first to insert the chunk's row renames
    // its bytes into place before it commits, and any other writer of that chunk finds the row
    // and never touches the bytes. So the bytes on disk are always the ones the row describes.
    let outcome: 'stored' | 'same' | 'different' | 'closed';
    let resumed: boolean;
    try {
      ({ outcome, resumed } = await this.dataSource.transaction(async (manager) => {
        const touched = await manager.update(
          FileTransfer,
          { id: file.id, status: openStatus, contentStored: true },
          { updatedAt: new Date() },
        );
        if (!touched.affected) return { outcome: 'closed' as const, resumed: false };
        const claimed = await manager.findOne(FileChunk, { where: { fileId: file.id, chunkIndex: index } });
        if (claimed) return { outcome: claimed.sha256 === sha256 ? ('same' as const) : ('different' as const), resumed: false };
        await manager.insert(FileChunk, { fileId: file.id, chunkIndex: index, sha256, size: length });
        await store.commitPart(file.id, index, part);
        // An upload feeds the relay as it goes: this chunk may be the one a waiting relay needs.
        const relay =
          openStatus === 'uploading' && (await this.relay.resume(manager, file, { kind: FILE_OUTBOX.chunk, payload: { index } }));
        return { outcome: 'stored' as const, resumed: relay };
      }));
    } catch (error) {
      await store.discardPart(file.id, part);
      throw error;
    }
    if (outcome !== 'stored') {
      await store.discardPart(file.id, part);
      if (outcome === 'same') return { index, stored: false };
      if (outcome === 'different') throw new ConflictException(`chunk ${index} is already stored with a different SHA-256`);
      const current = await this.files.findOne({ where: { id: file.id } });
      throw new ConflictException(
        current
          ? `File ${file.id} is ${current.status}${current.error ? ` (${current.error})` : ''}: it takes no more chunks`
          : `File ${file.id} was deleted: it takes no more chunks`,
      );
    }
    this.bytes.committed(file.id, index, whole);
    if (resumed) this.outbox.wake();
    return { index, stored: true };
  }

  /** All chunks of an upload are here: check the whole file, then let the relay finish (or fail it). */
  async finishUploadIfComplete(file: FileTransfer): Promise<FileTransfer['status']> {
    const have = await this.chunks.count({ where: { fileId: file.id } });
    if (have < file.chunkCount || this.finishing.has(file.id)) return (await this.find(file.id)).status;
    this.finishing.add(file.id);
    try {
      const current = await this.find(file.id);
      if (current.status !== 'uploading') return current.status;
      const actual = await this.bytes.wholeSha256(file);
      if (actual !== file.sha256) {
        const error = `the whole file does not match its SHA-256 (expected ${file.sha256}, got ${actual})`;
        await this.failFile(current, error);
        throw new UnprocessableEntityException(
          file.contactId === null ? `${error}; the upload failed` : `${error}; the upload failed and its relay to the contact stops`,
        );
      }
      if (file.contactId === null) {
        const storedAt = new Date();
        const result = await this.files.update(
          { id: file.id, status: 'uploading' },
          { status: 'stored', completedAt: storedAt, updatedAt: storedAt },
        );
        return result.affected ? 'stored' : (await this.find(file.id)).status;
      }
      if (!(await this.contacts.ifActive(file.contactId))) {
        await this.failFile(current, 'the contact is no longer active');
        throw new ConflictException(`Contact ${file.contactId} is no longer active; the file will not be sent`);
      }
      // Conditional, so that with several instances only one turns it to sending. A relay waiting
      // for this (the receiver holds every chunk) goes on to complete.
      const handed = await this.dataSource.transaction(async (manager) => {
        const result = await manager.update(
          FileTransfer,
          { id: file.id, status: 'uploading' },
          { status: 'sending', updatedAt: new Date() },
        );
        if (!result.affected) return false;
        await this.relay.resume(manager, file, { kind: FILE_OUTBOX.complete });
        return true;
      });
      if (handed) this.outbox.wake();
      return handed ? 'sending' : (await this.find(file.id)).status;
    } finally {
      this.finishing.delete(file.id);
    }
  }

  /** Marks a transfer failed with file.failed, and removes its bytes. */
  async failFile(file: FileTransfer, error: string): Promise<void> {
    const failed = await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        FileTransfer,
        { id: file.id, status: Not(In(['failed', 'delivered', 'received'])) },
        { status: 'failed', error: error.slice(0, 500), contentStored: false, updatedAt: new Date() },
      );
      if (!result.affected) return false;
      await manager.delete(FileChunk, { fileId: file.id });
      await this.relay.cancel(manager, file);
      await this.events.append(manager, 'file.failed', {
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
    this.bytes.forget(file.id);
    await this.bytes.store.remove(file.id);
  }

  /** Removes a file's bytes (and chunk rows); the file's record stays, without content. */
  async dropContent(file: FileTransfer): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(FileTransfer, { id: file.id }, { contentStored: false });
      await manager.delete(FileChunk, { fileId: file.id });
    });
    await this.bytes.store.remove(file.id);
  }

  checkSize(size: number): void {
    const max = this.config.files.maxFileBytes;
    if (!Number.isSafeInteger(size) || size > max) throw new PayloadTooLargeException(`The file is ${size} bytes; the limit is ${max}`);
  }

  /**
   * Inserts a new file within its quota (insertWithinQuota). Its id may be taken by a parallel call
   * of the same request (a retried upload or offer): when the insert fails for any reason other than
   * a refusal (4xx, 507) and `findRaced` finds the row that won, that row is answered instead.
   */
  async insertOrFindRaced(
    file: FileTransfer,
    findRaced: () => Promise<FileTransfer | null>,
  ): Promise<{ file: FileTransfer; raced: boolean }> {
    try {
      await this.insertWithinQuota(file);
      return { file, raced: false };
    } catch (error) {
      if (error instanceof HttpException) throw error;
      const raced = await findRaced();
      if (raced) return { file: raced, raced: true };
      throw error;
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
    const free = await this.bytes.store.freeBytes();
    if (free - file.size < this.config.limits.minFreeDiskBytes) {
      throw new InsufficientStorageException(`Not enough free disk space for ${file.size} bytes above the configured floor`, 'disk_full');
    }
    await this.dataSource.transaction(async (manager) => {
      if (this.dialect === 'postgres') {
        await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
          QUOTA_LOCK_CLASS,
          `${this.schema}:${file.contactId ?? 'local'}`,
        ]);
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
          'quota_exceeded',
        );
      }
      await manager.insert(FileTransfer, file);
    });
  }

  async chunkIndexes(fileId: string): Promise<number[]> {
    const rows = await this.chunks.find({ select: { chunkIndex: true }, where: { fileId }, order: { chunkIndex: 'ASC' } });
    return rows.map((row) => row.chunkIndex);
  }

  async chunkRanges(fileId: string): Promise<ChunkRanges> {
    return toChunkRanges(await this.chunkIndexes(fileId));
  }

  private async find(id: string): Promise<FileTransfer> {
    const file = await this.files.findOne({ where: { id } });
    if (!file) throw new NotFoundException(`No file with id ${id}`);
    return file;
  }
}
