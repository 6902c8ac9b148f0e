/**
 * Fourteenth schema step: what store maintenance needs to delete old rows cheaply and safely.
 * Indexes on the times retention is counted from, and a retried repair job no longer blocks
 * the deletion of the job it retried (its `retry_of` is cleared instead).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class StoreRetention1765200000000 implements MigrationInterface {
  name = 'StoreRetention1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_processed_inbound_events_at" ON "processed_inbound_events" ("processed_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_dead_letters_requeued" ON "dead_letters" ("requeued_at") WHERE "requeued_at" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_dead_letters_pending" ON "dead_letters" ("recorded_at") WHERE "requeued_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_repair_jobs_finished" ON "repair_jobs" ("finished_at") WHERE "finished_at" IS NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" DROP CONSTRAINT "repair_jobs_retry_of_fkey"`,
    );
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" ADD CONSTRAINT "repair_jobs_retry_of_fkey"
         FOREIGN KEY ("retry_of") REFERENCES "repair_jobs" ("id") ON DELETE SET NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" DROP CONSTRAINT "repair_jobs_retry_of_fkey"`,
    );
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" ADD CONSTRAINT "repair_jobs_retry_of_fkey"
         FOREIGN KEY ("retry_of") REFERENCES "repair_jobs" ("id")`,
    );
    await queryRunner.query(`DROP INDEX "ix_repair_jobs_finished"`);
    await queryRunner.query(`DROP INDEX "ix_dead_letters_pending"`);
    await queryRunner.query(`DROP INDEX "ix_dead_letters_requeued"`);
    await queryRunner.query(`DROP INDEX "ix_processed_inbound_events_at"`);
  }
}
