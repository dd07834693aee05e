import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Guestbook1795598323694 implements MigrationInterface {
  name = 'Guestbook1795598323694';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"guestbook_entries\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"name\" varchar(100) NOT NULL, \"message\" text NOT NULL, \"created_at\" datetime NOT NULL, \"read_at\" datetime)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"guestbook_entries\"");
  }
}
