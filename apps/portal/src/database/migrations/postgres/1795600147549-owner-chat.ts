import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OwnerChat1795600147549 implements MigrationInterface {
  name = 'OwnerChat1795600147549';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"owner_chat_messages\" (\"seq\" SERIAL NOT NULL, \"id\" character varying(36) NOT NULL, \"role\" character varying(8) NOT NULL, \"content\" text NOT NULL, \"created_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_b09059d2be23539a0f3221fc0c0\" PRIMARY KEY (\"seq\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_owner_chat_messages_id\" ON \"owner_chat_messages\"  (\"id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"uq_owner_chat_messages_id\"");
    await queryRunner.query("DROP TABLE \"owner_chat_messages\"");
  }
}
