import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A console login. The cookie carries a random token; only its SHA-256 is kept. */
@Entity('console_sessions')
export class ConsoleSession {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index('uq_console_sessions_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'expires_at' })
  expiresAt: Date;

  @Column({ name: 'user_agent', type: 'varchar', length: 200, default: '' })
  userAgent: string;
}
