import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import type { ContactRef } from '../contacts/contacts.service';
import { EventsService } from '../events/events.service';
import { GovernanceService } from '../governance/governance.service';
import { toChunkRanges } from './chunk-ranges';
import type { FederationFileOfferDto, FederationFileStateDto } from './dto/file.dto';
import { FileTransfer } from './entities/file-transfer.entity';
import { FileBytes } from './file-bytes';
import { FileContacts } from './file-contacts';
import { FileIntakeService } from './file-intake.service';
import { sanitizeFileName, sanitizeMime } from './file-names';
import { type ChunkUpload, chunkCountOf, countOf } from './file-rules';

/**
 * The receiving side of a transfer: a contact's Portal offers a file, sends its chunks, asks for the
 * whole-file check, or cancels. Every call comes from an active contact (403 otherwise).
 */
@Injectable()
export class IncomingFilesService {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(FileTransfer) private readonly files: Repository<FileTransfer>,
    private readonly dataSource: DataSource,
    private readonly contacts: FileContacts,
    private readonly events: EventsService,
    private readonly intake: FileIntakeService,
    private readonly bytes: FileBytes,
    private readonly governance: GovernanceService,
  ) {}

  /** A contact announces a file: answers which chunks are already here (none for a new one). */
  async offer(peer: ContactRef, dto: FederationFileOfferDto): Promise<FederationFileStateDto> {
    const contact = this.contacts.activePeer(peer);
    const remoteId = dto.id.toLowerCase();
    const sha256 = dto.sha256.toLowerCase();
    const existing = await this.files.findOne({ where: { contactId: contact.id, remoteId } });
    if (existing) {
      if (existing.size !== dto.size || existing.sha256 !== sha256 || existing.chunkSize !== dto.chunkSize) {
        throw new ConflictException(`File id ${dto.id} was already offered with a different size, hash or chunk size`);
      }
      return this.peerState(existing);
    }
    this.intake.checkSize(dto.size);
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
    const stored = await this.intake.insertOrFindRaced(file, () => this.files.findOne({ where: { contactId: contact.id, remoteId } }));
    return this.peerState(stored.file);
  }

  async receiveChunk(peer: ContactRef, remoteId: string, upload: ChunkUpload): Promise<FederationFileStateDto> {
    const contact = this.contacts.activePeer(peer);
    const file = await this.findIncoming(contact.id, remoteId);
    await this.intake.acceptChunk(file, upload, 'receiving');
    return this.peerState(file);
  }

  /**
   * The sender has sent every chunk: verify the whole file. Missing chunks are answered (the sender
   * sends them); a whole-file hash that does not match fails the transfer (422, file.failed here,
   * the bytes removed) and the agent is never offered the file.
   */
  async complete(peer: ContactRef, remoteId: string): Promise<FederationFileStateDto> {
    const contact = this.contacts.activePeer(peer);
    const file = await this.findIncoming(contact.id, remoteId);
    if (file.status === 'failed') throw new UnprocessableEntityException(`This transfer failed: ${file.error ?? 'unknown reason'}`);
    if (file.status === 'received') return this.peerState(file);
    const have = toChunkRanges(await this.intake.chunkIndexes(file.id));
    if (countOf(have) < file.chunkCount) return { id: remoteId, status: 'receiving', receivedRanges: have };
    const actual = await this.bytes.wholeSha256(file);
    if (actual !== file.sha256) {
      const error = `the whole file does not match its SHA-256 (expected ${file.sha256}, got ${actual})`;
      await this.intake.failFile(file, error);
      throw new UnprocessableEntityException(`${error}; the transfer failed`);
    }
    const now = new Date();
    const received = await this.dataSource.transaction(async (manager) => {
      const result = await manager.update(
        FileTransfer,
        { id: file.id, status: 'receiving' },
        { status: 'received', completedAt: now, updatedAt: now },
      );
      if (!result.affected) return false;
      // The agent hears of it through governance (agent.wake), like a message.
      await this.governance.enqueueFile(manager, {
        contactId: contact.id,
        fileId: file.id,
        name: file.name,
        size: file.size,
        mime: file.mime,
        sha256: file.sha256,
        receivedAt: now,
      });
      await this.events.append(manager, 'file.received', {
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
    if (received) {
      this.events.wake();
      this.governance.poke();
    }
    return { id: remoteId, status: 'received', receivedRanges: have };
  }

  /**
   * The sender gave the transfer up (its own check of the whole file failed, or it was deleted):
   * an incomplete copy fails here (file.failed) and its bytes are removed. A file already received
   * stays; an unknown id changes nothing (the call is idempotent).
   */
  async cancel(peer: ContactRef, remoteId: string): Promise<void> {
    const contact = this.contacts.activePeer(peer);
    const file = await this.files.findOne({ where: { contactId: contact.id, remoteId: remoteId.toLowerCase() } });
    if (file?.status === 'receiving') await this.intake.failFile(file, 'the sender cancelled the transfer');
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
      throw new BadRequestException(
        `chunkSize must be at least ${minChunkBytes} bytes (got ${chunkSize}); only a file of one chunk may use a smaller one`,
      );
    }
    if (count > maxChunksPerFile) {
      throw new BadRequestException(
        `A file may have at most ${maxChunksPerFile} chunks; ${size} bytes in chunks of ${chunkSize} bytes are ${count}`,
      );
    }
  }

  private async findIncoming(contactId: number, remoteId: string): Promise<FileTransfer> {
    const file = await this.files.findOne({ where: { contactId, remoteId: remoteId.toLowerCase() } });
    if (!file) throw new NotFoundException(`No file ${remoteId} was offered by this contact`);
    return file;
  }

  private async peerState(file: FileTransfer): Promise<FederationFileStateDto> {
    return {
      id: file.remoteId ?? file.id,
      status: file.status === 'received' || file.status === 'failed' ? file.status : 'receiving',
      receivedRanges: await this.intake.chunkRanges(file.id),
    };
  }
}
