import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An owner key: the agent's credential on its own Portal. Only the SHA-256 of the secret is kept. */
@Entity('owner_keys')
export class OwnerKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The first characters of the secret, so the owner can tell keys apart. */
  @Column({ name: 'key_prefix', type: 'varchar', length: 16 })
  keyPrefix: string;

  @Index('uq_owner_keys_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash: string;

  /** The highest event sequence number a client holding this key has acknowledged. */
  @Column({ name: 'acked_seq', type: 'integer', default: 0 })
  ackedSeq: number;

  /**
   * How far the features told of acks (the seen receipts) have run: acked events after this seq
   * still owe their consequences, which a restart or a failed run picks up again.
   */
  @Column({ name: 'ack_hooks_seq', type: 'integer', default: 0 })
  ackHooksSeq: number;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'last_used_at', nullable: true, type: Date })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', nullable: true, type: Date })
  revokedAt: Date | null;
}
