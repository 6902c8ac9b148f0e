/**
 * Runs `StoreMaintenance` in every service process: a first run a little after start-up (a
 * random part of a minute, so processes started together do not all try at once), then every
 * `STORE_MAINTENANCE_INTERVAL_MS`. The advisory lock inside makes exactly one process do the
 * work each time; the others find it taken and wait for their next turn. A failed run (the
 * database down) is logged and tried again at the next turn.
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
import { errorMessage } from '@bridge/errors';
import { StoreMaintenance, type MaintenanceReport } from '@bridge/store';

/** The first run comes within this long after start-up. */
const FIRST_RUN_WITHIN_MS = 60_000;

@Injectable()
export class StoreMaintenanceScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StoreMaintenance');
  private readonly maintenance: StoreMaintenance;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    @Inject(DataSource) dataSource: DataSource,
  ) {
    this.maintenance = new StoreMaintenance(dataSource, config.maintenance.retention);
  }

  onApplicationBootstrap(): void {
    const first = Math.floor(
      Math.random() * Math.min(FIRST_RUN_WITHIN_MS, this.config.maintenance.intervalMs),
    );
    this.timer = setTimeout(() => this.tick(), first);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    this.running = this.maintenance
      .runOnce()
      .then((report) => this.log(report))
      .catch((error: unknown) => {
        this.logger.warn(
          `store maintenance failed, trying at the next turn: ${errorMessage(error)}`,
        );
      })
      .finally(() => {
        this.running = undefined;
        this.timer = setTimeout(() => this.tick(), this.config.maintenance.intervalMs);
        this.timer.unref();
      });
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
