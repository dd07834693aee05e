import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { type DataSource, type EntityManager, Not } from 'typeorm';
import { sha256Hex } from '../common/secrets';
import { Contact, FileChunk, FileTransfer, GuestbookEntry, Message, OwnerChatMessage } from '../database/entities';
import { sanitizeFileName, sanitizeMime } from '../files/file-names';
import { ImportRecord } from './entities/import-record.entity';
import type { V09ImportOptions, V09ImportReport, V09KindCounts } from './v09-import-types';
import type { V09Kind, V09Skip, V09Snapshot } from './v09-snapshot';
import type { V09Source } from './v09-source';
import { storeV09File } from './v09-store-file';

/** The manager of a run that writes (a dry run with no database has none, and never writes). */
function writable(manager: EntityManager | null): EntityManager {
  if (!manager) throw new Error('no database to write to');
  return manager;
}

const KINDS: V09Kind[] = ['contacts', 'messages', 'ownerChat', 'guestbook', 'files'];
const RECORD_KIND: Record<V09Kind, string> = {
  contacts: 'contact',
  messages: 'message',
  ownerChat: 'owner_chat',
  guestbook: 'guestbook',
  files: 'file',
};
const BATCH = 200;

export class ImportRun {
  private readonly counts = Object.fromEntries(
    KINDS.map((kind) => [kind, { found: 0, imported: 0, alreadyPresent: 0, skipped: 0 }]),
  ) as Record<V09Kind, V09KindCounts>;
  private readonly skipped: V09Skip[];
  private readonly dryRun: boolean;
  /** Ledger keys already recorded → the id they became. */
  private ledger = new Map<string, string>();
  /** Contact URL → contact id here (0 for a contact a dry run would create). */
  private readonly contactIds = new Map<string, number>();
  private readonly newRecords: ImportRecord[] = [];
  /** File directories written by this run (removed if the transaction fails). */
  private readonly writtenDirs: string[] = [];
  private readonly identity: string;

  constructor(
    private readonly snapshot: V09Snapshot,
    private readonly source: V09Source,
    private readonly options: V09ImportOptions,
    /** Dry run on a database that has never been set up: nothing is present yet. */
    private readonly fresh: boolean,
  ) {
    this.dryRun = Boolean(options.dryRun);
    this.skipped = [...snapshot.skipped];
    this.identity = snapshot.ownUrl ?? 'unknown';
    for (const skip of snapshot.skipped) this.counts[skip.kind].skipped += 1;
    this.counts.contacts.found = snapshot.contacts.length;
    this.counts.messages.found = snapshot.messages.length;
    this.counts.ownerChat.found = snapshot.ownerChat.length;
    this.counts.guestbook.found = snapshot.guestbook.length;
    this.counts.files.found = snapshot.files.length;
    for (const skip of snapshot.skipped) this.counts[skip.kind].found += 1;
  }

  async applyInTransaction(dataSource: DataSource): Promise<void> {
    try {
      await dataSource.transaction((manager) => this.apply(manager));
    } catch (error) {
      await Promise.all(this.writtenDirs.map((dir) => rm(dir, { recursive: true, force: true })));
      throw error;
    }
  }

  /** Without a manager (a dry run with no Portal database yet), nothing is looked up or written. */
  async apply(manager: EntityManager | null): Promise<void> {
    if (manager && !this.fresh) {
      const records = await manager.find(ImportRecord);
      this.ledger = new Map(records.map((record) => [record.sourceKey, record.targetId]));
    }
    await this.importContacts(manager);
    await this.importMessages(manager);
    await this.importOwnerChat(manager);
    await this.importGuestbook(manager);
    await this.importFiles(manager);
    if (manager && !this.dryRun) {
      for (let i = 0; i < this.newRecords.length; i += BATCH)
        await writable(manager).insert(ImportRecord, this.newRecords.slice(i, i + BATCH));
    }
  }

  report(): V09ImportReport {
    return {
      dryRun: this.dryRun,
      sourcePath: this.options.sourcePath,
      sourceUrl: this.snapshot.ownUrl,
      counts: this.counts,
      skipped: this.skipped,
      ownerKeys: this.snapshot.ownerKeys,
      absentTables: this.snapshot.absentTables,
    };
  }

