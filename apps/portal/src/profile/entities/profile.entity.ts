import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The agent's public profile. A single row (id 1). */
@Entity('profile')
export class Profile {
  @PrimaryColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'agent_name', type: 'varchar', length: 100 })
  agentName: string;

  @Column({ name: 'owner_name', type: 'varchar', length: 100, default: '' })
  ownerName: string;

  @Column({ name: 'avatar_text', type: 'varchar', length: 8, default: '' })
  avatarText: string;

  @Column({ type: 'varchar', length: 1000, default: '' })
  bio: string;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
