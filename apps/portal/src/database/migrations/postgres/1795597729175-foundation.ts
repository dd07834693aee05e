import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795597729175 implements MigrationInterface {
  name = 'Foundation1795597729175';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"console_sessions\" (\"id\" character varying(36) NOT NULL, \"token_hash\" character varying(64) NOT NULL, \"created_at\" TIMESTAMP NOT NULL, \"expires_at\" TIMESTAMP NOT NULL, \"user_agent\" character varying(200) NOT NULL DEFAULT '', CONSTRAINT \"PK_15fe3f1740801e7a0581dea8d49\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_console_sessions_token_hash\" ON \"console_sessions\"  (\"token_hash\") ");
    await queryRunner.query("CREATE TABLE \"owner_keys\" (\"id\" character varying(36) NOT NULL, \"name\" character varying(100) NOT NULL, \"key_prefix\" character varying(16) NOT NULL, \"key_hash\" character varying(64) NOT NULL, \"acked_seq\" integer NOT NULL DEFAULT '0', \"created_at\" TIMESTAMP NOT NULL, \"last_used_at\" TIMESTAMP, \"revoked_at\" TIMESTAMP, CONSTRAINT \"PK_5a60a9ac55d196258c4f8edfc87\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_owner_keys_key_hash\" ON \"owner_keys\"  (\"key_hash\") ");
    await queryRunner.query("CREATE TABLE \"settings\" (\"key\" character varying(64) NOT NULL, \"value\" text NOT NULL, \"updated_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_c8639b7626fa94ba8265628f214\" PRIMARY KEY (\"key\"))");
    await queryRunner.query("CREATE TABLE \"contacts\" (\"id\" SERIAL NOT NULL, \"portal_url\" character varying(2048) NOT NULL, \"status\" character varying(16) NOT NULL, \"agent_name\" character varying(100) NOT NULL DEFAULT '', \"owner_name\" character varying(100) NOT NULL DEFAULT '', \"key_hash\" character varying(64), \"created_at\" TIMESTAMP NOT NULL, \"updated_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_b99cd40cfd66a99f1571f4f72e6\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_contacts_portal_url\" ON \"contacts\"  (\"portal_url\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_contacts_key_hash\" ON \"contacts\"  (\"key_hash\") ");
    await queryRunner.query("CREATE TABLE \"profile\" (\"id\" integer NOT NULL, \"agent_name\" character varying(100) NOT NULL, \"owner_name\" character varying(100) NOT NULL DEFAULT '', \"avatar_text\" character varying(8) NOT NULL DEFAULT '', \"bio\" character varying(1000) NOT NULL DEFAULT '', \"updated_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_3dd8bfc97e4a77c70971591bdcb\" PRIMARY KEY (\"id\"))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"profile\"");
    await queryRunner.query("DROP INDEX \"uq_contacts_key_hash\"");
    await queryRunner.query("DROP INDEX \"ix_contacts_portal_url\"");
    await queryRunner.query("DROP TABLE \"contacts\"");
    await queryRunner.query("DROP TABLE \"settings\"");
    await queryRunner.query("DROP INDEX \"uq_owner_keys_key_hash\"");
    await queryRunner.query("DROP TABLE \"owner_keys\"");
    await queryRunner.query("DROP INDEX \"uq_console_sessions_token_hash\"");
    await queryRunner.query("DROP TABLE \"console_sessions\"");
  }
}
