/**
 * Eighth schema step, for the operator console's overview: `service_status`, one row per
 * running service process (its instance id), rewritten at every reporting interval with what
 * the process measured over the last one (throughput, latency, consumer lag, circuit states).
 * The API reads it, so the overview of a distributed deployment needs only the database.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ServiceStatus1764600000000 implements MigrationInterface {
  name = 'ServiceStatus1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "service_status" (
        "instance" text PRIMARY KEY,
        "service" text NOT NULL,
        "started_at" timestamptz NOT NULL,
        "reported_at" timestamptz NOT NULL,
        "stopped_at" timestamptz,
        "snapshot" jsonb NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_service_status_reported" ON "service_status" ("reported_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "service_status"`);
  }
}
