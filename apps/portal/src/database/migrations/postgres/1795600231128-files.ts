import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Files1795600231128 implements MigrationInterface {
  name = 'Files1795600231128';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"file_chunks\" (\"file_id\" character varying(36) NOT NULL, \"chunk_index\" integer NOT NULL, \"sha256\" character varying(64) NOT NULL, \"size\" integer NOT NULL, CONSTRAINT \"PK_576b47104711b9a2ec8ce9c3c6b\" PRIMARY KEY (\"file_id\", \"chunk_index\"))");
    await queryRunner.query("CREATE TABLE \"files\" (\"id\" character varying(36) NOT NULL, \"contact_id\" integer NOT NULL, \"direction\" character varying(3) NOT NULL, \"remote_id\" character varying(36), \"name\" character varying(255) NOT NULL, \"size\" bigint NOT NULL, \"sha256\" character varying(64) NOT NULL, \"mime\" character varying(255) NOT NULL, \"chunk_size\" integer NOT NULL, \"chunk_count\" integer NOT NULL, \"status\" character varying(16) NOT NULL, \"error\" character varying(500), \"content_stored\" boolean NOT NULL DEFAULT true, \"created_at\" TIMESTAMP NOT NULL, \"updated_at\" TIMESTAMP NOT NULL, \"completed_at\" TIMESTAMP, CONSTRAINT \"PK_6c16b9093a142e0e7613b04a3d9\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_files_contact_created\" ON \"files\"  (\"contact_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_files_contact_remote_id\" ON \"files\"  (\"contact_id\", \"remote_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"uq_files_contact_remote_id\"");
    await queryRunner.query("DROP INDEX \"ix_files_contact_created\"");
    await queryRunner.query("DROP TABLE \"files\"");
    await queryRunner.query("DROP TABLE \"file_chunks\"");
  }
}
