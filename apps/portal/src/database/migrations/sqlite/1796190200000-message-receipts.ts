import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Receipts: how far each message got (queued, delivered, held, seen, answered) and when, when a
 * not-confirmed notice falls due, and whether it was given. Columns added in place (no table
 * rebuild); messages that exist already owe no notice.
 */
export class MessageReceipts1796190200000 implements MigrationInterface {
  name = 'MessageReceipts1796190200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "messages" ADD COLUMN "stage" varchar(16) NOT NULL DEFAULT (\'delivered\')');
    await queryRunner.query('ALTER TABLE "messages" ADD COLUMN "stage_at" datetime');
    await queryRunner.query('ALTER TABLE "messages" ADD COLUMN "notice_due_at" datetime');
    await queryRunner.query('ALTER TABLE "messages" ADD COLUMN "unconfirmed_at" datetime');
    await queryRunner.query(
      'UPDATE "messages" SET "stage" = CASE WHEN "direction" = \'out\' AND "status" <> \'delivered\' THEN \'queued\' ELSE \'delivered\' END, ' +
        '"stage_at" = COALESCE("delivered_at", "created_at")',
    );
    await queryRunner.query('CREATE INDEX "ix_messages_contact_direction_stage" ON "messages" ("contact_id", "direction", "stage") ');
    await queryRunner.query('CREATE INDEX "ix_messages_notice_due_at" ON "messages" ("notice_due_at") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "ix_messages_notice_due_at"');
    await queryRunner.query('DROP INDEX "ix_messages_contact_direction_stage"');
    await queryRunner.query('ALTER TABLE "messages" DROP COLUMN "unconfirmed_at"');
    await queryRunner.query('ALTER TABLE "messages" DROP COLUMN "notice_due_at"');
    await queryRunner.query('ALTER TABLE "messages" DROP COLUMN "stage_at"');
    await queryRunner.query('ALTER TABLE "messages" DROP COLUMN "stage"');
  }
}
