/**
 * Drives the `RepairWorker` in a `WorkLoop`: pass after pass while there is work, pausing
 * `REPAIR_INTERVAL_MS` when a pass found nothing to do (cut short by `nudge` when a consumer
 * brings new work). A failed pass (the database or a component down) is logged and retried
 * after the pause; leases make a pass cut short by a crash harmless. Stopping waits for the
 * pass in progress, so no step is left half-recorded.
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
import { HttpComponentReader } from '@bridge/checks';
import { ComponentClients } from '@bridge/components';
import { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import { RepairWorker } from './repair-worker';
import { WorkLoop } from '@bridge/runtime';
import { RepairJobStore, StoreTransactions, SyncEventLog } from '@bridge/store';

@Injectable()
export class RepairWorkerScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  readonly worker: RepairWorker;
  private readonly loop: WorkLoop;
  private readonly removeBacklogSource: () => void;

  constructor(
    @Inject(BRIDGE_CONFIG) config: BridgeConfig,
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
      reader: new HttpComponentReader(components.cappella, components.hippo, components.canon),
      publisher,
      settings: config.repair,
      holder: `repair#${randomUUID()}`,
    });
    this.loop = new WorkLoop({
      name: 'repair pass',
      idleMs: config.repair.intervalMs,
      pass: async () => (await this.worker.pass()).total > 0,
      logger: new Logger('RepairWorker'),
    });
    this.removeBacklogSource = BridgeMetrics.outboxBacklog.addSource(async () => [
      { labels: { kind: 'repairs' }, value: await jobs.countOwed() },
    ]);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** Resolves once `count` passes begun from now have ended (see `WorkLoop.afterPasses`). */
  afterPasses(count: number): Promise<void> {
    return this.loop.afterPasses(count);
  }

  /** New work arrived (a finding, a run confirmed): pass now instead of after the pause. */
  nudge(): void {
    this.loop.nudge();
  }

  async onModuleDestroy(): Promise<void> {
    this.removeBacklogSource();
    await this.loop.stop();
  }
}
