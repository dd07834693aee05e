import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row brought in from another database (the v0.9.x importer), so that importing the same file
 * again changes nothing — even for rows the owner has deleted since.
 */
@Entity('import_records')
export class ImportRecord {
  /** SHA-256 (hex) of the source's identity, the kind and the row's id in the source. */
  @PrimaryColumn({ name: 'source_key', type: 'varchar', length: 64 })
  sourceKey: string;

  /** contact, message, owner_chat, guestbook, file. */
  @Column({ type: 'varchar', length: 16 })
  kind: string;

  /** The id of the row it became here (a contact id, a message id, …). */
  @Column({ name: 'target_id', type: 'varchar', length: 36 })
  targetId: string;

  @Column({ name: 'imported_at' })
  importedAt: Date;
}
