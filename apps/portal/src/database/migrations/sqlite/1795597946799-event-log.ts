import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EventLog1795597946799 implements MigrationInterface {
  name = 'EventLog1795597946799';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"events\" (\"seq\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"id\" varchar(36) NOT NULL, \"type\" varchar(64) NOT NULL, \"payload\" text NOT NULL, \"created_at\" datetime NOT NULL)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_events_id\" ON \"events\" (\"id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"uq_events_id\"");
    await queryRunner.query("DROP TABLE \"events\"");
  }
}
