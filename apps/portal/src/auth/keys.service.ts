import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, type Repository } from 'typeorm';
import { generateOwnerKey, sha256Hex } from '../common/secrets';
import type { OwnerKeyCreatedDto, OwnerKeyResponseDto } from './dto/owner-key.dto';
import { OwnerKey } from './entities/owner-key.entity';

/** lastUsedAt is refreshed at most this often per key, so authentication stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** How long a key look-up is remembered. */
const KEY_CACHE_MS = 2000;

@Injectable()
export class KeysService {
  private readonly usable = new Map<string, { key: OwnerKey | null; until: number }>();

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
      ackHooksSeq: 0,
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

  /** The event cursor stored with this key (0 when the key is unknown). Kept by EventAcksService (events/). */
  async storedAckedSeq(id: string): Promise<number> {
    const key = await this.keys.findOne({ where: { id }, select: { id: true, ackedSeq: true } });
    return key ? Number(key.ackedSeq) : 0;
  }

  /** Keys whose acked events have not all been handed to the ack hooks (EventAckDispatcher, events/). */
  async behindAckHooks(): Promise<Array<Pick<OwnerKey, 'id' | 'ackedSeq' | 'ackHooksSeq'>>> {
    const keys = await this.keys
      .createQueryBuilder('k')
      .select(['k.id', 'k.ackedSeq', 'k.ackHooksSeq'])
      .where('k.ack_hooks_seq < k.acked_seq')
      .getMany();
    return keys.map((key) => ({ id: key.id, ackedSeq: Number(key.ackedSeq), ackHooksSeq: Number(key.ackHooksSeq) }));
  }

  /** This key's acked cursor and how far the ack hooks have run (null when the key is unknown). */
  async ackCursors(id: string): Promise<{ ackedSeq: number; ackHooksSeq: number } | null> {
    const key = await this.keys.findOne({ where: { id }, select: { id: true, ackedSeq: true, ackHooksSeq: true } });
    return key ? { ackedSeq: Number(key.ackedSeq), ackHooksSeq: Number(key.ackHooksSeq) } : null;
  }

  /** Records that the ack hooks ran up to `seq` for this key (never moves back). */
  async storeAckHooksSeq(id: string, seq: number): Promise<void> {
    await this.raiseCursor(id, 'ackHooksSeq', 'ack_hooks_seq', seq);
  }

  /** Raises the stored event cursor of this key to `seq`; a cursor already there or beyond is left as it is. */
  async storeAckedSeq(id: string, seq: number): Promise<void> {
    await this.raiseCursor(id, 'ackedSeq', 'acked_seq', seq);
  }

  /** Sets a cursor column of this key to `seq` unless it is already there or beyond: cursors only move forward. */
  private async raiseCursor(id: string, property: 'ackedSeq' | 'ackHooksSeq', column: string, seq: number): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update(OwnerKey)
      .set({ [property]: seq })
      .where(`id = :id AND ${column} < :seq`, { id, seq })
      .execute();
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
