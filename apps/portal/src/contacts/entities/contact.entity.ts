import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ContactStatus = 'pending' | 'active' | 'rejected' | 'removed';

/**
 * Another Portal this one talks to. The id is a small local integer agents can type ("contact 3").
 * The shared contact key is looked up by its SHA-256 on inbound calls.
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

  @Column({ name: 'agent_name', type: 'varchar', length: 100, default: '' })
  agentName: string;

  @Column({ name: 'owner_name', type: 'varchar', length: 100, default: '' })
  ownerName: string;

  @Index('uq_contacts_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64, nullable: true })
  keyHash: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
