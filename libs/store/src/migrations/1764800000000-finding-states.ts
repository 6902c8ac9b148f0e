/**
 * Tenth schema step: a finding's state. `resolved` alone could not tell a finding that is open
 * from a record that never was one (an ok check, a clean cache, a component's own event), so
 * "unresolved" listed mostly rows with nothing wrong. `state` says it: `record` for those,
 * `open`, `resolved` (by a repair or by hand) or `healed` (the discrepancy went away by itself)
 * for findings. Existing rows are migrated by their event type and resolution; the check keeps
 * `resolved` true exactly for closed findings, so readers of either column agree.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

const FINDING_TYPES = `('bridge.sync.mismatch', 'bridge.sync.stale_cache', 'bridge.sync.check_failed')`;

export class FindingStates1764800000000 implements MigrationInterface {
  name = 'FindingStates1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_events" ADD COLUMN "state" text`);
    await queryRunner.query(`
      UPDATE "sync_events" SET "state" = CASE
        WHEN "event_type" IN ${FINDING_TYPES} THEN CASE WHEN "resolved" THEN 'resolved' ELSE 'open' END
        ELSE 'record' END`);
    // A record resolved by hand before states existed is a record: nothing was wrong with it.
    await queryRunner.query(`
      UPDATE "sync_events" SET "resolved" = false, "resolved_at" = NULL
       WHERE "state" = 'record' AND "resolved"`);
    await queryRunner.query(`ALTER TABLE "sync_events" ALTER COLUMN "state" SET NOT NULL`);
    await queryRunner.query(`
      ALTER TABLE "sync_events" ADD CONSTRAINT "ck_sync_events_state" CHECK (
        "state" IN ('record', 'open', 'resolved', 'healed')
        AND "resolved" = ("state" IN ('resolved', 'healed')))`);
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_state_created" ON "sync_events" ("state", "created_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_sync_events_state_created"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP CONSTRAINT "ck_sync_events_state"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP COLUMN "state"`);
  }
}
