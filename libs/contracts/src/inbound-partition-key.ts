/**
 * The partition key of each inbound topic: what a component keys its events by, so that the
 * events about one run, batch, scan or entity stay in order on one partition. Components that
 * publish to Kafka themselves are asked to use it (the AsyncAPI document says so), and HTTP
 * ingestion keys the records it produces with it, so both ways in order events alike.
 */
import type { EntityKey } from './generated/events';
import { Topics } from './generated/events';
import type { EventOf, INBOUND_TOPICS } from './event-types';

type InboundTopic = (typeof INBOUND_TOPICS)[number];

/** `entity_type:external_id`: how an event about entities is keyed (by its first one). */
function entityRefOf(key: EntityKey | undefined): string | undefined {
  return key ? `${key.entity_type}:${key.external_id}` : undefined;
}

/**
 * Per topic; undefined when the event names nothing to key by (an availability change or an
 * eviction without entities), which leaves the partition to the producer's spreading.
 */
const KEY_OF: { [T in InboundTopic]: (event: EventOf<T>) => string | undefined } = {
  [Topics.CappellaRunCompleted]: (event) => event.run_id,
  [Topics.CappellaRunFailed]: (event) => event.run_id,
  [Topics.CappellaReconciliationCompleted]: (event) => event.scan_id,
  [Topics.HippoIngestBatchCompleted]: (event) => event.batch_id,
  [Topics.HippoEntitiesAvailabilityChanged]: (event) => entityRefOf(event.entities[0]),
  [Topics.CanonCacheEvicted]: (event) => event.artifact_ids[0],
};

/** The key an inbound event is produced with. */
export function inboundPartitionKey<T extends InboundTopic>(
  topic: T,
  event: EventOf<T>,
): string | undefined {
  return (KEY_OF[topic] as (event: EventOf<T>) => string | undefined)(event);
}