  private keyOf(kind: V09Kind, id: string): string {
    return sha256Hex(`agent-p2p v0.9|${this.identity}|${RECORD_KIND[kind]}|${id}`);
  }

  /** The id a row became in an earlier import (or earlier in this one). */
  private seen(kind: V09Kind, id: string): string | undefined {
    return this.ledger.get(this.keyOf(kind, id));
  }

  private record(kind: V09Kind, id: string, targetId: string, counted = true): void {
    const sourceKey = this.keyOf(kind, id);
    this.ledger.set(sourceKey, targetId);
    this.newRecords.push(Object.assign(new ImportRecord(), { sourceKey, kind: RECORD_KIND[kind], targetId, importedAt: new Date() }));
    if (counted) this.counts[kind].imported += 1;
  }

  private skip(kind: V09Kind, sourceId: string, reason: string): void {
    this.skipped.push({ kind, sourceId, reason });
    this.counts[kind].skipped += 1;
  }

  /** A contact this Portal already has for that URL (any but removed), the oldest first. */
  private async existingContact(manager: EntityManager | null, portalUrl: string): Promise<Contact | null> {
    if (this.fresh || !manager) return null;
    return manager.findOne(Contact, { where: { portalUrl, status: Not('removed') }, order: { id: 'ASC' } });
  }

  private async importContacts(manager: EntityManager | null): Promise<void> {
    for (const contact of this.snapshot.contacts) {
      const known = this.seen('contacts', contact.portalUrl);
      if (known !== undefined) {
        this.contactIds.set(contact.portalUrl, Number(known));
        this.counts.contacts.alreadyPresent += 1;
        continue;
      }
      // The peer is already a contact here (say, a new handshake came first): its history joins it.
      const existing = await this.existingContact(manager, contact.portalUrl);
      if (existing) {
        this.contactIds.set(contact.portalUrl, existing.id);
        this.record('contacts', contact.portalUrl, String(existing.id), false);
        this.counts.contacts.alreadyPresent += 1;
        continue;
      }
      let id = 0;
      if (!this.dryRun) {
        const saved = await writable(manager).save(
          Object.assign(new Contact(), {
            portalUrl: contact.portalUrl,
            status: 'imported',
            direction: 'outgoing',
            requestId: null,
            agentName: contact.agentName,
            ownerName: contact.ownerName,
            message: '',
            keyHash: null,
            keySealed: null,
            createdAt: contact.createdAt,
            updatedAt: contact.createdAt,
          }),
        );
        id = saved.id;
      }
      this.contactIds.set(contact.portalUrl, id);
      this.record('contacts', contact.portalUrl, String(id));
    }
  }

  /** The contact a message or file belongs to: one imported now or before, or one this Portal has. */
  private async contactFor(manager: EntityManager | null, portalUrl: string): Promise<number | null> {
    const mapped = this.contactIds.get(portalUrl);
    if (mapped !== undefined) return mapped;
    const existing = await this.existingContact(manager, portalUrl);
    if (existing) this.contactIds.set(portalUrl, existing.id);
    return existing ? existing.id : null;
  }

  private async importMessages(manager: EntityManager | null): Promise<void> {
    const rows: Message[] = [];
    for (const message of this.snapshot.messages) {
      if (this.seen('messages', message.sourceId) !== undefined) {
        this.counts.messages.alreadyPresent += 1;
        continue;
      }
      const contactId = await this.contactFor(manager, message.peerUrl);
      if (contactId === null) {
        this.skip('messages', message.sourceId, `no contact for ${message.peerUrl}`);
        continue;
      }
      const id = randomUUID();
      const delivered = message.direction === 'out' && message.delivered;
      rows.push(
        Object.assign(new Message(), {
          id,
          contactId,
          direction: message.direction,
          remoteId: null,
          content: message.content,
          // An outgoing v0.9 message that never arrived is not sent again: it shows as failed.
          status: message.direction === 'in' ? 'received' : delivered ? 'delivered' : 'failed',
          sentAt: message.createdAt,
          createdAt: message.createdAt,
          deliveredAt: delivered ? message.createdAt : null,
          // History: no receipts will come for it, and no notice is owed.
          stage: message.direction === 'in' || delivered ? 'delivered' : 'queued',
          stageAt: message.createdAt,
          noticeDueAt: null,
          unconfirmedAt: null,
        }),
      );
      this.record('messages', message.sourceId, id);
    }
    // Inserted oldest first, so the history's cursor order is the v0.9 order.
    if (!this.dryRun) for (let i = 0; i < rows.length; i += BATCH) await writable(manager).insert(Message, rows.slice(i, i + BATCH));
  }

