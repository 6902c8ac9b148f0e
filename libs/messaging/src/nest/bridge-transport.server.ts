/**
 * Bridge's NestJS transport strategy: `@ConsumeEvents` handlers become subscriptions of the
 * shared consumer loop, on whichever transport the configuration names (Kafka or in-process).
 *
 * Nest registers every `@EventPattern` handler here (`addHandler`); at `listen` the handlers are
 * grouped into consumer groups (`planConsumers`) and each group subscribes once through
 * `EventSubscriber`. Everything the loop guarantees stays with the loop: manual commits after a
 * message is handled or dead-lettered, batches with per-event isolation, retries with backoff,
 * delayed delivery, holding through outages. This class only adapts Nest's handler calling
 * convention (data, context, Observable results) to the loop's handlers.
 *
 * Consumers stop in `beforeApplicationShutdown`, before the HTTP server, the component clients
 * and the store close, so a batch in hand finishes with everything it needs still open.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import type { Topic } from '@bridge/contracts';
import {
  EventSubscriber,
  type BatchContext,
  type ReceivedEvent,
  type Subscription,
  type SubscriptionSpec,
} from '../event-bus';
import { BridgeEventContext } from './bridge-event-context';
import { planConsumers, type ConsumerPlan, type DeclaredHandler } from './consumer-plan';

@Injectable()
export class BridgeTransportServer
  extends Server
  implements CustomTransportStrategy, BeforeApplicationShutdown
{
  private readonly declared: DeclaredHandler<MessageHandler>[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly log = new Logger('BridgeTransportServer');
  private stopping?: Promise<void>;

  constructor(
    private readonly subscriber: EventSubscriber,
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
  ) {
    super();
  }

  /**
   * Nest chains event handlers of the same pattern and calls them all at once; Bridge keeps
   * each one apart, because two consumer groups on one topic are two independent consumers.
   */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    this.declared.push({
      pattern: this.normalizePattern(pattern as string),
      handler: callback,
      isEventHandler,
      extras,
    });
  }

  listen(callback: (error?: unknown) => void): void {
    this.subscribeAll().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /**
   * Stops every consumer after the batch in hand; committed progress is kept. What the
   * in-process bus still holds is handled first, for at most `SHUTDOWN_DRAIN_MS`.
   */
  close(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.subscriptions.length > 0) {
        const drained = await this.subscriber.drain(this.config.shutdownDrainMs);
        if (!drained) this.log.warn('stopping with events still queued in this process');
      }
      const subscriptions = this.subscriptions.splice(0);
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    })();
    return this.stopping;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Groups names of the consumers this server runs, prefix included (for logs and tests). */
  consumerGroups(): string[] {
    return planConsumers(this.declared).map((plan) => this.groupId(plan.group));
  }

  on(): never {
    throw new Error('BridgeTransportServer has no transport events to listen to');
  }

  unwrap<T>(): T {
    return this.subscriber as T;
  }

  private async subscribeAll(): Promise<void> {
    for (const plan of planConsumers(this.declared)) {
      if (this.stopping) return;
      const subscription = await this.subscriber.subscribe(this.specFor(plan));
      if (this.stopping) {
        // A stop came while this one was subscribing: `close` has already taken the others.
        await subscription.stop();
        return;
      }
      this.subscriptions.push(subscription);
      this.log.log(`consuming ${plan.topics.join(', ')} as ${this.groupId(plan.group)}`);
    }
  }

  private specFor(plan: ConsumerPlan<MessageHandler>): SubscriptionSpec<Topic> {
    const groupId = this.groupId(plan.group);
    const common = {
      groupId,
      topics: plan.topics,
      fromBeginning: plan.options.fromBeginning,
      notBefore: plan.options.notBefore,
    };
    if (!plan.options.batch) {
      return {
        ...common,
        handler: (received) =>
          this.invoke(plan, received.topic, received, { keepAlive: async () => {} }),
      };
    }
    return {
      ...common,
      maxBatchSize: plan.options.maxBatchSize ?? this.config.checks.batchSize,
      batchHandler: async (events, context) => {
        // A Kafka batch holds one partition of one topic; the in-process bus may mix topics:
        // each topic's handler gets its stretch of the batch, in publish order.
        for (const stretch of topicStretches(events)) {
          await this.invoke(plan, stretch[0].topic, stretch, context);
        }
      },
    };
  }

  private async invoke(
    plan: ConsumerPlan<MessageHandler>,
    topic: Topic,
    data: ReceivedEvent | ReceivedEvent[],
    batch: BatchContext,
  ): Promise<void> {
    const handler = plan.handlers.get(topic);
    if (!handler) throw new Error(`no handler for ${topic} in ${plan.group}`);
    const context = new BridgeEventContext(topic, this.groupId(plan.group), batch);
    const result: unknown = await handler(data, context);
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private groupId(group: string): string {
    return `${this.config.consumerGroupPrefix}-${group}`;
  }
}

/** Consecutive events of the same topic, in order: `[a1 a2 b1 a3]` → `[a1 a2] [b1] [a3]`. */
function topicStretches(events: readonly ReceivedEvent[]): ReceivedEvent[][] {
  const stretches: ReceivedEvent[][] = [];
  for (const received of events) {
    const last = stretches.at(-1);
    if (last && last[0].topic === received.topic) last.push(received);
    else stretches.push([received]);
  }
  return stretches;
}
