import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The delivery state of our outgoing contact requests. */
export class ContactRequestDelivery1796190000000 implements MigrationInterface {
  name = 'ContactRequestDelivery1796190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "contacts" ADD "request_state" character varying(16)');
    await queryRunner.query('ALTER TABLE "contacts" ADD "request_attempts" integer NOT NULL DEFAULT \'0\'');
    await queryRunner.query('ALTER TABLE "contacts" ADD "request_error" character varying(500)');
    await queryRunner.query('ALTER TABLE "contacts" ADD "request_state_at" TIMESTAMP');
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
