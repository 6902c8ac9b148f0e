/**
 * Runs the `OutboxRelay` in a service that records findings (the checker, the scanner), on a
 * `WorkLoop`: once at start-up, then every `OUTBOX_RELAY_INTERVAL_MS`, so a finding whose publish
 * was cut short by a crash goes out without waiting for anything else to happen. A pass sends
 * everything owed; a failed pass is logged and tried again after the interval.
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import { WorkLoop } from '@bridge/runtime';
import { SyncEventLog } from '@bridge/store';
import { OutboxRelay } from './outbox-relay';

@Injectable()
export class OutboxRelayScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private readonly loop: WorkLoop;
  private readonly removeBacklogSource: () => void;

  constructor(
    @Inject(BRIDGE_CONFIG) config: BridgeConfig,
    log: SyncEventLog,
    publisher: EventPublisher,
  ) {
    const relay = new OutboxRelay(log, publisher, config.outbox.minAgeMs);
    this.loop = new WorkLoop({
      name: 'outbox relay',
      idleMs: config.outbox.relayIntervalMs,
      pass: async () => {
        const sent = await relay.relay();
        if (sent > 0) this.logger.warn(`re-published ${sent} owed outbound event(s)`);
        return false;
      },
      logger: this.logger,
    });
    this.removeBacklogSource = BridgeMetrics.outboxBacklog.addSource(async () => [
      { labels: { kind: 'findings' }, value: await log.countOwed() },
    ]);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.removeBacklogSource();
    await this.loop.stop();
  }
}
