import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Parked outbox items (the peer has no room): when and why, and the index the park cadence reads by. */
export class OutboxParking1796190100000 implements MigrationInterface {
  name = 'OutboxParking1796190100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "outbox_items" ADD COLUMN "parked_at" datetime');
    await queryRunner.query('ALTER TABLE "outbox_items" ADD COLUMN "parked_reason" varchar(32)');
    await queryRunner.query('CREATE INDEX "ix_outbox_items_status_next" ON "outbox_items" ("status", "next_attempt_at") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "ix_outbox_items_status_next"');
    await queryRunner.query('ALTER TABLE "outbox_items" DROP COLUMN "parked_reason"');
    await queryRunner.query('ALTER TABLE "outbox_items" DROP COLUMN "parked_at"');
  }
}
