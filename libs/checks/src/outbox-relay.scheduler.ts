/**
 * Runs the `OutboxRelay` in a service that records findings (the checker, the scanner): once
 * at start-up, then every `OUTBOX_RELAY_INTERVAL_MS`, so a finding whose publish was cut short
 * by a crash goes out without waiting for anything else to happen. A failed pass is logged and tried again at the
 * next tick.
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { errorMessage } from '@bridge/errors';
import { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import { SyncEventLog } from '@bridge/store';
import { OutboxRelay } from './outbox-relay';

@Injectable()
export class OutboxRelayScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private readonly relay: OutboxRelay;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly removeBacklogSource: () => void;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    log: SyncEventLog,
    publisher: EventPublisher,
  ) {
    this.relay = new OutboxRelay(log, publisher, config.outbox.minAgeMs);
    this.removeBacklogSource = BridgeMetrics.outboxBacklog.addSource(async () => [
      { labels: { kind: 'findings' }, value: await log.countOwed() },
    ]);
  }

  onApplicationBootstrap(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.config.outbox.relayIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.removeBacklogSource();
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.relay
      .relay()
      .then((sent) => {
        if (sent > 0) this.logger.warn(`re-published ${sent} owed outbound event(s)`);
      })
      .catch((error: unknown) => {
        this.logger.warn(`outbox relay failed, trying again later: ${errorMessage(error)}`);
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
