/**
 * Fifteenth schema step: the tables that grow with traffic become time-partitioned, so that
 * retention drops whole partitions instead of deleting rows one by one (see
 * `store-partitions.ts` for the layout), and the log's counts get a rollup so that dashboards
 * never count the whole log.
 *
 * - `sync_events` is split by `tier` (`record` or `finding`, following the row's state) and
 *   then by `created_day`, the UTC day the row was recorded. A partitioned table's unique keys
 *   must contain its partition keys, so the primary key becomes `(id, tier, created_day)` and
 *   the de-duplication key is unique per `(dedupe_key, tier, created_day)`; `SyncEventLog`
 *   looks a key up across every partition before it writes, which is what keeps one row per
 *   key across days (see its `recordMany`). The foreign keys from `repair_jobs` and
 *   `scan_findings` go: a partitioned table's `id` alone cannot be referenced.
 * - `processed_inbound_events` is split by `processed_day`, the day the event occurred (see
 *   `ProcessedInboundEvents`); ids claimed before this step are filed under the day they were
 *   handled, which is the day they occurred for all but events handled late.
 * - `sync_event_counts` holds rows recorded per hour and kind, written with each insert.
 *
 * Existing rows are copied over; rows older than the first partitions land in the default
 * partitions, where retention deletes them row by row.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  FINDING_PARTITIONS,
  PROCESSED_EVENT_PARTITIONS,
  RECORD_PARTITIONS,
  StorePartitions,
  defaultPartitionOf,
} from '../store-partitions';

const SYNC_EVENT_COLUMNS = `"id", "event_type", "source", "source_id", "actor", "details",
  "resolved", "resolved_at", "resolved_by", "created_at", "dedupe_key", "mismatch_type",
  "repair_strategy", "outbound_event_id", "published_at", "resolution_note", "state",
  "recheck_count", "next_recheck_at", "last_checked_at", "snoozed_until", "snoozed_by",
  "snooze_reason"`;

/** The log's columns other than its id and partition keys, as both shapes of the table have them. */
const LOG_COLUMN_DEFINITIONS = `"event_type" text NOT NULL,
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
  "outbound_event_id" uuid,
  "published_at" timestamptz,
  "resolution_note" text,
  "state" text NOT NULL,
  "recheck_count" integer NOT NULL DEFAULT 0,
  "next_recheck_at" timestamptz,
  "last_checked_at" timestamptz,
  "snoozed_until" timestamptz,
  "snoozed_by" text,
  "snooze_reason" text`;

export class TimePartitions1765300000000 implements MigrationInterface {
  name = 'TimePartitions1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_events" RENAME TO "sync_events_unpartitioned"`);
    await queryRunner.query(`
      CREATE TABLE "sync_events" (
        "id" uuid NOT NULL,
        ${LOG_COLUMN_DEFINITIONS},
        "tier" text NOT NULL,
        "created_day" date NOT NULL
      ) PARTITION BY LIST ("tier")`);
    await queryRunner.query(`
      CREATE TABLE "sync_events_record" PARTITION OF "sync_events"
        FOR VALUES IN ('record') PARTITION BY RANGE ("created_day")`);
    await queryRunner.query(`
      CREATE TABLE "sync_events_finding" PARTITION OF "sync_events"
        FOR VALUES IN ('finding') PARTITION BY RANGE ("created_day")`);

    await queryRunner.query(
      `ALTER TABLE "processed_inbound_events" RENAME TO "processed_inbound_events_unpartitioned"`,
    );
    await queryRunner.query(`DROP INDEX "ix_processed_inbound_events_at"`);
    await queryRunner.query(`
      CREATE TABLE "processed_inbound_events" (
        "consumer_group" text NOT NULL,
        "event_id" uuid NOT NULL,
        "topic" text NOT NULL,
        "processed_at" timestamptz NOT NULL DEFAULT now(),
        "processed_day" date NOT NULL
      ) PARTITION BY RANGE ("processed_day")`);

    const partitions = new StorePartitions(queryRunner.manager);
    for (const table of [RECORD_PARTITIONS, FINDING_PARTITIONS, PROCESSED_EVENT_PARTITIONS]) {
      await queryRunner.query(
        `CREATE TABLE "${defaultPartitionOf(table)}" PARTITION OF "${table.parent}" DEFAULT`,
      );
      await partitions.createAhead(table, new Date());
    }

