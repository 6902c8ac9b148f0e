/**
 * Runtime access to the event contracts: the parsed Avro type of each topic, validation with
 * readable problems, and the topic groups that the services subscribe to.
 *
 * Both transports validate through `validateEvent`, so an event that would be refused on Kafka
 * is also refused on the in-process bus.
 */
import { Type } from 'avsc';
import { InvalidEventError } from '@bridge/errors';
import { Topics, TopicSchemas, type EventsByTopic, type Topic } from './generated/events';
import { parseSchema } from './schema-compatibility';

/** Events published by Cappella, Hippo and Canon, consumed by `apps/ingest`. */
export const INBOUND_TOPICS = [
  Topics.CappellaRunCompleted,
  Topics.CappellaRunFailed,
  Topics.CappellaReconciliationCompleted,
  Topics.HippoIngestBatchCompleted,
  Topics.HippoEntitiesAvailabilityChanged,
  Topics.CanonCacheEvicted,
] as const;

/** Findings published by Bridge for the observability stack and for Canon. */
export const OUTBOUND_TOPICS = [
  Topics.BridgeSyncOk,
  Topics.BridgeSyncMismatch,
  Topics.BridgeSyncRepaired,
  Topics.BridgeSyncStaleCache,
] as const;

/**
 * Delayed-retry topics, one per tier: the check that failed its Nth attempt waits on the Nth
 * topic for `CHECK_RETRY_DELAYS_MS[N-1]`. Each topic holds items of one delay only, so a
 * consumer waiting for the head item's time never keeps a shorter delay waiting behind it.
 */
export const RETRY_TIER_TOPICS = [
  Topics.BridgeInternalChecksRetry1,
  Topics.BridgeInternalChecksRetry2,
  Topics.BridgeInternalChecksRetry3,
] as const;

export type RetryTierTopic = (typeof RETRY_TIER_TOPICS)[number];

/** The topic a check waits on after failing attempt `attempt` (1-based), if there is a tier. */
export function retryTierTopic(attempt: number): RetryTierTopic | undefined {
  return RETRY_TIER_TOPICS[attempt - 1];
}

/** Where the consumer loop puts what it cannot decode or handle. */
export const DEAD_LETTER_TOPIC = Topics.BridgeDlqEvents;

export type EventOf<T extends Topic> = EventsByTopic[T];

/** Registry subject of a topic's value schema (Confluent TopicNameStrategy). */
export function subjectFor(topic: Topic): string {
  return `${topic}-value`;
}

export function isTopic(name: string): name is Topic {
  return Object.prototype.hasOwnProperty.call(TopicSchemas, name);
}

const types = new Map<Topic, Type>();

/** The parsed Avro type of a topic's current schema (parsed once, then cached). */
export function avroTypeOf(topic: Topic): Type {
  let type = types.get(topic);
  if (!type) {
    type = parseSchema(TopicSchemas[topic].schema as never);
    types.set(topic, type);
  }
  return type;
}

/** Checks an event against its topic's schema; throws `InvalidEventError` naming each bad field. */
export function validateEvent<T extends Topic>(
  topic: T,
  event: unknown,
): asserts event is EventOf<T> {
  const problems: string[] = [];
  const valid = avroTypeOf(topic).isValid(event, {
    errorHook: (path: string[], value: unknown, type: Type) => {
      const shown = JSON.stringify(value) ?? String(value);
      problems.push(
        `${path.join('.') || '(event)'}: expected ${describeType(type)}, got ${shown.length > 80 ? shown.slice(0, 80) + '…' : shown}`,
      );
    },
  });
  if (!valid) throw new InvalidEventError(`event does not match the ${topic} schema`, problems);
}

function describeType(type: Type): string {
  const name = type.typeName;
  return type.name ? `${name} ${type.name}` : name;
}
