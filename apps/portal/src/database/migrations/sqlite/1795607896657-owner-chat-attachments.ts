import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Local files (no contact) for owner-chat attachments; the attachments of owner-chat messages. */
export class OwnerChatAttachments1795607896657 implements MigrationInterface {
  name = 'OwnerChatAttachments1795607896657';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"uq_owner_chat_messages_id\"");
    await queryRunner.query("CREATE TABLE \"temporary_owner_chat_messages\" (\"seq\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"id\" varchar(36) NOT NULL, \"role\" varchar(8) NOT NULL, \"content\" text NOT NULL, \"created_at\" datetime NOT NULL, \"attachments\" text)");
    await queryRunner.query("INSERT INTO \"temporary_owner_chat_messages\"(\"seq\", \"id\", \"role\", \"content\", \"created_at\") SELECT \"seq\", \"id\", \"role\", \"content\", \"created_at\" FROM \"owner_chat_messages\"");
    await queryRunner.query("DROP TABLE \"owner_chat_messages\"");
    await queryRunner.query("ALTER TABLE \"temporary_owner_chat_messages\" RENAME TO \"owner_chat_messages\"");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_owner_chat_messages_id\" ON \"owner_chat_messages\" (\"id\") ");
    await queryRunner.query("DROP INDEX \"uq_files_contact_remote_id\"");
    await queryRunner.query("DROP INDEX \"ix_files_contact_created\"");
    await queryRunner.query("CREATE TABLE \"temporary_files\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"contact_id\" integer, \"direction\" varchar(5) NOT NULL, \"remote_id\" varchar(36), \"name\" varchar(255) NOT NULL, \"size\" bigint NOT NULL, \"sha256\" varchar(64) NOT NULL, \"mime\" varchar(255) NOT NULL, \"chunk_size\" integer NOT NULL, \"chunk_count\" integer NOT NULL, \"status\" varchar(16) NOT NULL, \"error\" varchar(500), \"content_stored\" boolean NOT NULL DEFAULT (1), \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL, \"completed_at\" datetime)");
    await queryRunner.query("INSERT INTO \"temporary_files\"(\"id\", \"contact_id\", \"direction\", \"remote_id\", \"name\", \"size\", \"sha256\", \"mime\", \"chunk_size\", \"chunk_count\", \"status\", \"error\", \"content_stored\", \"created_at\", \"updated_at\", \"completed_at\") SELECT \"id\", \"contact_id\", \"direction\", \"remote_id\", \"name\", \"size\", \"sha256\", \"mime\", \"chunk_size\", \"chunk_count\", \"status\", \"error\", \"content_stored\", \"created_at\", \"updated_at\", \"completed_at\" FROM \"files\"");
    await queryRunner.query("DROP TABLE \"files\"");
    await queryRunner.query("ALTER TABLE \"temporary_files\" RENAME TO \"files\"");
    await queryRunner.query("CREATE INDEX \"ix_files_contact_created\" ON \"files\" (\"contact_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_files_contact_remote_id\" ON \"files\" (\"contact_id\", \"remote_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DELETE FROM \"files\" WHERE \"contact_id\" IS NULL");
    await queryRunner.query("DROP INDEX \"uq_files_contact_remote_id\"");
    await queryRunner.query("DROP INDEX \"ix_files_contact_created\"");
    await queryRunner.query("ALTER TABLE \"files\" RENAME TO \"temporary_files\"");
    await queryRunner.query("CREATE TABLE \"files\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"contact_id\" integer NOT NULL, \"direction\" varchar(3) NOT NULL, \"remote_id\" varchar(36), \"name\" varchar(255) NOT NULL, \"size\" bigint NOT NULL, \"sha256\" varchar(64) NOT NULL, \"mime\" varchar(255) NOT NULL, \"chunk_size\" integer NOT NULL, \"chunk_count\" integer NOT NULL, \"status\" varchar(16) NOT NULL, \"error\" varchar(500), \"content_stored\" boolean NOT NULL DEFAULT (1), \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL, \"completed_at\" datetime)");
    await queryRunner.query("INSERT INTO \"files\"(\"id\", \"contact_id\", \"direction\", \"remote_id\", \"name\", \"size\", \"sha256\", \"mime\", \"chunk_size\", \"chunk_count\", \"status\", \"error\", \"content_stored\", \"created_at\", \"updated_at\", \"completed_at\") SELECT \"id\", \"contact_id\", \"direction\", \"remote_id\", \"name\", \"size\", \"sha256\", \"mime\", \"chunk_size\", \"chunk_count\", \"status\", \"error\", \"content_stored\", \"created_at\", \"updated_at\", \"completed_at\" FROM \"temporary_files\"");
    await queryRunner.query("DROP TABLE \"temporary_files\"");
    await queryRunner.query("CREATE INDEX \"ix_files_contact_created\" ON \"files\" (\"contact_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_files_contact_remote_id\" ON \"files\" (\"contact_id\", \"remote_id\") ");
    await queryRunner.query("DROP INDEX \"uq_owner_chat_messages_id\"");
    await queryRunner.query("ALTER TABLE \"owner_chat_messages\" RENAME TO \"temporary_owner_chat_messages\"");
    await queryRunner.query("CREATE TABLE \"owner_chat_messages\" (\"seq\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"id\" varchar(36) NOT NULL, \"role\" varchar(8) NOT NULL, \"content\" text NOT NULL, \"created_at\" datetime NOT NULL)");
    await queryRunner.query("INSERT INTO \"owner_chat_messages\"(\"seq\", \"id\", \"role\", \"content\", \"created_at\") SELECT \"seq\", \"id\", \"role\", \"content\", \"created_at\" FROM \"temporary_owner_chat_messages\"");
    await queryRunner.query("DROP TABLE \"temporary_owner_chat_messages\"");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_owner_chat_messages_id\" ON \"owner_chat_messages\" (\"id\") ");
  }
}
