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
/**
 * Where the peer's identity key stands. unpinned: none yet (a contact made before signed calls; the
 * first signed call pins it); pinned: calls must be signed by the pinned key; changed: the peer
 * presented another key without a rotation signed by the pinned one, so its calls are refused until
 * the owner re-pins.
 */
export type PeerKeyState = 'unpinned' | 'pinned' | 'changed';

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

  /** The peer's identity key this Portal trusts (pinned at the handshake, bound to portalUrl). */
  @Column({ name: 'peer_key_state', type: 'varchar', length: 16, default: 'unpinned' })
  peerKeyState: PeerKeyState;

  @Column({ name: 'peer_key_id', type: 'varchar', length: 32, nullable: true })
  peerKeyId: string | null;

  /** The raw Ed25519 public key, base64url. */
  @Column({ name: 'peer_public_key', type: 'varchar', length: 64, nullable: true })
  peerPublicKey: string | null;

  @Column({ name: 'peer_key_pinned_at', nullable: true, type: Date })
  peerKeyPinnedAt: Date | null;

  /** When the owner marked the fingerprint as compared with the peer's owner (null: not compared). */
  @Column({ name: 'peer_key_compared_at', nullable: true, type: Date })
  peerKeyComparedAt: Date | null;

  /** The key pinned before the last rotation: still accepted until peerPreviousKeyUntil (calls in flight). */
  @Column({ name: 'peer_previous_key_id', type: 'varchar', length: 32, nullable: true })
  peerPreviousKeyId: string | null;

  @Column({ name: 'peer_previous_public_key', type: 'varchar', length: 64, nullable: true })
  peerPreviousPublicKey: string | null;

  @Column({ name: 'peer_previous_key_until', nullable: true, type: Date })
  peerPreviousKeyUntil: Date | null;

  /** peerKeyState changed: the key the peer presents now (its well-known document), for the owner to compare and re-pin. */
  @Column({ name: 'presented_key_id', type: 'varchar', length: 32, nullable: true })
  presentedKeyId: string | null;

  @Column({ name: 'presented_public_key', type: 'varchar', length: 64, nullable: true })
  presentedPublicKey: string | null;

  @Column({ name: 'peer_key_changed_at', nullable: true, type: Date })
  peerKeyChangedAt: Date | null;

  /** The peer refuses our signed calls (its reason, e.g. it has another key pinned for us); null once a call goes through. */
  @Column({ name: 'refused_by_peer', type: 'varchar', length: 500, nullable: true })
  refusedByPeer: string | null;

  @Column({ name: 'refused_by_peer_at', nullable: true, type: Date })
  refusedByPeerAt: Date | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
