/**
 * Twentieth schema step: finding out what became of a submission. A resubmission whose outcome
 * is unknown (its worker died after marking it sent, or Cappella's answer never came) is looked
 * for in Cappella's run listing. `submission_search_after` is where that search starts: the
 * scanner's Cappella cursor as it stood when the submission was marked sent (so every run
 * created since lies after it), then how far the search has read.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SubmissionSearch1765800000000 implements MigrationInterface {
  name = 'SubmissionSearch1765800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "repair_jobs" ADD COLUMN "submission_search_after" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "repair_jobs" DROP COLUMN "submission_search_after"`);
  }
}
