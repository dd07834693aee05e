import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Nonces of signed calls already accepted, per signing key, until their signature expires (replays are refused). */
@Entity('signature_nonces')
export class SignatureNonce {
  @PrimaryColumn({ name: 'key_id', type: 'varchar', length: 32 })
  keyId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  nonce: string;

  @Index('ix_signature_nonces_expires_at')
  @Column({ name: 'expires_at' })
  expiresAt: Date;
}
