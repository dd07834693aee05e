import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Messages1795598421688 implements MigrationInterface {
  name = 'Messages1795598421688';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"messages\" (\"seq\" SERIAL NOT NULL, \"id\" character varying(36) NOT NULL, \"contact_id\" integer NOT NULL, \"direction\" character varying(3) NOT NULL, \"remote_id\" character varying(36), \"content\" text NOT NULL, \"status\" character varying(16) NOT NULL, \"sent_at\" TIMESTAMP NOT NULL, \"created_at\" TIMESTAMP NOT NULL, \"delivered_at\" TIMESTAMP, CONSTRAINT \"PK_c4378a3eb6c431f6eca96e4c0dd\" PRIMARY KEY (\"seq\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_messages_id\" ON \"messages\"  (\"id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_messages_contact_remote_id\" ON \"messages\"  (\"contact_id\", \"remote_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_messages_contact_seq\" ON \"messages\"  (\"contact_id\", \"seq\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"ix_messages_contact_seq\"");
    await queryRunner.query("DROP INDEX \"uq_messages_contact_remote_id\"");
    await queryRunner.query("DROP INDEX \"uq_messages_id\"");
    await queryRunner.query("DROP TABLE \"messages\"");
  }
}
