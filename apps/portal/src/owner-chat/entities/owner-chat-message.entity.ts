import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who wrote an owner-chat message: the human owner (console) or their agent (owner key). */
export type OwnerChatRole = 'owner' | 'agent';

/** One message of the private chat between the owner and their own agent. `seq` orders it and pages it. */
@Entity('owner_chat_messages')
export class OwnerChatMessage {
  @PrimaryGeneratedColumn()
  seq: number;

  @Index('uq_owner_chat_messages_id', { unique: true })
  @Column({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 8 })
  role: OwnerChatRole;

  @Column({ type: 'text' })
  content: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
