/**
 * Sixth schema step, for the query API: an operator who resolves a finding says why
 * (`resolution_note`, beside `resolved_by`), and the event list is paged newest first by
 * `(created_at, id)`, which this index serves (read backwards) for the unfiltered list.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OperatorResolution1764400000000 implements MigrationInterface {
  name = 'OperatorResolution1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_events" ADD COLUMN "resolution_note" text`);
    await queryRunner.query(
      `CREATE INDEX "ix_sync_events_created_id" ON "sync_events" ("created_at", "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_sync_events_created_id"`);
    await queryRunner.query(`ALTER TABLE "sync_events" DROP COLUMN "resolution_note"`);
  }
}
