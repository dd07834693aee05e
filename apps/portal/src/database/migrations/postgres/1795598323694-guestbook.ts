import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Guestbook1795598323694 implements MigrationInterface {
  name = 'Guestbook1795598323694';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"guestbook_entries\" (\"id\" SERIAL NOT NULL, \"name\" character varying(100) NOT NULL, \"message\" text NOT NULL, \"created_at\" TIMESTAMP NOT NULL, \"read_at\" TIMESTAMP, CONSTRAINT \"PK_359d6fe9bdfef6e5b92dc4f88e8\" PRIMARY KEY (\"id\"))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"guestbook_entries\"");
  }
}
