import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One entry of the durable event log. `seq` is monotonic; clients resume after the last seq they
 * saw. Written in the same transaction as the change it reports.
 */
@Entity('events')
export class PortalEvent {
  @PrimaryGeneratedColumn()
  seq: number;

  /** A UUID: stable identity for de-duplication and wake texts. */
  @Index('uq_events_id', { unique: true })
  @Column({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  /** The event's payload as JSON text. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
