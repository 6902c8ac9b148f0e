/**
 * Nineteenth schema step: output tallies. A full scan by listing no longer looks every output
 * up in Hippo: it records per run what Hippo should hold (`outputs_expected`, `outputs_sum`),
 * adds what Hippo's listing shows (`outputs_seen`, `seen_sum`), and judges in a phase of its
 * own, `outputs`, only the runs whose tallies differ. `tallied_by` names the scan the tallies
 * belong to; a run without one is not tallied (not judgeable then, or listed by an incremental
 * scan, which looks outputs up as before).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OutputTallies1765700000000 implements MigrationInterface {
  name = 'OutputTallies1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "scan_known_runs"
        ADD COLUMN "tallied_by" uuid,
        ADD COLUMN "outputs_expected" integer NOT NULL DEFAULT 0,
        ADD COLUMN "outputs_sum" bigint NOT NULL DEFAULT 0,
        ADD COLUMN "outputs_seen" integer NOT NULL DEFAULT 0,
        ADD COLUMN "seen_sum" bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "scans" DROP CONSTRAINT "ck_scans_phase"`);
    await queryRunner.query(
      `ALTER TABLE "scans" ADD CONSTRAINT "ck_scans_phase" CHECK ("phase" IN ('cappella', 'hippo', 'outputs', 'digest', 'canon', 'done'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // A scan caught judging tallies goes on to Canon: its listings are read.
    await queryRunner.query(`UPDATE "scans" SET "phase" = 'canon' WHERE "phase" = 'outputs'`);
    await queryRunner.query(`ALTER TABLE "scans" DROP CONSTRAINT "ck_scans_phase"`);
    await queryRunner.query(
      `ALTER TABLE "scans" ADD CONSTRAINT "ck_scans_phase" CHECK ("phase" IN ('cappella', 'hippo', 'digest', 'canon', 'done'))`,
    );
    await queryRunner.query(`
      ALTER TABLE "scan_known_runs"
        DROP COLUMN "tallied_by", DROP COLUMN "outputs_expected", DROP COLUMN "outputs_sum",
        DROP COLUMN "outputs_seen", DROP COLUMN "seen_sum"`);
  }
}
