import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * pending:  waiting for its wake (coalescing, quiet hours)
 * woken:    the agent was woken to answer it
 * informed: the agent was woken only to tell the owner (notify-only)
 * held:     waiting for the owner (budget used up) — the review queue
 * released: the owner released it; the agent was woken with it
 * dropped:  the owner decided it wakes nobody (the message stays in the history)
 * blocked:  the contact is blocked; kept, never woken
 */
export type InboxState = 'pending' | 'woken' | 'informed' | 'held' | 'released' | 'dropped' | 'blocked';

/**
 * One received message or file on its way to a wake of the agent. Written in the transaction that
 * stores the message (or completes the file), so none is lost; the scheduler moves it on.
 * `preview` is what a wake shows: a message's content (cut to PREVIEW_CHARS; the message itself is
 * in `messages`), or a file's {name, size, mime, sha256} as JSON (the file is in `files`).
 */
@Entity('agent_inbox')
@Index('ix_agent_inbox_state_contact', ['state', 'contactId', 'id'])
@Index('uq_agent_inbox_ref', ['kind', 'refId'], { unique: true })
export class InboxItem {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'contact_id', type: 'integer' })
  contactId: number;

  @Column({ type: 'varchar', length: 16 })
  kind: 'message' | 'file';

  /** The local id of the message or file. */
  @Column({ name: 'ref_id', type: 'varchar', length: 36 })
  refId: string;

  @Column({ type: 'text' })
  preview: string;

  /** True when the preview is shorter than the content. */
  @Column({ name: 'preview_cut', type: 'boolean', default: false })
  previewCut: boolean;

  @Column({ name: 'sent_at' })
  sentAt: Date;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 16 })
  state: InboxState;

  /** Why it is held (budget, quiet_hours while pending in quiet hours is not stored). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  reason: string | null;

  @Column({ name: 'wake_id', type: 'integer', nullable: true })
  wakeId: number | null;

  @Column({ name: 'decided_at', type: Date, nullable: true })
  decidedAt: Date | null;
}
