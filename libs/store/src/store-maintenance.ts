/**
 * Keeps the store bounded: creates the time partitions the next days need, drops those whose
 * rows are all past retention, deletes, kind by kind, the rows `store-retention.ts` says are
 * old in the tables that are not split, and never what something still active needs (an open
 * finding, the repair jobs of one, an outbound event not yet published, the scans the scan
 * cursors and the next scan's choice of mode and method build on, pending work).
 *
 * Time-split tables (`store-partitions.ts`) lose whole partitions: a day of records, a day of
 * processed-event ids, a month of findings once none in it is open, recently closed, under
 * repair or owed to the outbox (otherwise its expired closed findings go row by row, and the
 * partition follows once the rest close). Their default partitions, normally empty, are
 * pruned row by row.
 *
 * Every service runs it (`StoreMaintenanceScheduler`), and exactly one does at a time: a run
 * holds a PostgreSQL advisory lock on its own connection for its whole length, and a run that
 * cannot take the lock does nothing. Deletes go in batches, each its own statement, so a long
 * backlog never holds locks on a busy table for long.
 */
import type { DataSource, QueryRunner } from 'typeorm';
import { errorMessage } from '@bridge/errors';
import { ACTIVE_REPAIR_STATES } from './repair-job-kinds';
import {
  FINDING_PARTITIONS,
  PROCESSED_EVENT_PARTITIONS,
  RECORD_PARTITIONS,
  StorePartitions,
  TIME_PARTITIONED_TABLES,
  defaultPartitionOf,
  type DeferredPartition,
  partitionsBefore,
} from './store-partitions';
import { retentionCutoffs, type RetentionCutoffs, type RetentionPolicy } from './store-retention';
// Rows whose outbound event is still owed: the outbox relay needs them, whatever their age.
import { OWED } from './outbox';

/** The advisory lock key of store maintenance (any fixed number no other lock uses). */
export const STORE_MAINTENANCE_LOCK = 7_420_190_001;

/** Rows deleted per statement. */
const BATCH = 5_000;

/** What one run did: partitions created and dropped, and rows deleted one by one per kind. */
export interface MaintenanceReport {
  partitionsCreated: string[];
  partitionsDropped: string[];
  /** Partition changes whose lock was not to be had: tried again at the next run. */
  partitionsDeferred: DeferredPartition[];
  processedEvents: number;
  records: number;
  closedFindings: number;
  deadLetters: number;
  repairJobs: number;
  scans: number;
  audit: number;
  checkLeases: number;
  /** Hourly rollup rows older than the audit log's retention. */
  counts: number;
}

const ACTIVE_REPAIRS = ACTIVE_REPAIR_STATES.map((state) => `'${state}'`).join(', ');

/** A finding some repair is still working on. */
const UNDER_REPAIR = `EXISTS (SELECT 1 FROM repair_jobs j
                               WHERE j.sync_event_id = f.id AND j.state IN (${ACTIVE_REPAIRS}))`;