    await queryRunner.query(`
      INSERT INTO "sync_events" (${SYNC_EVENT_COLUMNS}, "tier", "created_day")
      SELECT ${SYNC_EVENT_COLUMNS},
             CASE WHEN "state" = 'record' THEN 'record' ELSE 'finding' END,
             ("created_at" AT TIME ZONE 'UTC')::date
        FROM "sync_events_unpartitioned"`);
    await queryRunner.query(`DROP TABLE "sync_events_unpartitioned" CASCADE`);
    await queryRunner.query(`
      INSERT INTO "processed_inbound_events"
             ("consumer_group", "event_id", "topic", "processed_at", "processed_day")
      SELECT "consumer_group", "event_id", "topic", "processed_at",
             ("processed_at" AT TIME ZONE 'UTC')::date
        FROM "processed_inbound_events_unpartitioned"`);
    await queryRunner.query(`DROP TABLE "processed_inbound_events_unpartitioned"`);

    await queryRunner.query(`
      ALTER TABLE "processed_inbound_events"
        ADD CONSTRAINT "pk_processed_inbound_events"
        PRIMARY KEY ("consumer_group", "event_id", "processed_day")`);
    await queryRunner.query(`
      ALTER TABLE "sync_events"
        ADD CONSTRAINT "pk_sync_events" PRIMARY KEY ("id", "tier", "created_day"),
        ADD CONSTRAINT "uq_sync_events_dedupe_key" UNIQUE ("dedupe_key", "tier", "created_day"),
        ADD CONSTRAINT "ck_sync_events_resolution" CHECK ("resolved" = ("resolved_at" IS NOT NULL)),
        ADD CONSTRAINT "ck_sync_events_state" CHECK (
          "state" IN ('record', 'open', 'resolved', 'healed')
          AND "resolved" = ("state" IN ('resolved', 'healed'))),
        ADD CONSTRAINT "ck_sync_events_tier" CHECK (("tier" = 'record') = ("state" = 'record'))`);
    for (const index of SYNC_EVENT_INDEXES) await queryRunner.query(index);

