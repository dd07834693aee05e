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

  /**
   * Files attached to the message, as they were when attached (JSON array of
   * {fileId, name, size, mime, sha256}); null when there are none. The bytes stay in `files`.
   */
  @Column({ type: 'text', nullable: true })
  attachments: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
