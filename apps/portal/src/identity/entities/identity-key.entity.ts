import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * This Portal's Ed25519 identity keys: the current one (slot 'current', exactly one) and the ones it
 * rotated away from (slot null), kept public so the rotation chain can be published, with the
 * private half only while a rotation notice signed by it may still be sent.
 */
@Entity('identity_keys')
export class IdentityKey {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('uq_identity_keys_key_id', { unique: true })
  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId: string;

  /** The raw 32-byte public key, base64url. */
  @Column({ name: 'public_key', type: 'varchar', length: 64 })
  publicKey: string;

  /** PKCS#8 private key sealed with the Portal's secret key; null for a key given by PORTAL_IDENTITY_KEY, or once wiped. */
  @Column({ name: 'private_sealed', type: 'varchar', length: 300, nullable: true })
  privateSealed: string | null;

  /** 'current' for the key in use (a unique column: one at a time), null for retired keys. */
  @Index('uq_identity_keys_slot', { unique: true })
  @Column({ type: 'varchar', length: 16, nullable: true })
  slot: 'current' | null;

  /** generated: made by this Portal; configured: given by PORTAL_IDENTITY_KEY. */
  @Column({ type: 'varchar', length: 16 })
  source: 'generated' | 'configured';

  /** The key this one replaced by a rotation, and that key's signature of the rotation statement. */
  @Column({ name: 'previous_key_id', type: 'varchar', length: 32, nullable: true })
  previousKeyId: string | null;

  @Column({ name: 'rotation_proof', type: 'varchar', length: 100, nullable: true })
  rotationProof: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'retired_at', nullable: true, type: Date })
  retiredAt: Date | null;
}
