/**
 * Carries repair jobs through their states: the repair service's loop around the pure rules of
 * `repair-decisions.ts`. A pass runs every step side by side, each taking a batch of jobs
 * leased to this worker so that other repair instances take other jobs:
 * 1. plan PENDING jobs (`RepairPlanning`),
 * 2. execute PLANNED jobs, after looking again (`RepairExecution`),
 * 3. confirm EXECUTING jobs against the components (`RepairConfirmation`),
 * 4. announce confirmed repairs on `bridge.sync.repaired` (an outbox on the job row),
 * and ends approval waits that lasted too long as EXPIRED.
 */
import { Logger } from '@nestjs/common';
import type { RepairConfig } from '@bridge/config';
import { Topics, type SyncRepaired } from '@bridge/contracts';
import type { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import type { RepairJobStore, StoreTransactions, SyncEventLog } from '@bridge/store';
import type { ComponentReader } from '@bridge/checks';
import { repairedEventFor } from './repair-decisions';
import { RepairConfirmation } from './repair-confirmation';
import { RepairExecution } from './repair-execution';
import { RepairJobSteps } from './repair-job-steps';
import { RepairPlanning } from './repair-planning';
import type { RepairComponents } from './repair-components';

export type { RepairComponents } from './repair-components';

export interface RepairWorkerDeps {
  jobs: RepairJobStore;
  /** What the worker reads to check a plan again just before acting. */
  reader: ComponentReader;
  log: SyncEventLog;
  transactions: StoreTransactions;
  components: RepairComponents;
  publisher: EventPublisher;
  settings: RepairConfig;
  /** Lease holder identity: unique per worker. */
  holder: string;
  now?: () => number;
}

export interface PassSummary {
  planned: number;
  executed: number;
  confirmed: number;
  announced: number;
}

export class RepairWorker {
  private readonly logger = new Logger('RepairWorker');
  private readonly now: () => number;

  private readonly planning: RepairPlanning;
  private readonly execution: RepairExecution;
  private readonly confirmation: RepairConfirmation;

  constructor(private readonly deps: RepairWorkerDeps) {
    this.now = deps.now ?? Date.now;
    const steps = new RepairJobSteps(deps.jobs, deps.settings, deps.holder);
    const shared = { ...deps, now: this.now };
    this.planning = new RepairPlanning(shared, steps);
    this.execution = new RepairExecution(shared, steps);
    this.confirmation = new RepairConfirmation(shared, steps, this.execution);
  }

  /**
   * One pass over every step; the total says whether there was anything to do. The steps claim
   * jobs in different states, so they run side by side: a pass takes as long as its slowest
   * step, not the sum of them.
   */
  async pass(): Promise<PassSummary & { total: number }> {
    const started = this.now();
    const timed = async (step: () => Promise<number>): Promise<[number, number]> => {
      const count = await step();
      return [count, this.now() - started];
    };
    const [[planned, planMs], [executed, executeMs], [confirmed, confirmMs]] = await Promise.all([
      timed(() => this.planDue()),
      timed(() => this.execution.executeDue()),
      timed(() => this.confirmation.confirmDue()),
    ]);
    const announced = await this.announceOwed();
    const expired = await this.expireApprovals();
    if (planned + executed + confirmed + announced > 0) {
      this.logger.debug(
        `pass: planned ${planned} (${planMs} ms), executed ${executed} (${executeMs} ms), confirmed ${confirmed} (${confirmMs} ms), announced ${announced} (${this.now() - started} ms in all)`,
      );
    }
    return {
      planned,
      executed,
      confirmed,
      announced,
      total: planned + executed + confirmed + announced + expired,
    };
  }

  /** Step 1 alone (tests drive planning by itself). */
  planDue(): Promise<number> {
    return this.planning.planDue();
  }

  // ---- approvals that waited too long ----------------------------------------------------

  /** Ends the approval waits that are over as EXPIRED; returns how many. */
  async expireApprovals(): Promise<number> {
    const expired = await this.deps.jobs.expireApprovals();
    if (expired.length > 0) BridgeMetrics.approvalsExpired.inc(expired.length);
    for (const job of expired) {
      this.logger.warn(`repair ${job.id} of finding ${job.syncEventId} expired awaiting approval`);
    }
    return expired.length;
  }

  // ---- 4. announcement --------------------------------------------------------------------

  /** Publishes the `bridge.sync.repaired` that confirmed jobs owe. */
  async announceOwed(): Promise<number> {
    return this.deps.jobs.relayOwed(this.deps.settings.batchSize, async (jobs) => {
      const events: SyncRepaired[] = jobs.map((job) => repairedEventFor(job, this.now()));
      await this.deps.publisher.publishMany(
        Topics.BridgeSyncRepaired,
        events.map((event) => ({ event, key: event.run_id ?? event.sync_event_id })),
      );
    });
  }
}
