/**
 * Drives the `Scanner` in a scanner process: asks for a scan at every tick of the configured
 * cron schedule (croner; `SCAN_SCHEDULE`, `SCAN_TIMEZONE`), and polls in a `WorkLoop` every
 * `SCAN_POLL_INTERVAL_MS` for an active scan to carry out (requested here, by the API, or left
 * running by a scanner that died), cut short by `nudge` when a scan is asked for in this
 * process. One scanner at a time wins the scan lock; the others find it busy and poll again.
 *
 * Stopping aborts the scan in progress between two pages; it stays `running` with its
 * checkpoint, and whichever scanner polls next continues it.
 */
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Cron } from 'croner';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { errorMessage } from '@bridge/errors';
import { WorkLoop } from '@bridge/runtime';
import { BridgeMetrics } from '@bridge/metrics';
import { scanProgressSamples } from './scan-decisions';
import { Scanner, type ScanRequest } from './scanner';
import { ScanStore, type Scan } from '@bridge/store';

@Injectable()
export class ScanScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ScanScheduler');
  private cron?: Cron;
  private readonly loop: WorkLoop;
  private readonly removeProgressSource: () => void;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    private readonly scanner: Scanner,
    scans: ScanStore,
  ) {
    this.loop = new WorkLoop({
      name: 'scan poll',
      idleMs: config.scan.pollIntervalMs,
      pass: async (signal) => {
        const outcome = await this.scanner.runActive(signal);
        return outcome !== 'none' && outcome !== 'busy' && outcome !== 'stopped';
      },
      logger: this.logger,
    });
    this.removeProgressSource = BridgeMetrics.scanProgress.addSource(async () => {
      const active = await scans.active();
      return active ? scanProgressSamples(active, Date.now()) : [];
    });
  }

  onApplicationBootstrap(): void {
    const { schedule, timezone } = this.config.scan;
    if (schedule) {
      this.cron = new Cron(schedule, { timezone, protect: true }, () => this.tick());
      this.logger.log(
        `scans scheduled at "${schedule}" (${timezone}); next at ${this.cron.nextRun()?.toISOString() ?? 'never'}`,
      );
    } else {
      this.logger.log('no scan schedule (SCAN_SCHEDULE=off): scans run on demand');
    }
    this.loop.start();
  }

  /** Asks for a scan now (the service operation the API and tests call). */
  async requestScan(request: Omit<ScanRequest, 'trigger'> = {}): Promise<Scan> {
    const scan = await this.scanner.request({ ...request, trigger: 'manual' });
    this.nudge();
    return scan;
  }

  async onModuleDestroy(): Promise<void> {
    this.removeProgressSource();
    this.cron?.stop();
    await this.loop.stop();
  }

  private nudge(): void {
    this.loop.nudge();
  }

  private async tick(): Promise<void> {
    try {
      const scan = await this.scanner.scheduledTick();
      if (scan) this.nudge();
      else this.logger.log('scheduled scan skipped: a scan is already in progress');
    } catch (error) {
      this.logger.warn(`could not ask for the scheduled scan: ${errorMessage(error)}`);
    }
  }
}

/** Identity of this process's scanner as a scan row's holder. */
export const scannerHolder = (): string => `scanner#${randomUUID()}`;
