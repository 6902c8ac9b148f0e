/**
 * The checker service's consumers: five topics, each its own consumer group feeding its own
 * `CheckRunner`.
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
import { CheckRunner, ComponentReader } from '@bridge/checks';
import { Topics, type CheckRequested, type RetryTierTopic } from '@bridge/contracts';
import {
  BridgeEventContext,
  ConsumeEvents,
  EventPublisher,
  type ReceivedEvent,
} from '@bridge/messaging';
import { CheckLeases, SyncEventLog } from '@bridge/store';

type CheckTopic =
  typeof Topics.BridgeInternalChecks | typeof Topics.BridgeInternalChecksRecheck | RetryTierTopic;

/**
 * Consumer group of fresh check work, before the deployment's prefix; the delayed topics'
 * groups are named after it (`checker-recheck`, `checker-retry-1` to `-3`).
 */
export const CHECKER_GROUP = 'checker';

/** Delayed topics hold each item until its `not_before`. */
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
  ) {}

  @ConsumeEvents(Topics.BridgeInternalChecks, { group: CHECKER_GROUP, batch: true })
  fresh(
    @Payload() events: Array<ReceivedEvent<CheckTopic>>,
    @Ctx() context: BridgeEventContext,
  ): Promise<void> {
    return this.run(events, context);
  }

  @ConsumeEvents(Topics.BridgeInternalChecksRecheck, {
    group: `${CHECKER_GROUP}-recheck`,
    batch: true,
    notBefore,
  })
  recheck(
    @Payload() events: Array<ReceivedEvent<CheckTopic>>,
    @Ctx() context: BridgeEventContext,
  ): Promise<void> {
    return this.run(events, context);
  }

  @ConsumeEvents(Topics.BridgeInternalChecksRetry1, {
    group: `${CHECKER_GROUP}-retry-1`,
    batch: true,
    notBefore,
  })
  retryTier1(
    @Payload() events: Array<ReceivedEvent<CheckTopic>>,
    @Ctx() context: BridgeEventContext,
  ): Promise<void> {
    return this.run(events, context);
  }

  @ConsumeEvents(Topics.BridgeInternalChecksRetry2, {
    group: `${CHECKER_GROUP}-retry-2`,
    batch: true,
    notBefore,
  })
  retryTier2(
    @Payload() events: Array<ReceivedEvent<CheckTopic>>,
    @Ctx() context: BridgeEventContext,
  ): Promise<void> {
    return this.run(events, context);
  }

  @ConsumeEvents(Topics.BridgeInternalChecksRetry3, {
    group: `${CHECKER_GROUP}-retry-3`,
    batch: true,
    notBefore,
  })
  retryTier3(
    @Payload() events: Array<ReceivedEvent<CheckTopic>>,
    @Ctx() context: BridgeEventContext,
  ): Promise<void> {
    return this.run(events, context);
  }

  private async run(
    events: Array<ReceivedEvent<CheckTopic>>,
    context: BridgeEventContext,
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
        leases: this.leases,
        publisher: this.publisher,
        checks: this.config.checks,
        strategies: this.config.repairStrategies,
        holder: `${group}#${randomUUID()}`,
      });
      this.runners.set(group, runner);
    }
    return runner;
  }
}
