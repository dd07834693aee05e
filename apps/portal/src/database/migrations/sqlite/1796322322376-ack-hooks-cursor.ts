import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AckHooksCursor1796322322376 implements MigrationInterface {
  name = 'AckHooksCursor1796322322376';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "owner_keys" ADD COLUMN "ack_hooks_seq" integer NOT NULL DEFAULT (0)');
    // Acks made before this migration were handed to the hooks then: they do not run again.
    await queryRunner.query('UPDATE "owner_keys" SET "ack_hooks_seq" = "acked_seq"');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "owner_keys" DROP COLUMN "ack_hooks_seq"');
  }
}
