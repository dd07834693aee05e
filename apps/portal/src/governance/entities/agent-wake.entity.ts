import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One wake of the agent for a contact's messages (an `agent.wake` event); the budget counts these. */
@Entity('agent_wakes')
@Index('ix_agent_wakes_contact_created', ['contactId', 'createdAt'])
export class AgentWake {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'contact_id', type: 'integer' })
  contactId: number;

  /** reply: the agent may answer; inform: it only tells the owner (notify-only). */
  @Column({ type: 'varchar', length: 8 })
  mode: 'reply' | 'inform';

  /** new: messages as they came (counted against the budget); released: by the owner (not counted). */
  @Column({ type: 'varchar', length: 16 })
  reason: 'new' | 'released';

  @Column({ name: 'message_count', type: 'integer' })
  messageCount: number;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
