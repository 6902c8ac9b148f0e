/**
 * Ninth schema step, for accountability: `audit_log`, one row per admin action tried through
 * the query API (resolve, approve, reject, requeue, scan request…): who, with which role, what,
 * on which object, when, why, from which address, and how it ended. Rows are only appended and
 * settled, never edited afterwards. The indexes serve the newest-first listing, unfiltered and by
 * actor, action or object.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditLog1764700000000 implements MigrationInterface {
  name = 'AuditLog1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "audit_log" (
        "id" uuid PRIMARY KEY,
        "at" timestamptz NOT NULL DEFAULT now(),
        "actor" text NOT NULL,
        "role" text NOT NULL,
        "action" text NOT NULL,
        "object_type" text NOT NULL,
        "object_id" text,
        "reason" text,
        "client_address" text,
        "outcome" text NOT NULL,
        "details" jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await queryRunner.query(`CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at", "id")`);
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_actor" ON "audit_log" ("actor", "at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_action" ON "audit_log" ("action", "at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_object" ON "audit_log" ("object_type", "object_id", "at", "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_log"`);
  }
}
