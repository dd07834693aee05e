import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** out: to a contact; in: from a contact; local: kept on this Portal (an owner-chat attachment), never sent. */
export type FileDirection = 'out' | 'in' | 'local';
/**
 * out: uploading → sending → delivered | failed (the relay to the contact already runs while
 * uploading; sending means every chunk is here and the whole file verified).
 * in: receiving → received | failed.
 * local: uploading → stored | failed.
 */
export type FileStatus = 'uploading' | 'sending' | 'delivered' | 'receiving' | 'received' | 'stored' | 'failed';

/** Byte counts beyond 2^31 read back as numbers on both dialects (PostgreSQL returns bigint as text). */
const bigintAsNumber = {
  to: (value: number) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * One file between the agent and a contact, or kept on this Portal for the owner chat. The bytes live on disk under
 * `<dataDir>/files/<id>/<index>.chunk` (by id, never by the sender's name), never in the database.
 */
@Entity('files')
@Index('uq_files_contact_remote_id', ['contactId', 'remoteId'], { unique: true })
@Index('ix_files_contact_created', ['contactId', 'createdAt'])
export class FileTransfer {
  /** Local id (for outgoing files, the one the uploader chose). */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** Null for a local file (no contact). */
  @Column({ name: 'contact_id', type: 'integer', nullable: true })
  contactId: number | null;

  @Column({ type: 'varchar', length: 5 })
  direction: FileDirection;

  /** Incoming files: the sender's id, which makes redelivery harmless. */
  @Column({ name: 'remote_id', type: 'varchar', length: 36, nullable: true })
  remoteId: string | null;

  /** Sanitised display name (no separators, no control characters). */
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  size: number;

  /** SHA-256 of the whole file, lowercase hex. */
  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  @Column({ type: 'varchar', length: 255 })
  mime: string;

  @Column({ name: 'chunk_size', type: 'integer' })
  chunkSize: number;

  @Column({ name: 'chunk_count', type: 'integer' })
  chunkCount: number;

  @Column({ type: 'varchar', length: 16 })
  status: FileStatus;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error: string | null;

  /** False once the bytes were removed (retention, expiry, failure). */
  @Column({ name: 'content_stored', type: 'boolean', default: true })
  contentStored: boolean;

  @Column({ name: 'created_at' })
  createdAt: Date;

  /** Last progress (a chunk stored, a state change): expiry counts from here. */
  @Column({ name: 'updated_at' })
  updatedAt: Date;

  /** Delivered (out), received and verified (in), or stored and verified (local). */
  @Column({ name: 'completed_at', type: Date, nullable: true })
  completedAt: Date | null;
}
