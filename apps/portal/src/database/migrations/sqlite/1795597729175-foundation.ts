import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795597729175 implements MigrationInterface {
  name = 'Foundation1795597729175';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"console_sessions\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"token_hash\" varchar(64) NOT NULL, \"created_at\" datetime NOT NULL, \"expires_at\" datetime NOT NULL, \"user_agent\" varchar(200) NOT NULL DEFAULT (''))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_console_sessions_token_hash\" ON \"console_sessions\" (\"token_hash\") ");
    await queryRunner.query("CREATE TABLE \"owner_keys\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"name\" varchar(100) NOT NULL, \"key_prefix\" varchar(16) NOT NULL, \"key_hash\" varchar(64) NOT NULL, \"acked_seq\" integer NOT NULL DEFAULT (0), \"created_at\" datetime NOT NULL, \"last_used_at\" datetime, \"revoked_at\" datetime)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_owner_keys_key_hash\" ON \"owner_keys\" (\"key_hash\") ");
    await queryRunner.query("CREATE TABLE \"settings\" (\"key\" varchar(64) PRIMARY KEY NOT NULL, \"value\" text NOT NULL, \"updated_at\" datetime NOT NULL)");
    await queryRunner.query("CREATE TABLE \"contacts\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"portal_url\" varchar(2048) NOT NULL, \"status\" varchar(16) NOT NULL, \"agent_name\" varchar(100) NOT NULL DEFAULT (''), \"owner_name\" varchar(100) NOT NULL DEFAULT (''), \"key_hash\" varchar(64), \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL)");
    await queryRunner.query("CREATE INDEX \"ix_contacts_portal_url\" ON \"contacts\" (\"portal_url\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_contacts_key_hash\" ON \"contacts\" (\"key_hash\") ");
    await queryRunner.query("CREATE TABLE \"profile\" (\"id\" integer PRIMARY KEY NOT NULL, \"agent_name\" varchar(100) NOT NULL, \"owner_name\" varchar(100) NOT NULL DEFAULT (''), \"avatar_text\" varchar(8) NOT NULL DEFAULT (''), \"bio\" varchar(1000) NOT NULL DEFAULT (''), \"updated_at\" datetime NOT NULL)");
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
