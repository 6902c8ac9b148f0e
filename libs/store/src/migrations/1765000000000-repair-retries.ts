/**
 * Twelfth schema step: a finding may have several repair jobs over time (an operator retries a
 * repair that failed, was rejected or expired, or starts one on a finding whose strategy only
 * alerts), with at most one active at a time, which a partial unique index holds. `retry_of`
 * links a retry to the job it repeats, `requested_by` names the operator who started a job
 * (null: started by the finding's strategy), and `expires_at` is when a job awaiting approval
 * stops waiting and becomes `EXPIRED`, a state that may still be approved.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

const ACTIVE = `('PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING')`;

export class RepairRetries1765000000000 implements MigrationInterface {
  name = 'RepairRetries1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" DROP CONSTRAINT "repair_jobs_sync_event_id_key"`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_repair_jobs_active_finding" ON "repair_jobs" ("sync_event_id") WHERE "state" IN ${ACTIVE}`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_repair_jobs_finding" ON "repair_jobs" ("sync_event_id", "created_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" ADD COLUMN "retry_of" uuid REFERENCES "repair_jobs" ("id")`,
    );
    await queryRunner.query(`ALTER TABLE "repair_jobs" ADD COLUMN "requested_by" text`);
    await queryRunner.query(`ALTER TABLE "repair_jobs" ADD COLUMN "expires_at" timestamptz`);
    await queryRunner.query(`ALTER TABLE "repair_jobs" DROP CONSTRAINT "ck_repair_jobs_state"`);
    await queryRunner.query(`
      ALTER TABLE "repair_jobs" ADD CONSTRAINT "ck_repair_jobs_state" CHECK ("state" IN
        ('PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING', 'DONE', 'FAILED', 'REJECTED', 'EXPIRED'))`);
    await queryRunner.query(
      `CREATE INDEX "ix_repair_jobs_expiring" ON "repair_jobs" ("expires_at") WHERE "state" = 'AWAITING_APPROVAL'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_repair_jobs_expiring"`);
    await queryRunner.query(`ALTER TABLE "repair_jobs" DROP CONSTRAINT "ck_repair_jobs_state"`);
    await queryRunner.query(`
      ALTER TABLE "repair_jobs" ADD CONSTRAINT "ck_repair_jobs_state" CHECK ("state" IN
        ('PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING', 'DONE', 'FAILED', 'REJECTED'))`);
    await queryRunner.query(`ALTER TABLE "repair_jobs" DROP COLUMN "expires_at"`);
    await queryRunner.query(`ALTER TABLE "repair_jobs" DROP COLUMN "requested_by"`);
    await queryRunner.query(`ALTER TABLE "repair_jobs" DROP COLUMN "retry_of"`);
    await queryRunner.query(`DROP INDEX "ix_repair_jobs_finding"`);
    await queryRunner.query(`DROP INDEX "ux_repair_jobs_active_finding"`);
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" ADD CONSTRAINT "repair_jobs_sync_event_id_key" UNIQUE ("sync_event_id")`,
    );
  }
}
