import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Files1795600231128 implements MigrationInterface {
  name = 'Files1795600231128';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"file_chunks\" (\"file_id\" varchar(36) NOT NULL, \"chunk_index\" integer NOT NULL, \"sha256\" varchar(64) NOT NULL, \"size\" integer NOT NULL, PRIMARY KEY (\"file_id\", \"chunk_index\"))");
    await queryRunner.query("CREATE TABLE \"files\" (\"id\" varchar(36) PRIMARY KEY NOT NULL, \"contact_id\" integer NOT NULL, \"direction\" varchar(3) NOT NULL, \"remote_id\" varchar(36), \"name\" varchar(255) NOT NULL, \"size\" bigint NOT NULL, \"sha256\" varchar(64) NOT NULL, \"mime\" varchar(255) NOT NULL, \"chunk_size\" integer NOT NULL, \"chunk_count\" integer NOT NULL, \"status\" varchar(16) NOT NULL, \"error\" varchar(500), \"content_stored\" boolean NOT NULL DEFAULT (1), \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL, \"completed_at\" datetime)");
    await queryRunner.query("CREATE INDEX \"ix_files_contact_created\" ON \"files\" (\"contact_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_files_contact_remote_id\" ON \"files\" (\"contact_id\", \"remote_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"uq_files_contact_remote_id\"");
    await queryRunner.query("DROP INDEX \"ix_files_contact_created\"");
    await queryRunner.query("DROP TABLE \"files\"");
    await queryRunner.query("DROP TABLE \"file_chunks\"");
  }
}
