import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { EventsService } from '../events/events.service';
import { type OutboxHandler, OutboxService, type Parking } from '../federation/outbox.service';
import { firstMissing, heldByPeer } from './chunk-ranges';
import type { FederationFileStateDto } from './dto/file.dto';
import { FileChunk } from './entities/file-chunk.entity';
import { FileTransfer } from './entities/file-transfer.entity';
import { FileBytes } from './file-bytes';
import { FileContacts } from './file-contacts';
import { FILE_KINDS, FILE_OUTBOX, RELAYING } from './file-rules';

type OutboxItem = Parameters<OutboxHandler['buildRequest']>[0];
type PeerRequest = NonNullable<Awaited<ReturnType<OutboxHandler['buildRequest']>>>;
type PeerResponse = Parameters<OutboxHandler['onDelivered']>[2];

/** A chunk upload to a peer may take longer than a JSON call; it stays below the outbox lease (total + 30 s). */
const CHUNK_EXTRA_TIMEOUT_MS = 20_000;

/**
 * The relay of an outgoing file to the contact's Portal: the outbox steps of the chain (see
 * FILE_OUTBOX), what a delivered step enqueues next, resuming a waiting chain, and giving it up.
 */
@Injectable()
export class FileRelayService implements OnModuleInit {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(FileTransfer) private readonly files: Repository<FileTransfer>,
    @InjectRepository(FileChunk) private readonly chunks: Repository<FileChunk>,
    private readonly contacts: FileContacts,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly bytes: FileBytes,
  ) {}

  onModuleInit(): void {
    for (const kind of FILE_KINDS) {
      this.outbox.registerHandler(kind, {
        buildRequest: (item) => this.buildStep(item),
        onDelivered: (manager, item, response) => this.stepDelivered(manager, item, response),
        onFailed: (manager, item, reason) => this.relayFailed(manager, item, reason),
        onParked: (manager, item, parking) => this.relayParked(manager, item, parking),
      });
    }
    this.outbox.registerHandler(FILE_OUTBOX.cancel, {
      buildRequest: (item) => this.buildCancel(item),
      onDelivered: async () => undefined,
      onFailed: async () => undefined,
    });
  }

  /** The call for one step of the chain; null (the step is dropped) once the file or the contact is gone. */
  async buildStep(item: OutboxItem): Promise<PeerRequest | null> {
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
      stream: { open: () => this.bytes.store.openChunk(file.id, index), length: chunk.size, contentType: 'application/octet-stream' },
      timeoutMs: this.config.peers.totalTimeoutMs + CHUNK_EXTRA_TIMEOUT_MS,
    };
  }

  /**
   * The receiver answered a step with what it holds: enqueue the next step, finish, or leave the
   * chain waiting for the upload (no step pending; see FILE_OUTBOX).
   */
  async stepDelivered(manager: EntityManager, item: OutboxItem, response: PeerResponse): Promise<void> {
    if (!item.refId) return;
    // The file's row first: a chunk stored meanwhile either committed before the chunks are read
    // below, or waits for this commit and then finds no step pending (and enqueues one itself).
    const now = new Date();
    const touched = await manager.update(FileTransfer, { id: item.refId, status: In(RELAYING) }, { updatedAt: now });
    if (!touched.affected) return;
    const file = await manager.findOne(FileTransfer, { where: { id: item.refId } });
    if (!file || file.contactId === null) return;
    if (item.parkedAt) {
      await this.events.append(manager, 'file.resumed', {
        fileId: file.id,
        contactId: file.contactId,
        name: file.name,
        parkedAt: item.parkedAt.toISOString(),
      });
    }
    const state = response.body as Partial<FederationFileStateDto> | null;
    if (state?.status === 'received' && file.status === 'sending') {
      await manager.update(FileTransfer, { id: file.id }, { status: 'delivered', completedAt: now, updatedAt: now });
      await this.events.append(manager, 'file.delivered', {
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
      await this.outbox.enqueue(manager, {
        kind: FILE_OUTBOX.chunk,
        peerUrl: item.peerUrl,
        contactId: file.contactId,
        refId: file.id,
        payload: { index: next },
      });
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
  async resume(manager: EntityManager, file: FileTransfer, next: { kind: string; payload?: unknown }): Promise<boolean> {
    // A local file (owner-chat attachment) is never relayed.
    if (file.contactId === null) return false;
    const latest = await this.outbox.latestDeliveryState(FILE_KINDS, file.id, manager);
    if (latest && latest.status !== 'delivered') return false;
    let peerUrl = latest?.peerUrl;
    if (!peerUrl) {
      const contact = await this.contacts.ifActive(file.contactId);
      // A contact no longer active: nothing is offered, and the whole-file check fails the upload.
      if (!contact) return false;
      peerUrl = contact.portalUrl;
    }
    const step = latest ? next : { kind: FILE_OUTBOX.offer };
    await this.outbox.enqueue(manager, { kind: step.kind, peerUrl, contactId: file.contactId, refId: file.id, payload: step.payload });
    return true;
  }

  /** Tells the receiver to drop its partial copy of a file whose relay had started. Inside the caller's transaction. */
  async cancel(manager: EntityManager, file: FileTransfer): Promise<boolean> {
    if (file.direction !== 'out' || !RELAYING.includes(file.status)) return false;
    const latest = await this.outbox.latestDeliveryState(FILE_KINDS, file.id, manager);
    if (!latest) return false;
    await this.outbox.enqueue(manager, { kind: FILE_OUTBOX.cancel, peerUrl: latest.peerUrl, contactId: file.contactId, refId: file.id });
    return true;
  }

  async buildCancel(item: OutboxItem): Promise<PeerRequest | null> {
    const target = item.contactId === null ? null : await this.contacts.outboundFor(item.contactId);
    if (!target || !item.refId) return null;
    return { portalUrl: target.portalUrl, method: 'DELETE', path: `/api/federation/files/${item.refId}`, key: target.key };
  }

  /**
   * The contact's Portal has no room for the file now (507): the outbox parked the step, so
   * messages to the contact go on; the sender's agent and owner hear of it once (file.parked).
   */
  async relayParked(manager: EntityManager, item: OutboxItem, parking: Parking): Promise<void> {
    if (!item.refId) return;
    const file = await manager.findOne(FileTransfer, { where: { id: item.refId } });
    if (!file || file.contactId === null || !RELAYING.includes(file.status)) return;
    await this.events.append(manager, 'file.parked', {
      fileId: file.id,
      contactId: file.contactId,
      name: file.name,
      size: file.size,
      reason: parking.reason,
      retryAt: parking.retryAt.toISOString(),
    });
  }

  /** A step will never be delivered: the file fails (file.failed); its bytes stay until the sweep. */
  async relayFailed(manager: EntityManager, item: OutboxItem, reason: string): Promise<void> {
    if (!item.refId) return;
    const result = await manager.update(
      FileTransfer,
      { id: item.refId, status: In(RELAYING) },
      { status: 'failed', error: reason.slice(0, 500), updatedAt: new Date() },
    );
    if (!result.affected) return;
    const file = await manager.findOne(FileTransfer, { where: { id: item.refId } });
    if (!file) return;
    this.bytes.forget(file.id);
    await this.events.append(manager, 'file.failed', {
      fileId: file.id,
      contactId: file.contactId,
      direction: 'out',
      name: file.name,
      error: reason,
    });
  }

  /** Where the newest step of a file's relay stands (null before the offer, and for files not sent). */
  latestDelivery(fileId: string): ReturnType<OutboxService['latestDeliveryState']> {
    return this.outbox.latestDeliveryState(FILE_KINDS, fileId);
  }
}
