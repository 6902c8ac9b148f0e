/**
 * The checker service's consumer: one handler for five topics, each read by its own consumer
 * group feeding its own `CheckRunner`.
 *
 * - `bridge.internal.checks`: fresh check work from ingest, in batches.
 * - `bridge.internal.checks.recheck`: grace-delay re-checks (and checks another checker held),
 *   each handled no earlier than its `not_before`.
 * - `bridge.internal.checks.retry.1` to `.3`: delayed retries after a component stayed
 *   unreachable, one topic per tier of `CHECK_RETRY_DELAYS_MS`.
 *
 * Separate groups, so waiting for a delayed item never holds up fresh work, and a long retry
 * delay never holds up a short re-check or a shorter retry tier.
 */
import { randomUUID } from 'node:crypto';
import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { CheckRunner } from './check-runner';
import { ComponentReader } from './component-reader';
import {
  RETRY_TIER_TOPICS,
  Topics,
  type CheckRequested,
  type RetryTierTopic,
} from '@bridge/contracts';
import {
  BridgeEventContext,
  ConsumeEvents,
  EventPublisher,
  type ReceivedEvent,
} from '@bridge/messaging';
import { CheckLeases, StoreTransactions, SyncEventLog } from '@bridge/store';

type CheckTopic =
  typeof Topics.BridgeInternalChecks | typeof Topics.BridgeInternalChecksRecheck | RetryTierTopic;

const CHECK_TOPICS: readonly CheckTopic[] = [
  Topics.BridgeInternalChecks,
  Topics.BridgeInternalChecksRecheck,
  ...RETRY_TIER_TOPICS,
];

/**
 * Consumer group of fresh check work, before the deployment's prefix; the delayed topics'
 * groups are named after it (`checker-recheck`, `checker-retry-1` to `-3`).
 */
export const CHECKER_GROUP = 'checker';

/** The consumer group that reads `topic` (before the deployment's prefix). */
export function checkerGroupOf(topic: CheckTopic): string {
  if (topic === Topics.BridgeInternalChecks) return CHECKER_GROUP;
  if (topic === Topics.BridgeInternalChecksRecheck) return `${CHECKER_GROUP}-recheck`;
  return `${CHECKER_GROUP}-retry-${RETRY_TIER_TOPICS.indexOf(topic) + 1}`;
}

/** Delayed topics hold each item until its `not_before`; fresh work has none. */
const notBefore = (event: CheckRequested) => event.not_before;

@Controller()
export class CheckWorkController {
  private readonly logger = new Logger('CheckWorkController');
  private readonly runners = new Map<string, CheckRunner>();

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    private readonly publisher: EventPublisher,
    private readonly components: ComponentReader,
    private readonly log: SyncEventLog,
    private readonly leases: CheckLeases,
    private readonly transactions: StoreTransactions,
  ) {}

  @ConsumeEvents(CHECK_TOPICS, { group: checkerGroupOf, batch: true, notBefore })
  async check(
    @Payload() events: Array<ReceivedEvent<CheckTopic>>,
    @Ctx() context: BridgeEventContext,
  ): Promise<void> {
    const started = Date.now();
    const summary = await this.runnerFor(context.getGroupId()).runBatch(
      events.map((e) => e.event),
      () => context.keepAlive(),
    );
    this.logger.debug(
      `${events.length} check(s) in ${Date.now() - started} ms: ${summary.findings} finding(s), ${summary.delayed} delayed, ${summary.skipped} already done`,
    );
  }

  /** One runner per consumer group, each holding leases under its own identity. */
  private runnerFor(group: string): CheckRunner {
    let runner = this.runners.get(group);
    if (!runner) {
      runner = new CheckRunner({
        components: this.components,
        log: this.log,
        transactions: this.transactions,
        leases: this.leases,
        publisher: this.publisher,
        checks: this.config.checks,
        strategies: this.config.repairStrategies,
        consumerGroup: group,
        holder: `${group}#${randomUUID()}`,
      });
      this.runners.set(group, runner);
    }
    return runner;
  }
}
