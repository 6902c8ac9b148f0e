/**
 * Third schema step, for the embedded mode: `in_process_backlog` keeps what the in-process bus
 * still held for a consumer group when the process stopped (delayed re-checks waiting for their
 * time, most often), as the encoded bytes, so the next start hands it back to that group.
 * Kafka deployments never write to it: their broker keeps unconsumed events.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InProcessBacklog1764100000000 implements MigrationInterface {
  name = 'InProcessBacklog1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "in_process_backlog" (
        "id" bigserial PRIMARY KEY,
        "consumer_group" text NOT NULL,
        "topic" text NOT NULL,
        "message_key" bytea,
        "message_value" bytea,
        "saved_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "in_process_backlog"`);
  }
}
