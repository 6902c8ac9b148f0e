/**
 * Eighteenth schema step: Canon in scans. A full scan whose Canon offers an artifact listing
 * reads it last, so `canon` joins the phases; the per-listing counters (`pages`, `items`,
 * `requests`) gain a `canon` key as pages are read, and older rows simply lack it (zero).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CanonScans1765600000000 implements MigrationInterface {
  name = 'CanonScans1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scans" DROP CONSTRAINT "ck_scans_phase"`);
    await queryRunner.query(
      `ALTER TABLE "scans" ADD CONSTRAINT "ck_scans_phase" CHECK ("phase" IN ('cappella', 'hippo', 'digest', 'canon', 'done'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // A scan caught reading Canon ends there: what it found is recorded, the rest is the next's.
    await queryRunner.query(`UPDATE "scans" SET "phase" = 'done' WHERE "phase" = 'canon'`);
    await queryRunner.query(`ALTER TABLE "scans" DROP CONSTRAINT "ck_scans_phase"`);
    await queryRunner.query(
      `ALTER TABLE "scans" ADD CONSTRAINT "ck_scans_phase" CHECK ("phase" IN ('cappella', 'hippo', 'digest', 'done'))`,
    );
  }
}
