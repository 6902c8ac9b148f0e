/**
 * Runs `StoreMaintenance` in every service process, on a `WorkLoop`: a first run a little after
 * start-up (a random part of a minute, so processes started together do not all try at once),
 * then every `STORE_MAINTENANCE_INTERVAL_MS`. The advisory lock inside makes exactly one process
 * do the work each time; the others find it taken and wait for their next turn. A failed run
 * (the database down) is logged and tried again at the next turn.
 */
import { BridgeMetrics } from '@bridge/metrics';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { StoreMaintenance, type MaintenanceReport } from '@bridge/store';
import { WorkLoop } from './work-loop';

/** The first run comes within this long after start-up. */
const FIRST_RUN_WITHIN_MS = 60_000;

@Injectable()
export class StoreMaintenanceScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StoreMaintenance');
  private readonly loop: WorkLoop;

  constructor(
    @Inject(BRIDGE_CONFIG) config: BridgeConfig,
    @Inject(DataSource) dataSource: DataSource,
  ) {
    const maintenance = new StoreMaintenance(dataSource, config.maintenance.retention);
    this.loop = new WorkLoop({
      name: 'store maintenance',
      idleMs: config.maintenance.intervalMs,
      startAfterMs: Math.floor(
        Math.random() * Math.min(FIRST_RUN_WITHIN_MS, config.maintenance.intervalMs),
      ),
      // One run per interval, whatever it found.
      pass: async () => {
        this.log(await maintenance.runOnce());
        return false;
      },
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  private log(report: MaintenanceReport | null): void {
    if (!report) return;
    BridgeMetrics.storeMaintenanceLastRun.set(Date.now() / 1000);
    const { partitionsCreated, partitionsDropped, partitionsDeferred, ...rows } = report;
    for (const { name, reason } of partitionsDeferred) {
      this.logger.warn(`store maintenance put ${name} off to its next run: ${reason}`);
    }
    BridgeMetrics.storePartitions.inc({ action: 'created' }, partitionsCreated.length);
    BridgeMetrics.storePartitions.inc({ action: 'dropped' }, partitionsDropped.length);
    const deleted = Object.entries(rows).filter(([, count]) => count > 0);
    for (const [kind, count] of deleted) BridgeMetrics.storeRowsPruned.inc({ kind }, count);
    const said = [
      ...(partitionsCreated.length > 0 ? [`created ${partitionsCreated.join(', ')}`] : []),
      ...(partitionsDropped.length > 0 ? [`dropped ${partitionsDropped.join(', ')}`] : []),
      ...(deleted.length > 0
        ? [`deleted ${deleted.map(([kind, count]) => `${kind} ${count}`).join(', ')}`]
        : []),
    ];
    if (said.length > 0) this.logger.log(`store maintenance: ${said.join('; ')}`);
  }
}
