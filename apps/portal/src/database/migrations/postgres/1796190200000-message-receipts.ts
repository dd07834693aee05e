import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Receipts: each message's stage and its time, and whether the sender's agent was told it is not confirmed yet. */
export class MessageReceipts1796190200000 implements MigrationInterface {
  name = 'MessageReceipts1796190200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "messages" ADD "stage" character varying(16) NOT NULL DEFAULT \'delivered\'');
    await queryRunner.query('ALTER TABLE "messages" ADD "stage_at" TIMESTAMP');
    await queryRunner.query('ALTER TABLE "messages" ADD "unconfirmed_at" TIMESTAMP');
    await queryRunner.query(
      'UPDATE "messages" SET "stage" = CASE WHEN "direction" = \'out\' AND "status" <> \'delivered\' THEN \'queued\' ELSE \'delivered\' END, ' +
        '"stage_at" = COALESCE("delivered_at", "created_at"), "unconfirmed_at" = CASE WHEN "direction" = \'in\' OR "status" = \'delivered\' THEN COALESCE("delivered_at", "created_at") END',
    );
    await queryRunner.query('CREATE INDEX "ix_messages_stage_delivered" ON "messages" ("stage", "delivered_at") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "ix_messages_stage_delivered"');
    await queryRunner.query('ALTER TABLE "messages" DROP COLUMN "unconfirmed_at"');
    await queryRunner.query('ALTER TABLE "messages" DROP COLUMN "stage_at"');
    await queryRunner.query('ALTER TABLE "messages" DROP COLUMN "stage"');
  }
}
