import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A message a visitor left on the public guestbook. Name and message are stored exactly as typed. */
@Entity('guestbook_entries')
export class GuestbookEntry {
  /** A small integer: the owner and the agent refer to entries by it. */
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'text' })
  message: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  /** When the owner (or agent) marked it read; null while unread. */
  @Column({ name: 'read_at', nullable: true, type: Date })
  readAt: Date | null;
}
