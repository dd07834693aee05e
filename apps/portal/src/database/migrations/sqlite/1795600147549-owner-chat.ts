import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OwnerChat1795600147549 implements MigrationInterface {
  name = 'OwnerChat1795600147549';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"owner_chat_messages\" (\"seq\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"id\" varchar(36) NOT NULL, \"role\" varchar(8) NOT NULL, \"content\" text NOT NULL, \"created_at\" datetime NOT NULL)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_owner_chat_messages_id\" ON \"owner_chat_messages\" (\"id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"uq_owner_chat_messages_id\"");
    await queryRunner.query("DROP TABLE \"owner_chat_messages\"");
  }
}
