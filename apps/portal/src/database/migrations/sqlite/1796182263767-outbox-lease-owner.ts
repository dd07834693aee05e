import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which instance holds an outbox item's lease (a nullable column: added in place, no table rebuild). */
export class OutboxLeaseOwner1796182263767 implements MigrationInterface {
  name = 'OutboxLeaseOwner1796182263767';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "outbox_items" ADD COLUMN "lease_owner" varchar(64)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "outbox_items" DROP COLUMN "lease_owner"');
  }
}
