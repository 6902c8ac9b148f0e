/**
 * Fifth schema step, for the scanner (see docs/design.md, Scans):
 * - `scans`: one row per scan, from request to completion, with its checkpoint (where to read
 *   next in each component's listing, and where the next scan should start), its counts and
 *   its errors. A partial unique index allows one active scan (requested, running or paused)
 *   at a time, whatever number of scanners run.
 * - `scan_cursors`: per component, where the last completed scan stopped reading, so that an
 *   incremental scan reads only what changed after it.
 * - `scan_known_runs`: the run ids Cappella listed, so that the Hippo side of a scan can tell
 *   whether an entity's provenance names an existing run without asking Cappella for each one;
 *   held in the database, not in the scanner's memory, whatever the size of the history.
 * - `scan_findings`: which sync events a scan recorded.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Scans1764300000000 implements MigrationInterface {
  name = 'Scans1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "scans" (
        "id" uuid PRIMARY KEY,
        "trigger" text NOT NULL,
        "mode" text NOT NULL,
        "status" text NOT NULL DEFAULT 'requested',
        "phase" text NOT NULL DEFAULT 'cappella',
        "requested_by" text,
        "owner" text,
        "requested_at" timestamptz NOT NULL DEFAULT now(),
        "started_at" timestamptz,
        "finished_at" timestamptz,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "grace_cutoff" timestamptz,
        "checkpoint" jsonb NOT NULL DEFAULT '{}',
        "counts" jsonb NOT NULL DEFAULT '{}',
        "pages" jsonb NOT NULL DEFAULT '{}',
        "items" jsonb NOT NULL DEFAULT '{}',
        "requests" jsonb NOT NULL DEFAULT '{}',
        "estimated_items" integer,
        "errors" jsonb NOT NULL DEFAULT '[]',
        "last_error" text,
        CONSTRAINT "ck_scans_status" CHECK ("status" IN ('requested', 'running', 'paused', 'completed', 'failed')),
        CONSTRAINT "ck_scans_mode" CHECK ("mode" IN ('full', 'incremental')),
        CONSTRAINT "ck_scans_phase" CHECK ("phase" IN ('cappella', 'hippo', 'done'))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_scans_one_active" ON "scans" ((true)) WHERE "status" IN ('requested', 'running', 'paused')`,
    );
    await queryRunner.query(`CREATE INDEX "ix_scans_requested" ON "scans" ("requested_at")`);
    await queryRunner.query(`
      CREATE TABLE "scan_cursors" (
        "component" text PRIMARY KEY,
        "cursor" text,
        "scan_id" uuid NOT NULL REFERENCES "scans" ("id"),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE "scan_known_runs" (
        "run_id" text PRIMARY KEY,
        "seen_by" uuid NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE "scan_findings" (
        "scan_id" uuid NOT NULL REFERENCES "scans" ("id"),
        "sync_event_id" uuid NOT NULL REFERENCES "sync_events" ("id"),
        PRIMARY KEY ("scan_id", "sync_event_id")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "scan_findings"`);
    await queryRunner.query(`DROP TABLE "scan_known_runs"`);
    await queryRunner.query(`DROP TABLE "scan_cursors"`);
    await queryRunner.query(`DROP TABLE "scans"`);
  }
}
