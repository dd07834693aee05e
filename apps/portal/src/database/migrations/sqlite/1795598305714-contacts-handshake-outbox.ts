import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ContactsHandshakeOutbox1795598305714 implements MigrationInterface {
  name = 'ContactsHandshakeOutbox1795598305714';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"contact_requests\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"request_id\" varchar(36) NOT NULL, \"from_portal\" varchar(2048) NOT NULL, \"agent_name\" varchar(100) NOT NULL DEFAULT (''), \"owner_name\" varchar(100) NOT NULL DEFAULT (''), \"message\" varchar(1000) NOT NULL DEFAULT (''), \"status\" varchar(16) NOT NULL, \"verified\" boolean NOT NULL DEFAULT (0), \"key_hash\" varchar(64) NOT NULL, \"key_sealed\" varchar(200), \"contact_id\" integer, \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_contact_requests_request_id\" ON \"contact_requests\" (\"request_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_contact_requests_from_portal\" ON \"contact_requests\" (\"from_portal\") ");
    await queryRunner.query("CREATE TABLE \"outbox_items\" (\"seq\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"id\" varchar(36) NOT NULL, \"kind\" varchar(32) NOT NULL, \"peer_url\" varchar(2048) NOT NULL, \"contact_id\" integer, \"ref_id\" varchar(36), \"payload\" text NOT NULL, \"status\" varchar(16) NOT NULL, \"attempts\" integer NOT NULL DEFAULT (0), \"next_attempt_at\" datetime NOT NULL, \"last_error\" varchar(500), \"lease_until\" datetime, \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL)");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_items_id\" ON \"outbox_items\" (\"id\") ");
    await queryRunner.query("CREATE INDEX \"ix_outbox_items_kind_ref\" ON \"outbox_items\" (\"kind\", \"ref_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_outbox_items_peer_status_seq\" ON \"outbox_items\" (\"peer_url\", \"status\", \"seq\") ");
    await queryRunner.query("DROP INDEX \"uq_contacts_key_hash\"");
    await queryRunner.query("DROP INDEX \"ix_contacts_portal_url\"");
    await queryRunner.query("CREATE TABLE \"temporary_contacts\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"portal_url\" varchar(2048) NOT NULL, \"status\" varchar(16) NOT NULL, \"agent_name\" varchar(100) NOT NULL DEFAULT (''), \"owner_name\" varchar(100) NOT NULL DEFAULT (''), \"key_hash\" varchar(64), \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL, \"direction\" varchar(16) NOT NULL DEFAULT ('outgoing'), \"request_id\" varchar(36), \"message\" varchar(1000) NOT NULL DEFAULT (''), \"key_sealed\" varchar(200))");
    await queryRunner.query("INSERT INTO \"temporary_contacts\"(\"id\", \"portal_url\", \"status\", \"agent_name\", \"owner_name\", \"key_hash\", \"created_at\", \"updated_at\") SELECT \"id\", \"portal_url\", \"status\", \"agent_name\", \"owner_name\", \"key_hash\", \"created_at\", \"updated_at\" FROM \"contacts\"");
    await queryRunner.query("DROP TABLE \"contacts\"");
    await queryRunner.query("ALTER TABLE \"temporary_contacts\" RENAME TO \"contacts\"");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_contacts_key_hash\" ON \"contacts\" (\"key_hash\") ");
    await queryRunner.query("CREATE INDEX \"ix_contacts_portal_url\" ON \"contacts\" (\"portal_url\") ");
    await queryRunner.query("CREATE INDEX \"ix_contacts_request_id\" ON \"contacts\" (\"request_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"ix_contacts_request_id\"");
    await queryRunner.query("DROP INDEX \"ix_contacts_portal_url\"");
    await queryRunner.query("DROP INDEX \"uq_contacts_key_hash\"");
    await queryRunner.query("ALTER TABLE \"contacts\" RENAME TO \"temporary_contacts\"");
    await queryRunner.query("CREATE TABLE \"contacts\" (\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL, \"portal_url\" varchar(2048) NOT NULL, \"status\" varchar(16) NOT NULL, \"agent_name\" varchar(100) NOT NULL DEFAULT (''), \"owner_name\" varchar(100) NOT NULL DEFAULT (''), \"key_hash\" varchar(64), \"created_at\" datetime NOT NULL, \"updated_at\" datetime NOT NULL)");
    await queryRunner.query("INSERT INTO \"contacts\"(\"id\", \"portal_url\", \"status\", \"agent_name\", \"owner_name\", \"key_hash\", \"created_at\", \"updated_at\") SELECT \"id\", \"portal_url\", \"status\", \"agent_name\", \"owner_name\", \"key_hash\", \"created_at\", \"updated_at\" FROM \"temporary_contacts\"");
    await queryRunner.query("DROP TABLE \"temporary_contacts\"");
    await queryRunner.query("CREATE INDEX \"ix_contacts_portal_url\" ON \"contacts\" (\"portal_url\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_contacts_key_hash\" ON \"contacts\" (\"key_hash\") ");
    await queryRunner.query("DROP INDEX \"ix_outbox_items_peer_status_seq\"");
    await queryRunner.query("DROP INDEX \"ix_outbox_items_kind_ref\"");
    await queryRunner.query("DROP INDEX \"uq_outbox_items_id\"");
    await queryRunner.query("DROP TABLE \"outbox_items\"");
    await queryRunner.query("DROP INDEX \"ix_contact_requests_from_portal\"");
    await queryRunner.query("DROP INDEX \"uq_contact_requests_request_id\"");
    await queryRunner.query("DROP TABLE \"contact_requests\"");
  }
}
