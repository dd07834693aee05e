import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EventLog1795597946799 implements MigrationInterface {
  name = 'EventLog1795597946799';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"events\" (\"seq\" SERIAL NOT NULL, \"id\" character varying(36) NOT NULL, \"type\" character varying(64) NOT NULL, \"payload\" text NOT NULL, \"created_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_44840d7c5944a3bfbf21a6113d8\" PRIMARY KEY (\"seq\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_events_id\" ON \"events\"  (\"id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"uq_events_id\"");
    await queryRunner.query("DROP TABLE \"events\"");
  }
}
