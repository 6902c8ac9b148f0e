/**
 * Seventeenth schema step: digest scans. A full scan may now compare range digests instead of
 * listing both components, so a scan records its `method` (null while requested without one:
 * the scanner chooses), and `digest` joins the phases. Every earlier scan listed.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DigestScans1765500000000 implements MigrationInterface {
  name = 'DigestScans1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scans" ADD COLUMN "method" text`);
    await queryRunner.query(
      `UPDATE "scans" SET "method" = 'listing' WHERE "started_at" IS NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "scans" ADD CONSTRAINT "ck_scans_method" CHECK ("method" IN ('listing', 'digest'))`,
    );
    await queryRunner.query(`ALTER TABLE "scans" DROP CONSTRAINT "ck_scans_phase"`);
    await queryRunner.query(
      `ALTER TABLE "scans" ADD CONSTRAINT "ck_scans_phase" CHECK ("phase" IN ('cappella', 'hippo', 'digest', 'done'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "scans" WHERE "method" = 'digest'`);
    await queryRunner.query(`ALTER TABLE "scans" DROP CONSTRAINT "ck_scans_phase"`);
    await queryRunner.query(
      `ALTER TABLE "scans" ADD CONSTRAINT "ck_scans_phase" CHECK ("phase" IN ('cappella', 'hippo', 'done'))`,
    );
    await queryRunner.query(`ALTER TABLE "scans" DROP CONSTRAINT "ck_scans_method"`);
    await queryRunner.query(`ALTER TABLE "scans" DROP COLUMN "method"`);
  }
}
