/**
 * Writes this process's status report to the store every `STATUS_REPORT_INTERVAL_MS`: what it
 * did over the last interval (`snapshotBetween` of two metric readings), its consumers' lag and
 * its circuit states. The API's operations overview reads the reports of every process, which
 * is how the console shows a distributed deployment. On a graceful stop the row is marked
 * stopped; a process that crashed simply stops reporting, and its row ages out.
 */
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { errorMessage } from '@bridge/errors';
import { readMetrics, snapshotBetween, type MetricsReading } from '@bridge/metrics';
import { ServiceStatusStore } from '@bridge/store';
import { SERVICE_NAME } from './service-name';
import { WorkLoop } from './work-loop';

/** Reports of processes silent for this long are deleted (a day of history for the crashed). */
const FORGET_AFTER_MS = 24 * 3_600_000;

@Injectable()
export class ServiceStatusReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ServiceStatus');
  readonly instance: string;
  private readonly startedAt = new Date();
  private previous?: MetricsReading;
  private readonly loop: WorkLoop;
  private failing = false;

  constructor(
    @Inject(BRIDGE_CONFIG) config: BridgeConfig,
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly store: ServiceStatusStore,
  ) {
    this.instance = `${service}#${randomUUID().slice(0, 8)}`;
    this.loop = new WorkLoop({
      name: 'status report',
      idleMs: config.statusReportIntervalMs,
      pass: async () => {
        await this.report();
        return false;
      },
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.store.stopped(this.instance, new Date()).catch(() => undefined);
  }

  /** Reads the metrics and writes the report; a failure is logged once until it recovers. */
  async report(): Promise<void> {
    try {
      const reading = await readMetrics();
      const previous = this.previous ?? { ...reading, at: this.startedAt.getTime() };
      this.previous = reading;
      await this.store.report({
        instance: this.instance,
        service: this.service,
        startedAt: this.startedAt,
        reportedAt: new Date(reading.at),
        snapshot: { ...snapshotBetween(previous, reading) },
      });
      await this.store.forgetSilentSince(new Date(reading.at - FORGET_AFTER_MS));
      if (this.failing) this.logger.log('status reports written again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(`status report not written, trying again: ${errorMessage(error)}`);
      }
      this.failing = true;
    }
  }
}
