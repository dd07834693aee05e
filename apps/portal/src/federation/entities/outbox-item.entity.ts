import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * parked: the peer has no room for it now (507, or its quota code): set aside so that the peer's
 * later items go on, and tried again at the park cadence or when the peer shows it has room.
 */
export type OutboxStatus = 'pending' | 'parked' | 'delivered' | 'failed';

/**
 * One call this Portal owes a peer (a message, a contact-request step, a removal notice). Written in
 * the same transaction as the change that caused it and delivered by the OutboxWorker, oldest first
 * per peer, with retries.
 */
@Entity('outbox_items')
@Index('ix_outbox_items_peer_status_seq', ['peerUrl', 'status', 'seq'])
@Index('ix_outbox_items_kind_ref', ['kind', 'refId'])
@Index('ix_outbox_items_status_next', ['status', 'nextAttemptAt'])
export class OutboxItem {
  @PrimaryGeneratedColumn()
  seq: number;

  @Index('uq_outbox_items_id', { unique: true })
  @Column({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ name: 'peer_url', type: 'varchar', length: 2048 })
  peerUrl: string;

  @Column({ name: 'contact_id', type: 'integer', nullable: true })
  contactId: number | null;

  /** The id of what this item delivers (message id, request id), for status look-ups. */
  @Column({ name: 'ref_id', type: 'varchar', length: 36, nullable: true })
  refId: string | null;

  /** Kind-specific JSON. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 16 })
  status: OutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at' })
  nextAttemptAt: Date;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  /**
   * While a worker delivers the item, no other worker (or instance) may. The lease is short and
   * renewed while the call runs, so a crashed instance's items are free again within seconds.
   */
  @Column({ name: 'lease_until', type: Date, nullable: true })
  leaseUntil: Date | null;

  /** The instance holding the lease (PORTAL_INSTANCE_ID, or one made at start). */
  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  /**
   * When the peer first answered that it has no room for this item (it was parked), and why
   * (`peer_quota`, `peer_storage`). Kept while the item is tried again and after, so one parking
   * is told once, and a delivered item that had been parked is known to have resumed.
   */
  @Column({ name: 'parked_at', type: Date, nullable: true })
  parkedAt: Date | null;

  @Column({ name: 'parked_reason', type: 'varchar', length: 32, nullable: true })
  parkedReason: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
