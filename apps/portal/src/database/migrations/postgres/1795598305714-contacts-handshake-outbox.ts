import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ContactsHandshakeOutbox1795598305714 implements MigrationInterface {
  name = 'ContactsHandshakeOutbox1795598305714';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"contact_requests\" (\"id\" SERIAL NOT NULL, \"request_id\" character varying(36) NOT NULL, \"from_portal\" character varying(2048) NOT NULL, \"agent_name\" character varying(100) NOT NULL DEFAULT '', \"owner_name\" character varying(100) NOT NULL DEFAULT '', \"message\" character varying(1000) NOT NULL DEFAULT '', \"status\" character varying(16) NOT NULL, \"verified\" boolean NOT NULL DEFAULT false, \"key_hash\" character varying(64) NOT NULL, \"key_sealed\" character varying(200), \"contact_id\" integer, \"created_at\" TIMESTAMP NOT NULL, \"updated_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_5fc5cfa569e4e66051c6acde3b9\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_contact_requests_request_id\" ON \"contact_requests\"  (\"request_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_contact_requests_from_portal\" ON \"contact_requests\"  (\"from_portal\") ");
    await queryRunner.query("CREATE TABLE \"outbox_items\" (\"seq\" SERIAL NOT NULL, \"id\" character varying(36) NOT NULL, \"kind\" character varying(32) NOT NULL, \"peer_url\" character varying(2048) NOT NULL, \"contact_id\" integer, \"ref_id\" character varying(36), \"payload\" text NOT NULL, \"status\" character varying(16) NOT NULL, \"attempts\" integer NOT NULL DEFAULT '0', \"next_attempt_at\" TIMESTAMP NOT NULL, \"last_error\" character varying(500), \"lease_until\" TIMESTAMP, \"created_at\" TIMESTAMP NOT NULL, \"updated_at\" TIMESTAMP NOT NULL, CONSTRAINT \"PK_55d0d43f3ddf218f3a9bfbbee69\" PRIMARY KEY (\"seq\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_outbox_items_id\" ON \"outbox_items\"  (\"id\") ");
    await queryRunner.query("CREATE INDEX \"ix_outbox_items_kind_ref\" ON \"outbox_items\"  (\"kind\", \"ref_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_outbox_items_peer_status_seq\" ON \"outbox_items\"  (\"peer_url\", \"status\", \"seq\") ");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"direction\" character varying(16) NOT NULL DEFAULT 'outgoing'");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"request_id\" character varying(36)");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"message\" character varying(1000) NOT NULL DEFAULT ''");
    await queryRunner.query("ALTER TABLE \"contacts\" ADD \"key_sealed\" character varying(200)");
    await queryRunner.query("CREATE INDEX \"ix_contacts_request_id\" ON \"contacts\"  (\"request_id\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"ix_contacts_request_id\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"key_sealed\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"message\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"request_id\"");
    await queryRunner.query("ALTER TABLE \"contacts\" DROP COLUMN \"direction\"");
    await queryRunner.query("DROP INDEX \"ix_outbox_items_peer_status_seq\"");
    await queryRunner.query("DROP INDEX \"ix_outbox_items_kind_ref\"");
    await queryRunner.query("DROP INDEX \"uq_outbox_items_id\"");
    await queryRunner.query("DROP TABLE \"outbox_items\"");
    await queryRunner.query("DROP INDEX \"ix_contact_requests_from_portal\"");
    await queryRunner.query("DROP INDEX \"uq_contact_requests_request_id\"");
    await queryRunner.query("DROP TABLE \"contact_requests\"");
  }
}
