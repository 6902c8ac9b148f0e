/**
 * Eleventh schema step: open findings are looked at again. `recheck_count` says how many times
 * Bridge has re-checked a finding, `next_recheck_at` when it is due next (null: at the first
 * step of the schedule, counted from detection, or after the schedule only when a scan asks),
 * and `last_checked_at` when it was last looked at. The partial index serves the re-checker's
 * claim, which reads open findings only.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class FindingRechecks1764900000000 implements MigrationInterface {
  name = 'FindingRechecks1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "sync_events" ADD COLUMN "recheck_count" integer NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(`ALTER TABLE "sync_events" ADD COLUMN "next_recheck_at" timestamptz`);
    await queryRunner.query(`ALTER TABLE "sync_events" ADD COLUMN "last_checked_at" timestamptz`);
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_open_recheck" ON "sync_events" ("next_recheck_at") WHERE "state" = 'open'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_sync_events_open_recheck"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP COLUMN "last_checked_at"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP COLUMN "next_recheck_at"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP COLUMN "recheck_count"`);
  }
}
