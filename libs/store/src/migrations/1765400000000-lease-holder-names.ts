/**
 * Sixteenth schema step: one name for whoever holds a lease. Check leases already called it
 * `holder`; repair jobs said `lease_owner` and scans `owner`, so a reader met three words for
 * one idea. Both columns are renamed; the data stays where it is.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LeaseHolderNames1765400000000 implements MigrationInterface {
  name = 'LeaseHolderNames1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" RENAME COLUMN "lease_owner" TO "lease_holder"`,
    );
    await queryRunner.query(`ALTER TABLE "scans" RENAME COLUMN "owner" TO "holder"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scans" RENAME COLUMN "holder" TO "owner"`);
    await queryRunner.query(
      `ALTER TABLE "repair_jobs" RENAME COLUMN "lease_holder" TO "lease_owner"`,
    );
  }
}
