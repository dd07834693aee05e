import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Receipts: each message's stage and its time, when a not-confirmed notice falls due, and whether it was given. */
export class MessageReceipts1796190200000 implements MigrationInterface {
  name = 'MessageReceipts1796190200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "messages" ADD "stage" character varying(16) NOT NULL DEFAULT \'delivered\'');
    await queryRunner.query('ALTER TABLE "messages" ADD "stage_at" TIMESTAMP');
    await queryRunner.query('ALTER TABLE "messages" ADD "notice_due_at" TIMESTAMP');
    await queryRunner.query('ALTER TABLE "messages" ADD "unconfirmed_at" TIMESTAMP');
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
