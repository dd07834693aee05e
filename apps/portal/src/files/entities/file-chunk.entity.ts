import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A chunk whose bytes are on disk and matched their SHA-256. */
@Entity('file_chunks')
export class FileChunk {
  @PrimaryColumn({ name: 'file_id', type: 'varchar', length: 36 })
  fileId: string;

  @PrimaryColumn({ name: 'chunk_index', type: 'integer' })
  chunkIndex: number;

  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  @Column({ type: 'integer' })
  size: number;
}
