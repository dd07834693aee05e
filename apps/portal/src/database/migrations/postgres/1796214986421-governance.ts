import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Governance: the agent's inbox (what waits for a wake), the wakes the budget counts, each contact's autonomy tier. */
export class Governance1796214986421 implements MigrationInterface {
  name = 'Governance1796214986421';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"agent_wakes\" (\"id\" SERIAL NOT NULL, \"contact_id\" integer NOT NULL, \"mode\" character varying(8) NOT NULL, \"reason\" character varying(16) NOT NULL, \"message_count\" integer NOT NULL, \"created_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_d63f1c9558c76ce2a03cd2f5891\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_agent_wakes_contact_created\" ON \"agent_wakes\"  (\"contact_id\", \"created_at\") ");
    await queryRunner.query("CREATE TABLE \"agent_inbox\" (\"id\" SERIAL NOT NULL, \"contact_id\" integer NOT NULL, \"kind\" character varying(16) NOT NULL, \"ref_id\" character varying(36) NOT NULL, \"preview\" text NOT NULL, \"preview_cut\" boolean NOT NULL DEFAULT false, \"sent_at\" TIMESTAMP NOT NULL, \"created_at\" TIMESTAMP NOT NULL, \"state\" character varying(16) NOT NULL, \"reason\" character varying(32), \"wake_id\" integer, \"decided_at\" TIMESTAMP, CONSTRAINT \"PK_24bf5c53c4bfbffad370bd010ce\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_agent_inbox_ref\" ON \"agent_inbox\"  (\"kind\", \"ref_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_agent_inbox_state_contact\" ON \"agent_inbox\"  (\"state\", \"contact_id\", \"id\") ");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"autonomy\" character varying(16) NOT NULL DEFAULT 'bounded'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"autonomy\"");
    await queryRunner.query("DROP INDEX \"ix_agent_inbox_state_contact\"");
    await queryRunner.query("DROP INDEX \"uq_agent_inbox_ref\"");
    await queryRunner.query("DROP TABLE \"agent_inbox\"");
    await queryRunner.query("DROP INDEX \"ix_agent_wakes_contact_created\"");
    await queryRunner.query("DROP TABLE \"agent_wakes\"");
  }
}
