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

  /**
   * The bytes this transport would send for the event: kept in a dead letter, so an operator
   * can requeue a message that never came from a topic (e.g. a check abandoned after retries).
   */
  abstract encode<T extends Topic>(topic: T, event: EventOf<T>): Promise<Buffer>;

  /**
   * Publishes bytes as they are, past the codec: what requeueing a dead letter's original
   * message needs (its consumers decode and validate it again, as the first time).
   */
  abstract publishRaw(topic: string, key: Buffer | string | null, value: Buffer): Promise<void>;

  /** The event in bytes this transport sent (a dead letter's payload, to show it). */
  abstract decode<T extends Topic>(topic: T, bytes: Buffer): Promise<EventOf<T>>;
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

/** What a batch handler may ask of the transport while it works. */
export interface BatchContext {
  /** Keeps the consumer's group membership alive during long work (Kafka heartbeats). */
  keepAlive(): Promise<void>;
}

/**
 * Handles several decoded events together (one bulk lookup, one multi-row insert). It must be
 * correct per event: when a batch keeps failing, the loop re-runs its events one at a time so
 * that only the event that fails is dead-lettered.
 */
export type BatchEventHandler<T extends Topic> = (
  events: ReceivedEvent<T>[],
  context: BatchContext,
) => Promise<void>;

interface SubscriptionBase<T extends Topic> {
  /** Consumer group: each group receives every event once; members of a group share partitions. */
  groupId: string;
  topics: readonly T[];
  /** Start from the earliest retained event when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /**
   * Delayed delivery, for retry and grace topics: an event is not handled before the time this
   * returns (epoch ms). The loop waits in order, keeping the session alive, and a stop cuts the
   * wait short without committing the waiting event.
   */
  notBefore?: (event: EventOf<T>) => number | null | undefined;
}

export type SubscriptionSpec<T extends Topic> = SubscriptionBase<T> &
  (
    | { handler: EventHandler<T>; batchHandler?: never; maxBatchSize?: never }
    | {
        batchHandler: BatchEventHandler<T>;
        /** Most events per handler call (default 500). */
        maxBatchSize?: number;
        handler?: never;
      }
  );

export interface Subscription {
  /** Stops consuming after the in-flight event; committed progress is kept. */
  stop(): Promise<void>;
}

export abstract class EventSubscriber {
  abstract subscribe<T extends Topic>(spec: SubscriptionSpec<T>): Promise<Subscription>;

  /**
   * Before a graceful stop: waits (at most `timeoutMs`) until what the transport queued in this
   * process is handled; true when nothing is left. Kafka keeps unconsumed events on the broker,
   * so there is nothing to wait for; the in-process bus would lose its queue.
   */
  drain(timeoutMs: number): Promise<boolean> {
    void timeoutMs;
    return Promise.resolve(true);
  }
}
