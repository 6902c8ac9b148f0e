/**
 * The checker service's handlers: three subscriptions, each feeding its own `CheckRunner`.
 *
 * - `bridge.internal.checks`: fresh check work from ingest, in batches.
 * - `bridge.internal.checks.recheck`: grace-delay re-checks (and checks another checker held),
 *   each handled no earlier than its `not_before`.
 * - `bridge.internal.checks.retry`: delayed retries after a component stayed unreachable.
 *
 * Each is its own consumer group, so waiting for a delayed item never holds up fresh work, and
 * a long retry delay never holds up a short re-check.
 */
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { CheckRunner, ComponentReader } from '@bridge/checks';
import { Topics, type CheckRequested } from '@bridge/contracts';
import {
  EventPublisher,
  EventSubscriber,
  type BatchContext,
  type Subscription,
} from '@bridge/messaging';
import { CheckLeases, SyncEventLog } from '@bridge/store';

@Injectable()
export class CheckWorkConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CheckWorkConsumer');
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    private readonly subscriber: EventSubscriber,
    private readonly publisher: EventPublisher,
    private readonly components: ComponentReader,
    private readonly log: SyncEventLog,
    private readonly leases: CheckLeases,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const group = `${this.config.consumerGroupPrefix}-checker`;
    const fresh = this.runnerFor(group);
    this.subscriptions.push(
      await this.subscriber.subscribe({
        groupId: group,
        topics: [Topics.BridgeInternalChecks],
        batchHandler: (events, context) => this.run(fresh, events, context),
        maxBatchSize: this.config.checks.batchSize,
      }),
    );
    for (const [suffix, topic] of [
      ['recheck', Topics.BridgeInternalChecksRecheck],
      ['retry', Topics.BridgeInternalChecksRetry],
    ] as const) {
      const delayed = this.runnerFor(`${group}-${suffix}`);
      this.subscriptions.push(
        await this.subscriber.subscribe({
          groupId: `${group}-${suffix}`,
          topics: [topic],
          batchHandler: (events, context) => this.run(delayed, events, context),
          maxBatchSize: this.config.checks.batchSize,
          notBefore: (event: CheckRequested) => event.not_before,
        }),
      );
    }
    this.logger.log('consuming check work');
  }

  /** Before the store and the clients close, so an in-flight batch can finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.subscriptions.map((subscription) => subscription.stop()));
  }

  private async run(
    runner: CheckRunner,
    events: Array<{ event: CheckRequested }>,
    context: BatchContext,
  ): Promise<void> {
    const started = Date.now();
    const summary = await runner.runBatch(
      events.map((e) => e.event),
      () => context.keepAlive(),
    );
    this.logger.debug(
      `${events.length} check(s) in ${Date.now() - started} ms: ${summary.findings} finding(s), ${summary.delayed} delayed, ${summary.skipped} already done`,
    );
  }

  private runnerFor(group: string): CheckRunner {
    return new CheckRunner({
      components: this.components,
      log: this.log,
      leases: this.leases,
      publisher: this.publisher,
      checks: this.config.checks,
      strategies: this.config.repairStrategies,
      holder: `${group}#${randomUUID()}`,
    });
  }
}