    await queryRunner.query(`
      CREATE TABLE "sync_event_counts" (
        "hour" timestamptz NOT NULL,
        "event_type" text NOT NULL,
        "mismatch_type" text NOT NULL DEFAULT '',
        "shard" smallint NOT NULL DEFAULT 0,
        "total" bigint NOT NULL,
        CONSTRAINT "pk_sync_event_counts" PRIMARY KEY ("hour", "event_type", "mismatch_type", "shard")
      )`);
    await queryRunner.query(`
      INSERT INTO "sync_event_counts" ("hour", "event_type", "mismatch_type", "shard", "total")
      SELECT date_trunc('hour', "created_at", 'UTC'), "event_type", COALESCE("mismatch_type", ''),
             0, count(*)
        FROM "sync_events" GROUP BY 1, 2, 3`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "sync_event_counts"`);
    await queryRunner.query(`ALTER TABLE "sync_events" RENAME TO "sync_events_partitioned"`);
    await queryRunner.query(
      `ALTER TABLE "sync_events_partitioned" DROP CONSTRAINT "uq_sync_events_dedupe_key"`,
    );
    await queryRunner.query(`
      CREATE TABLE "sync_events" (
        "id" uuid PRIMARY KEY,
        ${LOG_COLUMN_DEFINITIONS},
        CONSTRAINT "uq_sync_events_dedupe_key" UNIQUE ("dedupe_key"),
        CONSTRAINT "ck_sync_events_resolution" CHECK ("resolved" = ("resolved_at" IS NOT NULL)),
        CONSTRAINT "ck_sync_events_state" CHECK (
          "state" IN ('record', 'open', 'resolved', 'healed')
          AND "resolved" = ("state" IN ('resolved', 'healed')))
      )`);
    await queryRunner.query(`
      INSERT INTO "sync_events" (${SYNC_EVENT_COLUMNS})
      SELECT DISTINCT ON ("dedupe_key") ${SYNC_EVENT_COLUMNS} FROM "sync_events_partitioned"
       ORDER BY "dedupe_key", "created_at" DESC`);
    await queryRunner.query(`DROP TABLE "sync_events_partitioned"`);
    for (const index of UNPARTITIONED_INDEXES) await queryRunner.query(index);
    await queryRunner.query(`
      DELETE FROM "repair_jobs" j
       WHERE NOT EXISTS (SELECT 1 FROM "sync_events" e WHERE e."id" = j."sync_event_id")`);
    await queryRunner.query(`
      ALTER TABLE "repair_jobs" ADD CONSTRAINT "repair_jobs_sync_event_id_fkey"
        FOREIGN KEY ("sync_event_id") REFERENCES "sync_events" ("id")`);
    await queryRunner.query(`
      DELETE FROM "scan_findings" f
       WHERE NOT EXISTS (SELECT 1 FROM "sync_events" e WHERE e."id" = f."sync_event_id")`);
    await queryRunner.query(`
      ALTER TABLE "scan_findings" ADD CONSTRAINT "scan_findings_sync_event_id_fkey"
        FOREIGN KEY ("sync_event_id") REFERENCES "sync_events" ("id")`);

    await queryRunner.query(
      `ALTER TABLE "processed_inbound_events" RENAME TO "processed_inbound_events_partitioned"`,
    );
    await queryRunner.query(
      `ALTER TABLE "processed_inbound_events_partitioned" DROP CONSTRAINT "pk_processed_inbound_events"`,
    );
    await queryRunner.query(`
      CREATE TABLE "processed_inbound_events" (
        "consumer_group" text NOT NULL,
        "event_id" uuid NOT NULL,
        "topic" text NOT NULL,
        "processed_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("consumer_group", "event_id")
      )`);
    await queryRunner.query(`
      INSERT INTO "processed_inbound_events" ("consumer_group", "event_id", "topic", "processed_at")
      SELECT "consumer_group", "event_id", "topic", min("processed_at")
        FROM "processed_inbound_events_partitioned" GROUP BY 1, 2, 3
      ON CONFLICT DO NOTHING`);
    await queryRunner.query(`DROP TABLE "processed_inbound_events_partitioned"`);
    await queryRunner.query(
      `CREATE INDEX "ix_processed_inbound_events_at" ON "processed_inbound_events" ("processed_at")`,
    );
  }
}

/**
 * The log's indexes, on every partition: each serves a listing of the API or a step of the
 * pipeline, ordered the way that listing pages (newest first, ties by id).
 */
const SYNC_EVENT_INDEXES = [
  `CREATE INDEX "ix_sync_events_created_id" ON "sync_events" ("created_at", "id")`,
  `CREATE INDEX "ix_sync_events_state_created" ON "sync_events" ("state", "created_at", "id")`,
  `CREATE INDEX "ix_sync_events_type_created" ON "sync_events" ("event_type", "created_at", "id")`,
  `CREATE INDEX "ix_sync_events_source" ON "sync_events" ("source_id", "created_at")`,
  `CREATE INDEX "ix_sync_events_mismatch_created" ON "sync_events" ("mismatch_type", "created_at", "id") WHERE "mismatch_type" IS NOT NULL`,
  `CREATE INDEX "ix_sync_events_scan" ON "sync_events" (("details" ->> 'scan_id')) WHERE "details" ? 'scan_id'`,
  `CREATE INDEX "ix_sync_events_unpublished" ON "sync_events" ("created_at") WHERE "outbound_event_id" IS NOT NULL AND "published_at" IS NULL`,
  `CREATE INDEX "ix_sync_events_mismatch_open" ON "sync_events" ("mismatch_type") WHERE NOT "resolved"`,
  `CREATE INDEX "ix_sync_events_open_recheck" ON "sync_events" ("next_recheck_at") WHERE "state" = 'open'`,
];

/** The indexes the log had before it was partitioned, for `down`. */
const UNPARTITIONED_INDEXES = [
  `CREATE INDEX "ix_sync_events_resolved_created" ON "sync_events" ("resolved", "created_at")`,
  `CREATE INDEX "ix_sync_events_type_created" ON "sync_events" ("event_type", "created_at")`,
  `CREATE INDEX "ix_sync_events_source" ON "sync_events" ("source", "source_id")`,
  `CREATE INDEX "ix_sync_events_created_id" ON "sync_events" ("created_at", "id")`,
  `CREATE INDEX "ix_sync_events_unpublished" ON "sync_events" ("created_at") WHERE "outbound_event_id" IS NOT NULL AND "published_at" IS NULL`,
  `CREATE INDEX "ix_sync_events_mismatch_open" ON "sync_events" ("mismatch_type") WHERE NOT "resolved"`,
  `CREATE INDEX "ix_sync_events_state_created" ON "sync_events" ("state", "created_at")`,
  `CREATE INDEX "ix_sync_events_open_recheck" ON "sync_events" ("next_recheck_at") WHERE "state" = 'open'`,
];
