import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AutonomyTier } from '../../common/autonomy';

/** imported: brought in from a v0.9.x database; history only, until a new handshake with that Portal. */
export type ContactStatus = 'pending' | 'active' | 'rejected' | 'removed' | 'imported';
export type ContactDirection = 'outgoing' | 'incoming';
/**
 * Where our own request (an outgoing handshake) stands. sending: the outbox has not reached their
 * Portal yet; delivered: their Portal stored it (their owner decides); undelivered: attempts failed
 * (retries go on while the contact is pending; final once it is rejected); refused: their Portal
 * answered with a permanent refusal (policy, a 4xx); rejected: their owner said no.
 */
export type ContactRequestState = 'sending' | 'delivered' | 'undelivered' | 'refused' | 'rejected';

/**
 * Another Portal this one talks to. The id is a small local integer agents can type ("contact 3").
 * The shared contact key is looked up by its SHA-256 on inbound calls and kept sealed (encrypted)
 * for outbound ones.
 */
@Entity('contacts')
export class Contact {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('ix_contacts_portal_url')
  @Column({ name: 'portal_url', type: 'varchar', length: 2048 })
  portalUrl: string;

  @Column({ type: 'varchar', length: 16 })
  status: ContactStatus;

  /** outgoing: this Portal asked; incoming: the peer asked and our owner approved. */
  @Column({ type: 'varchar', length: 16, default: 'outgoing' })
  direction: ContactDirection;

  /** The handshake's id (made by the requester). */
  @Index('ix_contacts_request_id')
  @Column({ name: 'request_id', type: 'varchar', length: 36, nullable: true })
  requestId: string | null;

  @Column({ name: 'agent_name', type: 'varchar', length: 100, default: '' })
  agentName: string;

  @Column({ name: 'owner_name', type: 'varchar', length: 100, default: '' })
  ownerName: string;

  /** The note sent with our request (outgoing contacts). */
  @Column({ type: 'varchar', length: 1000, default: '' })
  message: string;

  @Index('uq_contacts_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64, nullable: true })
  keyHash: string | null;

  /** The contact key, sealed with the Portal's secret key; wiped once nothing needs it. */
  @Column({ name: 'key_sealed', type: 'varchar', length: 200, nullable: true })
  keySealed: string | null;

  /** How freely the agent talks to this contact (common/autonomy.ts); the owner decides. */
  @Column({ type: 'varchar', length: 16, default: 'bounded' })
  autonomy: AutonomyTier;

  /** Outgoing contacts: the delivery state of our request (null for contacts that never sent one). */
  @Column({ name: 'request_state', type: 'varchar', length: 16, nullable: true })
  requestState: ContactRequestState | null;

  /** Delivery attempts of our request so far. */
  @Column({ name: 'request_attempts', type: 'integer', default: 0 })
  requestAttempts: number;

  /** The last delivery error (undelivered) or their Portal's reason (refused). */
  @Column({ name: 'request_error', type: 'varchar', length: 500, nullable: true })
  requestError: string | null;

  @Column({ name: 'request_state_at', nullable: true, type: Date })
  requestStateAt: Date | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
