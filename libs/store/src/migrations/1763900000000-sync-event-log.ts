/**
 * First schema: the sync event log and the processed-inbound-events idempotency table.
 * Runs unchanged on PostgreSQL and PGlite (no extensions: ids come from the application).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SyncEventLog1763900000000 implements MigrationInterface {
  name = 'SyncEventLog1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "sync_events" (
        "id" uuid PRIMARY KEY,
        "event_type" text NOT NULL,
        "source" text NOT NULL,
        "source_id" text NOT NULL,
        "actor" text,
        "details" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "resolved" boolean NOT NULL DEFAULT false,
        "resolved_at" timestamptz,
        "resolved_by" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "dedupe_key" text NOT NULL,
        "mismatch_type" text,
        "repair_strategy" text,
        CONSTRAINT "uq_sync_events_dedupe_key" UNIQUE ("dedupe_key"),
        CONSTRAINT "ck_sync_events_resolution" CHECK ("resolved" = ("resolved_at" IS NOT NULL))
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_resolved_created" ON "sync_events" ("resolved", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_type_created" ON "sync_events" ("event_type", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_source" ON "sync_events" ("source", "source_id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "processed_inbound_events" (
        "consumer_group" text NOT NULL,
        "event_id" uuid NOT NULL,
        "topic" text NOT NULL,
        "processed_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("consumer_group", "event_id")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "processed_inbound_events"`);
    await queryRunner.query(`DROP TABLE "sync_events"`);
  }
}
