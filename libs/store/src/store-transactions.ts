/**
 * Writes that must commit or roll back together, without the caller touching TypeORM: `run`
 * opens a transaction and hands the work the store's repositories bound to it. Ingest uses it
 * to claim a batch's event ids, record its facts and settle findings as one unit, and the
 * repair service to close a job and resolve its finding together.
 */
import type { DataSource } from 'typeorm';
import { FindingOperatorActions } from './finding-operator-actions';
import { ProcessedInboundEvents } from './processed-inbound-events';
import { RepairJobStore } from './repair-jobs';
import { KnownRunIds } from './known-run-ids';
import { ScanCursorStore } from './scan-cursors';
import { ScanStore } from './scan-store';
import { SyncEventLog } from './sync-event-log';

/** The repositories of one transaction: every call on them belongs to it. */
export interface StoreTransaction {
  log: SyncEventLog;
  findingActions: FindingOperatorActions;
  processed: ProcessedInboundEvents;
  repairs: RepairJobStore;
  scans: ScanStore;
  scanCursors: ScanCursorStore;
  knownRuns: KnownRunIds;
}

export class StoreTransactions {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction; it commits when `work` resolves, rolls back if it throws.
   *
   * With `waitForDisk: false` the commit returns before the database has flushed it
   * (`synchronous_commit = off`): a database crash may then lose the last such transactions,
   * whole, never a part of one. Only for work whose loss costs a repetition and nothing else,
   * such as a scan page that found nothing (the scan reads it again).
   */
  run<T>(
    work: (tx: StoreTransaction) => Promise<T>,
    options: { waitForDisk?: boolean } = {},
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      if (options.waitForDisk === false) await manager.query('SET LOCAL synchronous_commit = off');
      return work({
        log: new SyncEventLog(manager),
        findingActions: new FindingOperatorActions(manager),
        processed: new ProcessedInboundEvents(manager),
        repairs: new RepairJobStore(manager),
        scans: new ScanStore(manager),
        scanCursors: new ScanCursorStore(manager),
        knownRuns: new KnownRunIds(manager),
      });
    });
  }
}
