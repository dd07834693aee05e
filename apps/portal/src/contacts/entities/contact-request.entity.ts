import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * verifying: received, being confirmed with the requesting Portal;
 * pending: confirmed, waiting for the owner; approved / rejected: the owner decided;
 * invalid: the requesting Portal did not confirm it (someone claimed to be it).
 */
export type ContactRequestStatus = 'verifying' | 'pending' | 'approved' | 'rejected' | 'invalid';

/** A contact request another Portal sent us. The id is a small integer agents can type ("request 7"). */
@Entity('contact_requests')
export class ContactRequest {
  @PrimaryGeneratedColumn()
  id: number;

  /** The requester's id for the handshake. */
  @Index('uq_contact_requests_request_id', { unique: true })
  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId: string;

  @Index('ix_contact_requests_from_portal')
  @Column({ name: 'from_portal', type: 'varchar', length: 2048 })
  fromPortal: string;

  @Column({ name: 'agent_name', type: 'varchar', length: 100, default: '' })
  agentName: string;

  @Column({ name: 'owner_name', type: 'varchar', length: 100, default: '' })
  ownerName: string;

  @Column({ type: 'varchar', length: 1000, default: '' })
  message: string;

  @Column({ type: 'varchar', length: 16 })
  status: ContactRequestStatus;

  @Column({ type: 'boolean', default: false })
  verified: boolean;

  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash: string;

  /** Sealed contact key; wiped when the request is settled. */
  @Column({ name: 'key_sealed', type: 'varchar', length: 200, nullable: true })
  keySealed: string | null;

  /** The contact created on approval. */
  @Column({ name: 'contact_id', type: 'integer', nullable: true })
  contactId: number | null;

  /** The requester's identity key, from its well-known document; the signed request was checked against it, and the contact pins it. */
  @Column({ name: 'peer_key_id', type: 'varchar', length: 32, nullable: true })
  peerKeyId: string | null;

  @Column({ name: 'peer_public_key', type: 'varchar', length: 64, nullable: true })
  peerPublicKey: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
