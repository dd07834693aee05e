import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The importer's record of rows brought in from a v0.9.x database (idempotent imports). */
export class ImportRecords1796180822159 implements MigrationInterface {
  name = 'ImportRecords1796180822159';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"import_records\" (\"source_key\" varchar(64) PRIMARY KEY NOT NULL, \"kind\" varchar(16) NOT NULL, \"target_id\" varchar(36) NOT NULL, \"imported_at\" datetime NOT NULL)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"import_records\"");
  }
}
