import { Injectable, Logger, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, type Repository } from 'typeorm';
import { generateOwnerKey, sha256Hex } from '../common/secrets';
import type { OwnerKeyCreatedDto, OwnerKeyResponseDto } from './dto/owner-key.dto';
import { OwnerKey } from './entities/owner-key.entity';

/** lastUsedAt is refreshed at most this often per key, so authentication stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Longest an acknowledged event cursor waits in memory before it is written. */
const ACK_FLUSH_MS = 200;
/** How long a key look-up is remembered. */
const KEY_CACHE_MS = 2000;

@Injectable()
export class KeysService implements OnModuleDestroy {
  private readonly pendingAcks = new Map<string, number>();
  private readonly usable = new Map<string, { key: OwnerKey | null; until: number }>();
  private flushTimer: NodeJS.Timeout | null = null;
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
   * moves back, so late or repeated acks are harmless). Returns the cursor after the ack.
   * Acks are written in batches (at most ACK_FLUSH_MS late): a Bridge acking every event costs one
   * write per batch, and a crash at worst replays the events of the last batch (at-least-once).
   */
  async ackEvents(id: string, seq: number): Promise<number> {
    const pending = this.pendingAcks.get(id);
    if (pending !== undefined) {
      if (seq > pending) this.pendingAcks.set(id, seq);
      return Math.max(pending, seq);
    }
    const current = await this.ackedSeq(id);
    if (seq <= current) return current;
    this.pendingAcks.set(id, Math.max(seq, this.pendingAcks.get(id) ?? 0));
    this.scheduleFlush();
    return seq;
  }

  /** Writes the pending acks now. An ack stays readable from memory until its write is done. */
  async flushAcks(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const [id, seq] of [...this.pendingAcks]) {
      await this.keys
        .createQueryBuilder()
        .update(OwnerKey)
        .set({ ackedSeq: seq })
        .where('id = :id AND acked_seq < :seq', { id, seq })
        .execute();
      if (this.pendingAcks.get(id) === seq) this.pendingAcks.delete(id);
    }
    if (this.pendingAcks.size > 0) this.scheduleFlush();
  }

  /** Writes pending acks soon; once shutting down, no timer outlives the database connection. */
  private scheduleFlush(): void {
    if (this.flushTimer || this.closing) return;
    this.flushTimer = setTimeout(() => {
      void this.flushAcks().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'Could not save event acks; will retry');
        this.scheduleFlush();
      });
    }, ACK_FLUSH_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
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