type InBatches = (table: string, where: string, params: unknown[]) => Promise<number>;

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
      // Raw SQL: advisory locks are functions, not tables.
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
    const inBatches: InBatches = async (table, where, params) => {
      let total = 0;
      for (;;) {
        // Raw SQL: bounded batches by ctid, on whichever table and filter retention names.
        const [, deleted] = await runner.manager.query<[unknown, number]>(
          `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} AS f WHERE ${where} LIMIT ${BATCH})`,
          params,
        );
        total += deleted;
        if (deleted < BATCH) return total;
      }
    };
    const partitions = new StorePartitions(runner.manager);
    const partitionsCreated: string[] = [];
    const partitionsDeferred: DeferredPartition[] = [];
    for (const table of TIME_PARTITIONED_TABLES) {
      const { created, deferred } = await partitions.createAhead(table, now);
      partitionsCreated.push(...created);
      partitionsDeferred.push(...deferred);
    }
    const { partitionsDropped, processedEvents, records, closedFindings } =
      await this.expirePartitions(runner, partitions, cut, inBatches, partitionsDeferred);
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
                        WHERE e.tier = 'finding' AND e.id = f.sync_event_id AND e.state = 'open')`,
      [cut.repairJobsDays],
    );
    const scans = await this.pruneScans(runner, cut.scansDays, inBatches);
    const audit = await inBatches('audit_log', 'at < $1', [cut.auditDays]);
    // Leases whose holder died long ago (a live holder renews or releases its own).
    const checkLeases = await inBatches('check_leases', `expires_at < $1`, [
      new Date(now.getTime() - 86_400_000),
    ]);
    const counts = await inBatches('sync_event_counts', 'hour < $1', [cut.auditDays]);
    return {
      partitionsCreated,
      partitionsDropped,
      partitionsDeferred,
      processedEvents,
      records,
      closedFindings,
      deadLetters,
      repairJobs,
      scans,
      audit,
      checkLeases,
      counts,
    };
  }

  /**
   * Drops the partitions of the split tables whose rows are all past retention and not needed,
   * and deletes row by row what is expired in the default partitions and in finding partitions
   * that something still holds.
   */
  private async expirePartitions(
    runner: QueryRunner,
    partitions: StorePartitions,
    cut: RetentionCutoffs,
    inBatches: InBatches,
    deferred: DeferredPartition[],
  ): Promise<{
    partitionsDropped: string[];
    processedEvents: number;
    records: number;
    closedFindings: number;
  }> {
    const dropped: string[] = [];
    // A drop whose lock is not to be had waits for the next run; the rest of the run goes on.
    const drop = async (name: string) => {
      try {
        await partitions.drop(name);
        dropped.push(name);
      } catch (error) {
        deferred.push({ name, reason: errorMessage(error) });
      }
    };
    // Raw SQL: these statements name single partitions, which have no entities of their own.
    const query = <T>(sql: string, params: unknown[] = []) => runner.manager.query<T>(sql, params);

    for (const range of partitionsBefore(
      PROCESSED_EVENT_PARTITIONS,
      await partitions.existing(PROCESSED_EVENT_PARTITIONS),
      cut.processedEventsDays,
    )) {
      await drop(range.name);
    }
    const processedEvents = await inBatches(
      defaultPartitionOf(PROCESSED_EVENT_PARTITIONS),
      'processed_at < $1',
      [cut.processedEventsDays],
    );

    for (const range of partitionsBefore(
      RECORD_PARTITIONS,
      await partitions.existing(RECORD_PARTITIONS),
      cut.recordsDays,
    )) {
      const [{ held }] = await query<Array<{ held: boolean }>>(
        `SELECT EXISTS (SELECT 1 FROM "${range.name}" WHERE ${OWED}) AS held`,
      );
      if (held) continue;
      await drop(range.name);
    }
    const records = await inBatches(
      defaultPartitionOf(RECORD_PARTITIONS),
      `created_at < $1 AND NOT ${OWED}`,
      [cut.recordsDays],
    );

    const expiredFinding = `state IN ('resolved', 'healed') AND resolved_at < $1
                            AND NOT ${OWED} AND NOT ${UNDER_REPAIR}`;
    let closedFindings = 0;
    for (const range of partitionsBefore(
      FINDING_PARTITIONS,
      await partitions.existing(FINDING_PARTITIONS),
      cut.closedFindingsDays,
    )) {
      const [{ held }] = await query<Array<{ held: boolean }>>(
        `SELECT EXISTS (SELECT 1 FROM "${range.name}" f WHERE NOT (${expiredFinding})) AS held`,
        [cut.closedFindingsDays],
      );
      if (held) {
        closedFindings += await inBatches(`"${range.name}"`, expiredFinding, [
          cut.closedFindingsDays,
        ]);
        continue;
      }
      await drop(range.name);
    }
    closedFindings += await inBatches(defaultPartitionOf(FINDING_PARTITIONS), expiredFinding, [
      cut.closedFindingsDays,
    ]);
    return { partitionsDropped: dropped, processedEvents, records, closedFindings };
  }

  /**
   * Finished scans older than the cutoff, with their finding links, except the scan a cursor
   * points at and the latest completed scan of each mode and method (the scheduler's choice
   * between a full and an incremental scan reads them, and the scanner's choice between digests
   * and the listing reference pass reads the latest full scan by listing).
   */
  private async pruneScans(
    runner: QueryRunner,
    cutoff: Date,
    inBatches: InBatches,
  ): Promise<number> {
    const prunable = `SELECT s.id FROM scans s
       WHERE s.status IN ('completed', 'failed') AND s.finished_at < $1
         AND NOT EXISTS (SELECT 1 FROM scan_cursors c WHERE c.scan_id = s.id)
         AND s.id NOT IN (SELECT DISTINCT ON (mode, method) id FROM scans
                           WHERE status = 'completed' ORDER BY mode, method, finished_at DESC)`;
    await inBatches('scan_findings', `scan_id IN (${prunable})`, [cutoff]);
    // Raw SQL: DISTINCT ON (each mode and method's latest completed scan) is beyond the builder.
    const [, deleted] = await runner.manager.query<[unknown, number]>(
      `DELETE FROM scans WHERE id IN (${prunable})`,
      [cutoff],
    );
    return deleted;
  }
}
