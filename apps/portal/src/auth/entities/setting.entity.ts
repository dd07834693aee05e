import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Small named values the Portal keeps (console password hash, first-start marker). */
@Entity('settings')
export class Setting {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key: string;

  @Column({ type: 'text' })
  value: string;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
