import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SignedIdentity1796226626043 implements MigrationInterface {
  name = 'SignedIdentity1796226626043';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"identity_keys\" (\"id\" SERIAL NOT NULL, \"key_id\" character varying(32) NOT NULL, \"public_key\" character varying(64) NOT NULL, \"private_sealed\" character varying(300), \"slot\" character varying(16), \"source\" character varying(16) NOT NULL, \"previous_key_id\" character varying(32), \"rotation_proof\" character varying(100), \"created_at\" TIMESTAMP NOT NULL, \"retired_at\" TIMESTAMP, CONSTRAINT \"PK_90fc3cac4458dc14643621096d7\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_identity_keys_key_id\" ON \"identity_keys\"  (\"key_id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_identity_keys_slot\" ON \"identity_keys\"  (\"slot\") ");
    await queryRunner.query("CREATE TABLE \"signature_nonces\" (\"key_id\" character varying(32) NOT NULL, \"nonce\" character varying(64) NOT NULL, \"expires_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_e2cebacbd437908e777548b296d\" PRIMARY KEY (\"key_id\", \"nonce\"))");
    await queryRunner.query("CREATE INDEX \"ix_signature_nonces_expires_at\" ON \"signature_nonces\"  (\"expires_at\") ");
    await queryRunner.query("ALTER TABLE \"contact_requests\" ADD \"peer_key_id\" character varying(32)");
    await queryRunner.query("ALTER TABLE \"contact_requests\" ADD \"peer_public_key\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_key_state\" character varying(16) NOT NULL DEFAULT 'unpinned'");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_key_id\" character varying(32)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_public_key\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_key_pinned_at\" TIMESTAMP");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_key_compared_at\" TIMESTAMP");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_previous_key_id\" character varying(32)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_previous_public_key\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_previous_key_until\" TIMESTAMP");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"presented_key_id\" character varying(32)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"presented_public_key\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"peer_key_changed_at\" TIMESTAMP");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"refused_by_peer\" character varying(500)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"refused_by_peer_at\" TIMESTAMP");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"refused_by_peer_at\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"refused_by_peer\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_key_changed_at\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"presented_public_key\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"presented_key_id\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_previous_key_until\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_previous_public_key\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_previous_key_id\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_key_compared_at\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_key_pinned_at\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_public_key\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_key_id\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"peer_key_state\"");
    await queryRunner.query("ALTER TABLE \"contact_requests\" DROP COLUMN \"peer_public_key\"");
    await queryRunner.query("ALTER TABLE \"contact_requests\" DROP COLUMN \"peer_key_id\"");
    await queryRunner.query("DROP INDEX \"ix_signature_nonces_expires_at\"");
    await queryRunner.query("DROP TABLE \"signature_nonces\"");
    await queryRunner.query("DROP INDEX \"uq_identity_keys_slot\"");
    await queryRunner.query("DROP INDEX \"uq_identity_keys_key_id\"");
    await queryRunner.query("DROP TABLE \"identity_keys\"");
  }
}
