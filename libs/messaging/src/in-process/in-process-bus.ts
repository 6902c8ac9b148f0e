/**
 * The embedded mode's event bus (docs/design.md, One-process mode): publish and subscribe
 * inside one process.
 *
 * It behaves like the Kafka transport where it matters to services: every event is validated and
 * Avro-encoded with the same schemas, each consumer group gets every event once, a group handles
 * one event at a time in publish order, and handler failures go through the same `ConsumerLoop`
 * retries and dead-lettering.
 *
 * Like a Kafka topic, it keeps what nobody consumes yet: an event published to a topic that no
 * group has subscribed to is parked and handed to the first group that subscribes (modules of
 * one process start in any order). Parking is bounded per topic (`PARKED_PER_TOPIC`), since a
 * topic with no consumer at all (an outbound topic nobody watches in the embedded mode) would
 * otherwise grow forever; the findings themselves are in the sync event log either way.
 *
 * It keeps nothing on disk itself. A graceful stop first lets the groups handle what is queued
 * (`settle`); what a stopped group still held (delayed re-checks waiting for their time, most
 * often) is kept as leftovers, which the process saves in its store and hands back with
 * `restore` at the next start, to the same group. A crash loses what was queued in memory; the
 * outbox relay still re-sends findings that were recorded but not announced.
 */
import { Logger } from '@nestjs/common';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, type RetryConfig } from '@bridge/config';
import { DEAD_LETTER_TOPIC, type EventOf, type Topic } from '@bridge/contracts';
import { BridgeMetrics } from '@bridge/metrics';
import { ConsumerLoop, SubscriptionStopped } from '../consumer-loop';
import {
  EventPublisher,
  EventSubscriber,
  type OutgoingEvent,
  type Subscription,
  type SubscriptionSpec,
} from '../event-bus';
import { LocalAvroCodec } from '../event-codec';
import { outgoingTraceHeaders, outsideMessageContext } from '../message-context';
import type { RawMessage } from '../raw-message';

interface GroupQueue {
  topics: ReadonlySet<string>;
  loop: ConsumerLoop<Topic>;
  pending: RawMessage[];
  /** Messages taken by the loop and not finished yet. */
  inFlight: Set<RawMessage>;
  stopped: boolean;
  draining?: Promise<void>;
}

/** Most events kept for a topic that no group consumes yet; the oldest go first beyond it. */
export const PARKED_PER_TOPIC = 10_000;

export class InProcessBus {
  readonly codec: LocalAvroCodec;
  private readonly groups = new Map<string, GroupQueue>();
  private readonly offsets = new Map<string, bigint>();
  private readonly parked = new Map<string, RawMessage[]>();
  private readonly droppedFromPark = new Map<string, number>();
  /** Messages for a group that has not subscribed (yet) in this process, from `restore`. */
  private readonly restored = new Map<string, RawMessage[]>();
  /** What stopped groups had not finished, per group, until `takeLeftovers`. */
  private readonly leftovers = new Map<string, RawMessage[]>();
  /** Groups that have consumed each topic in this process, stopped ones included. */
  private readonly consumers = new Map<string, Set<string>>();
  private readonly logger = new Logger('InProcessBus');

  constructor(
    private readonly retryConfig: RetryConfig,
    decodeLimits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  ) {
    this.codec = new LocalAvroCodec(decodeLimits);
  }

