import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Local files (no contact) for owner-chat attachments; the attachments of owner-chat messages. */
export class OwnerChatAttachments1795607896657 implements MigrationInterface {
  name = 'OwnerChatAttachments1795607896657';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "owner_chat_messages" ADD "attachments" text');
    await queryRunner.query('ALTER TABLE "files" ALTER COLUMN "contact_id" DROP NOT NULL');
    await queryRunner.query('ALTER TABLE "files" ALTER COLUMN "direction" TYPE character varying(5)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM "files" WHERE "contact_id" IS NULL');
    await queryRunner.query('ALTER TABLE "files" ALTER COLUMN "direction" TYPE character varying(3)');
    await queryRunner.query('ALTER TABLE "files" ALTER COLUMN "contact_id" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "owner_chat_messages" DROP COLUMN "attachments"');
  }
}
