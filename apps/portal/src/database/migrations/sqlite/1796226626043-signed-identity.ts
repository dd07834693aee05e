import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SignedIdentity1796226626043 implements MigrationInterface {
  name = 'SignedIdentity1796226626043';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"identity_keys\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"key_id\" varchar(32) NOT NULL, \"public_key\" varchar(64) NOT NULL, \"private_sealed\" varchar(300), \"slot\" varchar(16), \"source\" varchar(16) NOT NULL, \"previous_key_id\" varchar(32), \"rotation_proof\" varchar(100), \"created_at\" datetime NOT NULL, \"retired_at\" datetime)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_identity_keys_key_id\" ON \"identity_keys\" (\"key_id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_identity_keys_slot\" ON \"identity_keys\" (\"slot\") ");
    await queryRunner.query("CREATE TABLE \"signature_nonces\" (\"key_id\" varchar(32) NOT NULL, \"nonce\" varchar(64) NOT NULL, \"expires_at\" datetime NOT NULL, PRIMARY KEY (\"key_id\", \"nonce\"))");
    await queryRunner.query("CREATE INDEX \"ix_signature_nonces_expires_at\" ON \"signature_nonces\" (\"expires_at\") ");
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_key_state" varchar(16) NOT NULL DEFAULT (\'unpinned\')');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_key_id" varchar(32)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_public_key" varchar(64)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_key_pinned_at" datetime');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_key_compared_at" datetime');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_previous_key_id" varchar(32)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_previous_public_key" varchar(64)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_previous_key_until" datetime');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "presented_key_id" varchar(32)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "presented_public_key" varchar(64)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "peer_key_changed_at" datetime');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "refused_by_peer" varchar(500)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "refused_by_peer_at" datetime');
    await queryRunner.query('ALTER TABLE "contact_requests" ADD COLUMN "peer_key_id" varchar(32)');
    await queryRunner.query('ALTER TABLE "contact_requests" ADD COLUMN "peer_public_key" varchar(64)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "contact_requests" DROP COLUMN "peer_public_key"');
    await queryRunner.query('ALTER TABLE "contact_requests" DROP COLUMN "peer_key_id"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "refused_by_peer_at"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "refused_by_peer"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_key_changed_at"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "presented_public_key"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "presented_key_id"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_previous_key_until"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_previous_public_key"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_previous_key_id"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_key_compared_at"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_key_pinned_at"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_public_key"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_key_id"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "peer_key_state"');
    await queryRunner.query('DROP INDEX "ix_signature_nonces_expires_at"');
    await queryRunner.query('DROP TABLE "signature_nonces"');
    await queryRunner.query('DROP INDEX "uq_identity_keys_slot"');
    await queryRunner.query('DROP INDEX "uq_identity_keys_key_id"');
    await queryRunner.query('DROP TABLE "identity_keys"');
  }
}
