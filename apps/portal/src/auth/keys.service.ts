import { Injectable, Logger, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, type Repository } from 'typeorm';
import { generateOwnerKey, sha256Hex } from '../common/secrets';
import type { OwnerKeyCreatedDto, OwnerKeyResponseDto } from './dto/owner-key.dto';
import { OwnerKey } from './entities/owner-key.entity';

/** lastUsedAt is refreshed at most this often per key, so authentication stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Shortest time between the starts of two writes of event acks (how long a confirmation may wait). */
const ACK_LINGER_MS = 25;
/** How long after a failed write of event acks it is tried again. */
const ACK_RETRY_MS = 1000;
/** How long a key look-up is remembered. */
const KEY_CACHE_MS = 2000;

@Injectable()
export class KeysService implements OnModuleDestroy {
  private readonly pendingAcks = new Map<string, number>();
  private readonly usable = new Map<string, { key: OwnerKey | null; until: number }>();
  private retryTimer: NodeJS.Timeout | null = null;
  /** The write of acks running now, and the one that waits to start after it. */
  private writing: Promise<void> | null = null;
  private nextWrite: Promise<void> | null = null;
  private lastWriteAt = 0;
  private closing = false;
  private readonly logger = new Logger(KeysService.name);

  constructor(@InjectRepository(OwnerKey) private readonly keys: Repository<OwnerKey>) {}

  /** The owner key with this secret, unless it was revoked. */
  async findUsable(secret: string): Promise<OwnerKey | null> {
    const keyHash = sha256Hex(secret);
    // Agents call in bursts: a look-up is remembered briefly. Revoking here forgets at once; another
    // instance on the same database stops accepting the key within KEY_CACHE_MS.
    const cached = this.usable.get(keyHash);
    if (cached && cached.until > Date.now()) return cached.key;
    const key = await this.keys.findOne({ where: { keyHash, revokedAt: IsNull() } });
    if (this.usable.size >= 1000) this.usable.clear();
    this.usable.set(keyHash, { key, until: Date.now() + KEY_CACHE_MS });
    if (key && (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS)) {
      key.lastUsedAt = new Date();
      await this.keys.update({ id: key.id }, { lastUsedAt: key.lastUsedAt });
    }
    return key;
  }

  async list(): Promise<OwnerKeyResponseDto[]> {
    const keys = await this.keys.find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return keys.map(toResponse);
  }

  /** Creates a key; the secret is in this answer only. */
  async create(name: string, secret: string = generateOwnerKey()): Promise<OwnerKeyCreatedDto> {
    const key = this.keys.create({
      id: randomUUID(),
      name,
      keyPrefix: secret.slice(0, 11),
      keyHash: sha256Hex(secret),
      ackedSeq: 0,
      createdAt: new Date(),
      lastUsedAt: null,
      revokedAt: null,
    });
    await this.keys.insert(key);
    this.usable.clear();
    return { ...toResponse(key), key: secret };
  }

  async revoke(id: string): Promise<OwnerKeyResponseDto> {
    const key = await this.keys.findOne({ where: { id } });
    if (!key) throw new NotFoundException(`No owner key with id ${id}`);
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await this.keys.update({ id }, { revokedAt: key.revokedAt });
    }
    this.usable.clear();
    return toResponse(key);
  }

  /** The highest event seq acknowledged with this key (0 when none, or when the key is unknown). */
  async ackedSeq(id: string): Promise<number> {
    const pending = this.pendingAcks.get(id);
    const key = await this.keys.findOne({ where: { id }, select: { id: true, ackedSeq: true } });
    return Math.max(key ? Number(key.ackedSeq) : 0, pending ?? 0);
  }

  /**
   * Raises the key's acked cursor to `seq` unless it is already there or beyond (a cursor never
   * moves back, so late or repeated acks are harmless). Returns the cursor after the ack, once it is
   * written: a consumer told its ack is confirmed may reconnect to any instance and never gets the
   * acked events again. Acks that arrive while a write runs share the next write (group commit), so
   * a Bridge acking every event costs one write per batch, not one per event.
   */
  async ackEvents(id: string, seq: number): Promise<number> {
    const pending = this.pendingAcks.get(id);
    const current = pending ?? (await this.ackedSeq(id));
    if (seq <= current && pending === undefined) return current;
    if (seq > current) this.pendingAcks.set(id, Math.max(seq, this.pendingAcks.get(id) ?? 0));
    await this.writeAcks();
    return Math.max(current, seq);
  }

  /** Writes the pending acks now (and waits for a write already running). */
  async flushAcks(): Promise<void> {
    if (this.pendingAcks.size > 0 || this.writing) await this.writeAcks();
  }

  /**
   * Resolves once every ack pending at the call is written. One write runs at a time; acks that
   * arrive meanwhile wait for the next one, which starts as soon as the running one ends.
   */
  private writeAcks(): Promise<void> {
    if (this.nextWrite) return this.nextWrite;
    const previous = this.writing ?? Promise.resolve();
    const next: Promise<void> = previous
      .catch(() => undefined)
      // Writes start at most every ACK_LINGER_MS: a consumer acking every event gets a few writes
      // a second, each covering every ack that arrived meanwhile, not one write per ack.
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, this.lastWriteAt + ACK_LINGER_MS - Date.now()))))
      .then(async () => {
        this.nextWrite = null;
        this.writing = next;
        this.lastWriteAt = Date.now();
        try {
          for (const [id, seq] of [...this.pendingAcks]) {
            await this.keys
              .createQueryBuilder()
              .update(OwnerKey)
              .set({ ackedSeq: seq })
              .where('id = :id AND acked_seq < :seq', { id, seq })
              .execute();
            if (this.pendingAcks.get(id) === seq) this.pendingAcks.delete(id);
          }
        } catch (error) {
          // The acks stay pending (and readable from memory); the next ack or the retry writes them.
          this.scheduleRetry();
          throw error;
        } finally {
          if (this.writing === next) this.writing = null;
        }
      });
    this.nextWrite = next;
    return next;
  }

  /** After a failed write, tries again later; once shutting down, no timer outlives the database. */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.pendingAcks.size === 0) return;
      void this.writeAcks().catch((error: unknown) => this.logger.warn({ err: error }, 'Could not save event acks; will retry'));
    }, ACK_RETRY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.flushAcks();
  }

  async count(): Promise<number> {
    return this.keys.count();
  }
}

function toResponse(key: OwnerKey): OwnerKeyResponseDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.keyPrefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt ? key.lastUsedAt.toISOString() : null,
    revokedAt: key.revokedAt ? key.revokedAt.toISOString() : null,
  };
}
