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

/** Reports of processes silent for this long are deleted (a day of history for the crashed). */
const FORGET_AFTER_MS = 24 * 3_600_000;

@Injectable()
export class ServiceStatusReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ServiceStatus');
  readonly instance: string;
  private readonly startedAt = new Date();
  private previous?: MetricsReading;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly store: ServiceStatusStore,
  ) {
    this.instance = `${service}#${randomUUID().slice(0, 8)}`;
  }

  onApplicationBootstrap(): void {
    this.running = this.report();
    this.timer = setInterval(() => {
      this.running ??= this.report();
    }, this.config.statusReportIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
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
    } finally {
      this.running = undefined;
    }
  }
}
