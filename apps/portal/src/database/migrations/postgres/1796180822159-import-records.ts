import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The importer's record of rows brought in from a v0.9.x database (idempotent imports). */
export class ImportRecords1796180822159 implements MigrationInterface {
  name = 'ImportRecords1796180822159';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"import_records\" (\"source_key\" character varying(64) NOT NULL, \"kind\" character varying(16) NOT NULL, \"target_id\" character varying(36) NOT NULL, \"imported_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_03a1954012bb7afec6343f0fd4e\" PRIMARY KEY (\"source_key\"))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"import_records\"");
  }
}
