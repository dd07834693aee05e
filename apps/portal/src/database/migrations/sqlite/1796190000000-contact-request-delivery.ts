import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The delivery state of our outgoing contact requests (nullable columns and one with a default: added in place). */
export class ContactRequestDelivery1796190000000 implements MigrationInterface {
  name = 'ContactRequestDelivery1796190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "request_state" varchar(16)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "request_attempts" integer NOT NULL DEFAULT (0)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "request_error" varchar(500)');
    await queryRunner.query('ALTER TABLE "contacts" ADD COLUMN "request_state_at" datetime');
    // Requests still waiting were at least being sent; what happened to older ones is not known.
    await queryRunner.query(`UPDATE "contacts" SET "request_state" = 'sending' WHERE "status" = 'pending' AND "direction" = 'outgoing'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "request_state_at"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "request_error"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "request_attempts"');
    await queryRunner.query('ALTER TABLE "contacts" DROP COLUMN "request_state"');
  }
}
