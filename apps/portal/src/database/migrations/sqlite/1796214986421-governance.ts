import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Governance: the agent's inbox (what waits for a wake), the wakes the budget counts, each contact's autonomy tier. */
export class Governance1796214986421 implements MigrationInterface {
  name = 'Governance1796214986421';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"agent_wakes\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"contact_id\" integer NOT NULL, \"mode\" varchar(8) NOT NULL, \"reason\" varchar(16) NOT NULL, \"message_count\" integer NOT NULL, \"created_at\" datetime NOT NULL)");
    await queryRunner.query("CREATE INDEX \"ix_agent_wakes_contact_created\" ON \"agent_wakes\" (\"contact_id\", \"created_at\") ");
    await queryRunner.query("CREATE TABLE \"agent_inbox\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"contact_id\" integer NOT NULL, \"kind\" varchar(16) NOT NULL, \"ref_id\" varchar(36) NOT NULL, \"preview\" text NOT NULL, \"preview_cut\" boolean NOT NULL DEFAULT (0), \"sent_at\" datetime NOT NULL, \"created_at\" datetime NOT NULL, \"state\" varchar(16) NOT NULL, \"reason\" varchar(32), \"wake_id\" integer, \"decided_at\" datetime)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_agent_inbox_ref\" ON \"agent_inbox\" (\"kind\", \"ref_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_agent_inbox_state_contact\" ON \"agent_inbox\" (\"state\", \"contact_id\", \"id\") ");
    // Added in place (no table rebuild): existing contacts get the default tier.
    await queryRunner.query("ALTER TABLE \"contacts\" ADD COLUMN \"autonomy\" varchar(16) NOT NULL DEFAULT ('bounded')");
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
