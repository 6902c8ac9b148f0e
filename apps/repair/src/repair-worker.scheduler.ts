/**
 * Drives the `RepairWorker`: pass after pass while there is work, pausing
 * `REPAIR_INTERVAL_MS` when a pass found nothing to do (cut short by `nudge` when a consumer
 * brings new work). A failed pass (the database or a
 * component down) is logged and retried after the pause; leases make a pass cut short by a
 * crash harmless. Stopping waits for the pass in progress, so no step is left half-recorded.
 */
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { ComponentClients } from '@bridge/components';
import { errorMessage } from '@bridge/errors';
import { IdlePause } from '@bridge/runtime';
import { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import { RepairWorker } from '@bridge/repair';
import { RepairJobStore, StoreTransactions, SyncEventLog } from '@bridge/store';

@Injectable()
export class RepairWorkerScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RepairWorker');
  readonly worker: RepairWorker;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly idle = new IdlePause();
  /** Set when work arrived during a pass, so the loop does not pause after it. */
  private nudged = false;
  private readonly removeBacklogSource: () => void;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    jobs: RepairJobStore,
    log: SyncEventLog,
    transactions: StoreTransactions,
    @Inject(ComponentClients) components: ComponentClients,
    publisher: EventPublisher,
  ) {
    this.worker = new RepairWorker({
      jobs,
      log,
      transactions,
      components,
      publisher,
      settings: config.repair,
      owner: `repair#${randomUUID()}`,
    });
    this.removeBacklogSource = BridgeMetrics.outboxBacklog.addSource(async () => [
      { labels: { kind: 'repairs' }, value: await jobs.countOwed() },
    ]);
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  /** New work arrived (a finding, a run confirmed): pass now instead of after the pause. */
  nudge(): void {
    this.nudged = true;
    this.idle.cutShort();
  }

  async onModuleDestroy(): Promise<void> {
    this.removeBacklogSource();
    this.stopped = true;
    this.idle.cutShort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.nudged = false;
      let idle = true;
      try {
        idle = (await this.worker.pass()).total === 0;
      } catch (error) {
        this.logger.warn(`repair pass failed, trying again shortly: ${errorMessage(error)}`);
      }
      if (idle && !this.nudged && !this.stopped)
        await this.idle.wait(this.config.repair.intervalMs);
    }
  }
}
