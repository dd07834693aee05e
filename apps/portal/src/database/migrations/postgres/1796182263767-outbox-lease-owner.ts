import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OutboxLeaseOwner1796182263767 implements MigrationInterface {
  name = 'OutboxLeaseOwner1796182263767';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"outbox_items\" ADD \"lease_owner\" character varying(64)");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"outbox_items\" DROP COLUMN \"lease_owner\"");
  }
}
