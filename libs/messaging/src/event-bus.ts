/**
 * The messaging abstraction every service uses: publish typed events, subscribe a handler.
 *
 * Two transports implement it (Kafka with the schema registry, and the in-process bus of the
 * embedded mode); services depend only on these abstract classes, never on kafkajs. Delivery is
 * at-least-once: a handler may see an event again after a crash or a rebalance, so handlers are
 * idempotent (they de-duplicate on `event_id`).
 */
import type { EventOf, Topic } from '@bridge/contracts';

export interface OutgoingEvent<T extends Topic> {
  event: EventOf<T>;
  /** Ordering key: events with the same key stay in order on one partition (e.g. a run id). */
  key?: string;
}

export abstract class EventPublisher {
  /** Validates the event against its topic's schema, then publishes it. */
  abstract publish<T extends Topic>(topic: T, event: EventOf<T>, key?: string): Promise<void>;

  /** Publishes several events of one topic in a single request; all are validated first. */
  abstract publishMany<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void>;
}

/** One delivered event; `topic` narrows `event` to that topic's type. */
export type ReceivedEvent<T extends Topic = Topic> = T extends Topic
  ? {
      topic: T;
      event: EventOf<T>;
      key: string | null;
      partition: number;
      offset: string;
      /** 1 on first delivery to the handler, incremented on each in-loop retry. */
      attempt: number;
    }
  : never;

export type EventHandler<T extends Topic> = (received: ReceivedEvent<T>) => Promise<void>;

export interface SubscriptionSpec<T extends Topic> {
  /** Consumer group: each group receives every event once; members of a group share partitions. */
  groupId: string;
  topics: readonly T[];
  handler: EventHandler<T>;
  /** Start from the earliest retained event when the group has no committed offset (default true). */
  fromBeginning?: boolean;
}

export interface Subscription {
  /** Stops consuming after the in-flight event; committed progress is kept. */
  stop(): Promise<void>;
}

export abstract class EventSubscriber {
  abstract subscribe<T extends Topic>(spec: SubscriptionSpec<T>): Promise<Subscription>;
}