  private async importOwnerChat(manager: EntityManager | null): Promise<void> {
    const rows: OwnerChatMessage[] = [];
    for (const chat of this.snapshot.ownerChat) {
      if (this.seen('ownerChat', chat.sourceId) !== undefined) {
        this.counts.ownerChat.alreadyPresent += 1;
        continue;
      }
      const id = randomUUID();
      rows.push(
        Object.assign(new OwnerChatMessage(), { id, role: chat.role, content: chat.content, attachments: null, createdAt: chat.createdAt }),
      );
      this.record('ownerChat', chat.sourceId, id);
    }
    if (!this.dryRun)
      for (let i = 0; i < rows.length; i += BATCH) await writable(manager).insert(OwnerChatMessage, rows.slice(i, i + BATCH));
  }

  private async importGuestbook(manager: EntityManager | null): Promise<void> {
    for (const entry of this.snapshot.guestbook) {
      if (this.seen('guestbook', entry.sourceId) !== undefined) {
        this.counts.guestbook.alreadyPresent += 1;
        continue;
      }
      let id = 0;
      if (!this.dryRun) {
        const saved = await writable(manager).save(
          Object.assign(new GuestbookEntry(), {
            name: entry.name,
            message: entry.message,
            createdAt: entry.createdAt,
            readAt: entry.read ? entry.createdAt : null,
          }),
        );
        id = saved.id;
      }
      this.record('guestbook', entry.sourceId, String(id));
    }
  }

  private async importFiles(manager: EntityManager | null): Promise<void> {
    for (const file of this.snapshot.files) {
      if (this.seen('files', file.sourceId) !== undefined) {
        this.counts.files.alreadyPresent += 1;
        continue;
      }
      const contactId = file.fromPortal ? await this.contactFor(manager, file.fromPortal) : null;
      const id = randomUUID();
      const stored = await storeV09File(this.source, file, id, {
        dataDir: this.options.config.dataDir,
        chunkBytes: this.options.config.files.chunkBytes,
        dryRun: this.dryRun,
        written: (dir) => this.writtenDirs.push(dir),
      });
      if ('reason' in stored) {
        this.skip('files', file.sourceId, stored.reason);
        continue;
      }
      if (!this.dryRun) {
        const incoming = contactId !== null && contactId > 0;
        await writable(manager).insert(FileTransfer, {
          id,
          contactId: incoming ? contactId : null,
          direction: incoming ? 'in' : 'local',
          remoteId: null,
          name: sanitizeFileName(file.name),
          size: stored.size,
          sha256: stored.sha256,
          mime: sanitizeMime(file.mime),
          chunkSize: this.options.config.files.chunkBytes,
          chunkCount: stored.chunks.length,
          status: incoming ? 'received' : 'stored',
          error: null,
          contentStored: true,
          createdAt: file.createdAt,
          updatedAt: file.createdAt,
          completedAt: file.createdAt,
        });
        for (let i = 0; i < stored.chunks.length; i += BATCH) {
          await writable(manager).insert(
            FileChunk,
            stored.chunks
              .slice(i, i + BATCH)
              .map((chunk, offset) => ({ fileId: id, chunkIndex: i + offset, sha256: chunk.sha256, size: chunk.size })),
          );
        }
      }
      this.record('files', file.sourceId, id);
    }
  }
}
