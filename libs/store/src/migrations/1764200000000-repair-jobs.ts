/**
 * Fourth schema step, for the repair service: `repair_jobs`, one row per finding being
 * repaired, from planning to confirmation (its columns are described on `RepairJob`), and
 * `repair_job_subjects`, the runs and entities each job touches, indexed so that "is an earlier
 * job for the same run or entity unfinished?" is a lookup rather than a scan.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RepairJobs1764200000000 implements MigrationInterface {
  name = 'RepairJobs1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "repair_jobs" (
        "id" uuid PRIMARY KEY,
        "sync_event_id" uuid NOT NULL UNIQUE REFERENCES "sync_events" ("id"),
        "mismatch_type" text NOT NULL,
        "strategy" text NOT NULL,
        "state" text NOT NULL DEFAULT 'PENDING',
        "priority" integer NOT NULL DEFAULT 0,
        "finding_created_at" timestamptz NOT NULL,
        "plan" jsonb,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "lease_owner" text,
        "lease_until" timestamptz,
        "submission_started_at" timestamptz,
        "submitted_run_id" text,
        "confirm_by" timestamptz,
        "decided_by" text,
        "decision_reason" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "finished_at" timestamptz,
        "outbound_event_id" uuid,
        "published_at" timestamptz,
        CONSTRAINT "ck_repair_jobs_state" CHECK ("state" IN
          ('PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING', 'DONE', 'FAILED', 'REJECTED'))
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_repair_jobs_due" ON "repair_jobs" ("state", "next_attempt_at") WHERE "state" NOT IN ('DONE', 'FAILED', 'REJECTED')`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_repair_jobs_submitted_run" ON "repair_jobs" ("submitted_run_id") WHERE "state" = 'EXECUTING'`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_repair_jobs_unpublished" ON "repair_jobs" ("finished_at") WHERE "outbound_event_id" IS NOT NULL AND "published_at" IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE "repair_job_subjects" (
        "subject_key" text NOT NULL,
        "job_id" uuid NOT NULL REFERENCES "repair_jobs" ("id") ON DELETE CASCADE,
        PRIMARY KEY ("subject_key", "job_id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_repair_job_subjects_job" ON "repair_job_subjects" ("job_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "repair_job_subjects"`);
    await queryRunner.query(`DROP TABLE "repair_jobs"`);
  }
}
