import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MessageDirection = 'out' | 'in';
/** out: queued → delivered | failed. in: received. */
export type MessageStatus = 'queued' | 'delivered' | 'failed' | 'received';
/**
 * How far a message got with its reader, forward only: queued → delivered → (held →) seen → answered.
 * Outgoing: what the contact's Portal reported (its receipts). Incoming: what we reported to the sender.
 */
export type MessageStage = 'queued' | 'delivered' | 'held' | 'seen' | 'answered';

/** A message between the agent and one contact. `seq` orders history and serves as the paging cursor. */
@Entity('messages')
@Index('ix_messages_contact_seq', ['contactId', 'seq'])
@Index('uq_messages_contact_remote_id', ['contactId', 'remoteId'], { unique: true })
@Index('ix_messages_contact_direction_stage', ['contactId', 'direction', 'stage'])
export class Message {
  @PrimaryGeneratedColumn()
  seq: number;

  /** Local id (for outgoing messages, the one the sender chose). */
  @Index('uq_messages_id', { unique: true })
  @Column({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'contact_id', type: 'integer' })
  contactId: number;

  @Column({ type: 'varchar', length: 3 })
  direction: MessageDirection;

  /** Incoming messages: the sender's id, which makes redelivery harmless. */
  @Column({ name: 'remote_id', type: 'varchar', length: 36, nullable: true })
  remoteId: string | null;

  @Column({ type: 'text' })
  content: string;

  @Column({ type: 'varchar', length: 16 })
  status: MessageStatus;

  /** When the sender's agent sent it (the sender's clock, for incoming messages). */
  @Column({ name: 'sent_at' })
  sentAt: Date;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: Date, nullable: true })
  deliveredAt: Date | null;

  @Column({ type: 'varchar', length: 16, default: 'delivered' })
  stage: MessageStage;

  /** When the message reached its stage. */
  @Column({ name: 'stage_at', type: Date, nullable: true })
  stageAt: Date | null;

  /** Outgoing, delivered and not seen yet: when message.unconfirmed falls due; null when none is owed (any more). */
  @Index('ix_messages_notice_due_at')
  @Column({ name: 'notice_due_at', type: Date, nullable: true })
  noticeDueAt: Date | null;

  /** Outgoing: when the agent was told that the contact has not seen it yet (message.unconfirmed); null: not told. */
  @Column({ name: 'unconfirmed_at', type: Date, nullable: true })
  unconfirmedAt: Date | null;
}
