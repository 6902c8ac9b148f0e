/**
 * The embedded mode's event bus (seed §5.7 v0.1): publish and subscribe inside one process.
 *
 * It behaves like the Kafka transport where it matters to services: every event is validated and
 * Avro-encoded with the same schemas, each consumer group gets every event once, a group handles
 * one event at a time in publish order, and handler failures go through the same `ConsumerLoop`
 * retries and dead-lettering. It does not persist events: a restart loses what was in flight,
 * which the periodic full scan catches (the documented v0.1 trade-off).
 */
import { Logger } from '@nestjs/common';
import type { RetryConfig } from '@bridge/config';
import { DEAD_LETTER_TOPIC, type EventOf, type Topic } from '@bridge/contracts';
import { ConsumerLoop, SubscriptionStopped } from '../consumer-loop';
import {
  EventPublisher,
  EventSubscriber,
  type OutgoingEvent,
  type Subscription,
  type SubscriptionSpec,
} from '../event-bus';
import { LocalAvroCodec } from '../event-codec';
import type { RawMessage } from '../raw-message';

interface GroupQueue {
  topics: ReadonlySet<string>;
  loop: ConsumerLoop<Topic>;
  pending: RawMessage[];
  stopped: boolean;
  draining?: Promise<void>;
}

export class InProcessBus {
  readonly codec = new LocalAvroCodec();
  private readonly groups = new Map<string, GroupQueue>();
  private readonly offsets = new Map<string, bigint>();
  private readonly logger = new Logger('InProcessBus');

  constructor(private readonly retryConfig: RetryConfig) {}

  async publish<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    // Encode everything first: one invalid event refuses the whole call, like a Kafka send.
    const encoded = await Promise.all(
      events.map(async ({ event, key }) => ({
        key: key === undefined ? null : Buffer.from(key),
        value: await this.codec.encode(topic, event),
      })),
    );
    for (const { key, value } of encoded) {
      const offset = this.offsets.get(topic) ?? 0n;
      this.offsets.set(topic, offset + 1n);
      const message: RawMessage = { topic, partition: 0, offset: offset.toString(), key, value };
      let delivered = false;
      for (const group of this.groups.values()) {
        if (!group.topics.has(topic)) continue;
        group.pending.push(message);
        this.drain(group);
        delivered = true;
      }
      if (!delivered && topic === DEAD_LETTER_TOPIC) {
        this.logger.warn(`dead letter with no subscriber: ${value.length} bytes`);
      }
    }
  }

  subscribe<T extends Topic>(spec: SubscriptionSpec<T>): Subscription {
    if (this.groups.has(spec.groupId)) {
      throw new Error(`consumer group ${spec.groupId} is already subscribed on the in-process bus`);
    }
    const loop = new ConsumerLoop(
      spec,
      this.codec,
      (deadLetter, key) => this.publish(DEAD_LETTER_TOPIC, [{ event: deadLetter, key }]),
      this.retryConfig,
    ) as unknown as ConsumerLoop<Topic>;
    const group: GroupQueue = {
      topics: new Set(spec.topics),
      loop,
      pending: [],
      stopped: false,
    };
    this.groups.set(spec.groupId, group);
    return {
      stop: async () => {
        this.groups.delete(spec.groupId);
        group.stopped = true;
        group.pending.length = 0;
        await group.draining;
      },
    };
  }

  /** Resolves once every group has handled everything published so far (for tests and shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.groups.values()]
        .map((group) => group.draining)
        .filter((draining): draining is Promise<void> => draining !== undefined);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  private drain(group: GroupQueue): void {
    if (group.draining) return;
    group.draining = (async () => {
      while (group.pending.length > 0 && !group.stopped) {
        const messages = group.pending.splice(0, group.pending.length);
        const done = new Set<RawMessage>();
        try {
          await group.loop.processBatch(messages, {
            keepAlive: () => Promise.resolve(),
            shouldStop: () => group.stopped,
            onDone: (message) => done.add(message),
          });
        } catch (error) {
          if (error instanceof SubscriptionStopped) return;
          const lost = messages.filter((message) => !done.has(message));
          this.logger.error(
            `${lost.length} event(s) lost: could not dead-letter ${lost[0]?.topic}: ${String(error)}`,
          );
        }
      }
    })().finally(() => {
      group.draining = undefined;
      // A publish may have queued a message after the loop saw an empty queue.
      if (group.pending.length > 0) this.drain(group);
    });
  }
}

export class InProcessEventPublisher extends EventPublisher {
  constructor(private readonly bus: InProcessBus) {
    super();
  }

  publish<T extends Topic>(topic: T, event: EventOf<T>, key?: string): Promise<void> {
    return this.bus.publish(topic, [{ event, key }]);
  }

  publishMany<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    return this.bus.publish(topic, events);
  }

  encode<T extends Topic>(topic: T, event: EventOf<T>): Promise<Buffer> {
    return this.bus.codec.encode(topic, event);
  }
}

export class InProcessEventSubscriber extends EventSubscriber {
  constructor(private readonly bus: InProcessBus) {
    super();
  }

  subscribe<T extends Topic>(spec: SubscriptionSpec<T>): Promise<Subscription> {
    return Promise.resolve(this.bus.subscribe(spec));
  }
}