  async publish<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    // Encode everything first: one invalid event refuses the whole call, like a Kafka send.
    const headers = outgoingTraceHeaders();
    const encoded = await Promise.all(
      events.map(async ({ event, key }) => ({
        key: key === undefined ? null : Buffer.from(key),
        value: await this.codec.encode(topic, event),
        headers,
      })),
    );
    this.deliver(topic, encoded);
  }

  /** Delivers bytes as they are (a requeued dead letter's original message). */
  publishRaw(topic: string, key: Buffer | null, value: Buffer): Promise<void> {
    this.deliver(topic, [{ key, value, headers: outgoingTraceHeaders() }]);
    return Promise.resolve();
  }

  private deliver(
    topic: string,
    messages: Array<{ key: Buffer | null; value: Buffer; headers?: Record<string, string> }>,
  ): void {
    for (const { key, value, headers } of messages) {
      const offset = this.offsets.get(topic) ?? 0n;
      this.offsets.set(topic, offset + 1n);
      const message: RawMessage = { topic, partition: 0, offset: offset.toString(), key, value };
      if (headers) message.headers = headers;
      let delivered = false;
      for (const group of this.groups.values()) {
        if (!group.topics.has(topic)) continue;
        group.pending.push(message);
        this.drain(group);
        delivered = true;
      }
      if (!delivered) this.park(message);
    }
  }

  private park(message: RawMessage): void {
    let queue = this.parked.get(message.topic);
    if (!queue) {
      queue = [];
      this.parked.set(message.topic, queue);
    }
    queue.push(message);
    if (queue.length > PARKED_PER_TOPIC) {
      queue.shift();
      const dropped = (this.droppedFromPark.get(message.topic) ?? 0) + 1;
      this.droppedFromPark.set(message.topic, dropped);
      if (dropped === 1 || dropped % 10_000 === 0) {
        this.logger.warn(
          `${message.topic} has no consumer: keeping its latest ${PARKED_PER_TOPIC} events (${dropped} older ones dropped so far)`,
        );
      }
    }
  }

  /** Messages waiting per consumer group (queued or being handled). */
  backlog(): Map<string, number> {
    return new Map(
      [...this.groups].map(([groupId, group]) => [
        groupId,
        group.pending.length + group.inFlight.size,
      ]),
    );
  }

  /**
   * Gives a group back what it had not finished before the last stop (see `takeLeftovers`):
   * queued for it now if it is subscribed, else as soon as it subscribes.
   */
  restore(groupId: string, messages: RawMessage[]): void {
    if (messages.length === 0) return;
    const group = this.groups.get(groupId);
    if (group) {
      group.pending.push(...messages);
      this.drain(group);
      return;
    }
    this.restored.set(groupId, [...(this.restored.get(groupId) ?? []), ...messages]);
  }

  /**
   * What stopped groups had not finished, in order per group; the bus forgets it. Events
   * published after a group stopped (a batch finishing elsewhere during shutdown sends a
   * re-check) count for every group that consumed their topic; parked events of topics no
   * group ever consumed here (outbound topics with no watcher) are not anyone's work.
   */
  takeLeftovers(): Array<{ groupId: string; messages: RawMessage[] }> {
    for (const [topic, messages] of this.parked) {
      const groupIds = [...(this.consumers.get(topic) ?? [])].filter(
        (groupId) => !this.groups.has(groupId),
      );
      if (groupIds.length === 0) continue;
      for (const groupId of groupIds) {
        this.leftovers.set(groupId, [...(this.leftovers.get(groupId) ?? []), ...messages]);
      }
      this.parked.delete(topic);
    }
    const taken = [...this.leftovers].map(([groupId, messages]) => ({ groupId, messages }));
    this.leftovers.clear();
    return taken.filter((entry) => entry.messages.length > 0);
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
      inFlight: new Set(),
      stopped: false,
    };
    this.groups.set(spec.groupId, group);
    for (const topic of spec.topics) {
      this.consumers.set(topic, (this.consumers.get(topic) ?? new Set()).add(spec.groupId));
    }
    group.pending.push(...(this.restored.get(spec.groupId) ?? []));
    this.restored.delete(spec.groupId);
    if (spec.fromBeginning ?? true) {
      group.pending.push(...spec.topics.flatMap((topic) => this.parked.get(topic) ?? []));
      for (const topic of spec.topics) this.parked.delete(topic);
    }
    if (group.pending.length > 0) this.drain(group);
    const removeLagSource = BridgeMetrics.consumerLag.addSource(() =>
      lagByTopic(group).map(([topic, lag]) => ({
        labels: { group: spec.groupId, topic, partition: 0 },
        value: lag,
      })),
    );
    return {
      stop: async () => {
        removeLagSource();
        this.groups.delete(spec.groupId);
        group.stopped = true;
        await group.draining;
        // What the loop had taken but not finished went back to the front of `pending`.
        const left = [...(this.leftovers.get(spec.groupId) ?? []), ...group.pending];
        group.pending.length = 0;
        if (left.length > 0) this.leftovers.set(spec.groupId, left);
      },
    };
  }

  /**
   * Waits until every group has handled what is queued (delayed events included), or until
   * `timeoutMs` has passed; resolves true when the bus is idle. A graceful stop calls it
   * before stopping the groups, so that a restart does not begin with lost work.
   */
  async settle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.idle().then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
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
    // The publisher may be a handler: the group's work must not run in its message context.
    group.draining = outsideMessageContext(async () => {
      while (group.pending.length > 0 && !group.stopped) {
        const messages = group.pending.splice(0, group.pending.length);
        const done = new Set<RawMessage>();
        group.inFlight = new Set(messages);
        try {
          await group.loop.processBatch(messages, {
            keepAlive: () => Promise.resolve(),
            shouldStop: () => group.stopped,
            onDone: (message) => {
              done.add(message);
              group.inFlight.delete(message);
            },
          });
        } catch (error) {
          if (!(error instanceof SubscriptionStopped)) {
            const lost = messages.filter((message) => !done.has(message));
            this.logger.error(
              `${lost.length} event(s) lost: could not dead-letter ${lost[0]?.topic}: ${String(error)}`,
            );
            continue;
          }
        }
        if (group.stopped) {
          // Stopped mid-batch: what was not finished goes back, to be kept as leftovers.
          group.pending.unshift(...messages.filter((message) => !done.has(message)));
        }
      }
    }).finally(() => {
      group.inFlight = new Set();
      group.draining = undefined;
      // A publish may have queued a message after the loop saw an empty queue.
      if (group.pending.length > 0 && !group.stopped) this.drain(group);
    });
  }
}

/** What a group has not finished, per topic: queued, or taken by its loop and not done. */
function lagByTopic(group: GroupQueue): Array<[string, number]> {
  const lag = new Map([...group.topics].map((topic) => [topic, 0]));
  for (const message of [...group.pending, ...group.inFlight]) {
    lag.set(message.topic, (lag.get(message.topic) ?? 0) + 1);
  }
  return [...lag];
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

  publishRaw(topic: string, key: Buffer | string | null, value: Buffer): Promise<void> {
    return this.bus.publishRaw(topic, typeof key === 'string' ? Buffer.from(key) : key, value);
  }

  decode<T extends Topic>(topic: T, bytes: Buffer): Promise<EventOf<T>> {
    return this.bus.codec.decode(topic, bytes);
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

  override drain(timeoutMs: number): Promise<boolean> {
    return this.bus.settle(timeoutMs);
  }
}
