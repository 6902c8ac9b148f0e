/**
 * Seventh schema step, for operators: `dead_letters`, the dead letters of `bridge.dlq.events`
 * kept queryable (the topic is for machines; people filter, read and requeue), one row per dead
 * letter by its event id, with when and by whom it was last requeued.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DeadLetters1764500000000 implements MigrationInterface {
  name = 'DeadLetters1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "dead_letters" (
        "id" uuid PRIMARY KEY,
        "occurred_at" timestamptz NOT NULL,
        "source_topic" text NOT NULL,
        "source_partition" integer NOT NULL,
        "source_offset" text NOT NULL,
        "consumer_group" text NOT NULL,
        "key" bytea,
        "payload" bytea,
        "reason" text NOT NULL,
        "failure_kind" text NOT NULL,
        "attempts" integer NOT NULL,
        "recorded_at" timestamptz NOT NULL DEFAULT now(),
        "requeue_count" integer NOT NULL DEFAULT 0,
        "requeued_at" timestamptz,
        "requeued_by" text
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_dead_letters_occurred" ON "dead_letters" ("occurred_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_dead_letters_source" ON "dead_letters" ("source_topic", "failure_kind")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "dead_letters"`);
  }
}
