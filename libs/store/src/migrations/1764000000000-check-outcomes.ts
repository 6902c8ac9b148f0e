/**
 * Second schema step, for the checker: an outbox on `sync_events` (the outbound event id is
 * fixed when the finding is recorded, and `published_at` says whether it went out, so a crash
 * between recording and publishing re-publishes the same event instead of losing it), and
 * `check_leases`, which keeps two checkers from running the same check at once.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CheckOutcomes1764000000000 implements MigrationInterface {
  name = 'CheckOutcomes1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_events" ADD COLUMN "outbound_event_id" uuid`);
    await queryRunner.query(`ALTER TABLE "sync_events" ADD COLUMN "published_at" timestamptz`);
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_unpublished" ON "sync_events" ("created_at") WHERE "outbound_event_id" IS NOT NULL AND "published_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_mismatch_open" ON "sync_events" ("mismatch_type") WHERE NOT "resolved"`,
    );
    await queryRunner.query(`
      CREATE TABLE "check_leases" (
        "check_key" text PRIMARY KEY,
        "holder" text NOT NULL,
        "expires_at" timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "check_leases"`);
    await queryRunner.query(`DROP INDEX "ix_sync_events_mismatch_open"`);
    await queryRunner.query(`DROP INDEX "ix_sync_events_unpublished"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP COLUMN "published_at"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP COLUMN "outbound_event_id"`);
  }
}
