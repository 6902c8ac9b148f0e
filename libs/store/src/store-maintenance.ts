/**
 * Keeps the store bounded: deletes, kind by kind, what `store-retention.ts` says is old, and
 * never what something still active needs (the finished repair jobs of a finding still open,
 * the scans the scan cursors and the next scan's choice of mode build on, pending work).
 *
 * Every service runs it (`StoreMaintenanceScheduler`), and exactly one does at a time: a run
 * holds a PostgreSQL advisory lock on its own connection for its whole length, and a run that
 * cannot take the lock does nothing. Deletes go in batches, each its own statement, so a long
 * backlog never holds locks on a busy table for long.
 */
import type { DataSource, QueryRunner } from 'typeorm';
import { retentionCutoffs, type RetentionPolicy } from './store-retention';

/** The advisory lock key of store maintenance (any fixed number no other lock uses). */
export const STORE_MAINTENANCE_LOCK = 7_420_190_001;

/** Rows deleted per statement. */
const BATCH = 5_000;

/** Rows deleted per kind in one run. */
export interface MaintenanceReport {
  processedEvents: number;
  deadLetters: number;
  repairJobs: number;
  scans: number;
  audit: number;
  checkLeases: number;
}

export class StoreMaintenance {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policy: RetentionPolicy,
  ) {}

  /** One run; null when another process holds the maintenance lock. */
  async runOnce(now: Date = new Date()): Promise<MaintenanceReport | null> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.manager.query<Array<{ locked: boolean }>>(
        `SELECT pg_try_advisory_lock($1::bigint) AS locked`,
        [STORE_MAINTENANCE_LOCK],
      );
      if (!locked) return null;
      try {
        return await this.prune(runner, now);
      } finally {
        await runner.manager.query(`SELECT pg_advisory_unlock($1::bigint)`, [
          STORE_MAINTENANCE_LOCK,
        ]);
      }
    } finally {
      await runner.release();
    }
  }

  private async prune(runner: QueryRunner, now: Date): Promise<MaintenanceReport> {
    const cut = retentionCutoffs(this.policy, now);
    const inBatches = async (table: string, where: string, params: unknown[]) => {
      let total = 0;
      for (;;) {
        const [, deleted] = await runner.manager.query<[unknown, number]>(
          `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${where} LIMIT ${BATCH})`,
          params,
        );
        total += deleted;
        if (deleted < BATCH) return total;
      }
    };
    const processedEvents = await inBatches('processed_inbound_events', 'processed_at < $1', [
      cut.processedEventsDays,
    ]);
    const deadLetters = await inBatches(
      'dead_letters',
      `(requeued_at IS NOT NULL AND requeued_at < $1)
       OR (requeued_at IS NULL AND recorded_at < $2)`,
      [cut.requeuedDeadLettersDays, cut.pendingDeadLettersDays],
    );
    // A finished job stays while its finding is open: it is that finding's history.
    const repairJobs = await inBatches(
      'repair_jobs',
      `state IN ('DONE', 'FAILED', 'REJECTED', 'EXPIRED') AND finished_at < $1
       AND NOT EXISTS (SELECT 1 FROM sync_events e
                        WHERE e.id = repair_jobs.sync_event_id AND e.state = 'open')`,
      [cut.repairJobsDays],
    );
    const scans = await this.pruneScans(runner, cut.scansDays, inBatches);
    const audit = await inBatches('audit_log', 'at < $1', [cut.auditDays]);
    // Leases whose holder died long ago (a live holder renews or releases its own).
    const checkLeases = await inBatches('check_leases', `expires_at < $1`, [
      new Date(now.getTime() - 86_400_000),
    ]);
    return { processedEvents, deadLetters, repairJobs, scans, audit, checkLeases };
  }

  /**
   * Finished scans older than the cutoff, with their finding links, except the scan a cursor
   * points at and the latest completed scan of each mode (the scheduler's choice between a full
   * and an incremental scan reads it).
   */
  private async pruneScans(
    runner: QueryRunner,
    cutoff: Date,
    inBatches: (table: string, where: string, params: unknown[]) => Promise<number>,
  ): Promise<number> {
    const prunable = `SELECT s.id FROM scans s
       WHERE s.status IN ('completed', 'failed') AND s.finished_at < $1
         AND NOT EXISTS (SELECT 1 FROM scan_cursors c WHERE c.scan_id = s.id)
         AND s.id NOT IN (SELECT DISTINCT ON (mode) id FROM scans WHERE status = 'completed'
                           ORDER BY mode, finished_at DESC)`;
    await inBatches('scan_findings', `scan_id IN (${prunable})`, [cutoff]);
    const [, deleted] = await runner.manager.query<[unknown, number]>(
      `DELETE FROM scans WHERE id IN (${prunable})`,
      [cutoff],
    );
    return deleted;
  }
}
