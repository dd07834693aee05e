import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Messages1795598421688 implements MigrationInterface {
  name = 'Messages1795598421688';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"messages\" (\"seq\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"id\" varchar(36) NOT NULL, \"contact_id\" integer NOT NULL, \"direction\" varchar(3) NOT NULL, \"remote_id\" varchar(36), \"content\" text NOT NULL, \"status\" varchar(16) NOT NULL, \"sent_at\" datetime NOT NULL, \"created_at\" datetime NOT NULL, \"delivered_at\" datetime)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_messages_id\" ON \"messages\" (\"id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_messages_contact_remote_id\" ON \"messages\" (\"contact_id\", \"remote_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_messages_contact_seq\" ON \"messages\" (\"contact_id\", \"seq\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"ix_messages_contact_seq\"");
    await queryRunner.query("DROP INDEX \"uq_messages_contact_remote_id\"");
    await queryRunner.query("DROP INDEX \"uq_messages_id\"");
    await queryRunner.query("DROP TABLE \"messages\"");
  }
}
