/**
 * Component events that are facts to record rather than checks to run: Cappella's own
 * reconciliation results, Hippo batch completions and Canon evictions go into the sync event log
 * as they are, one row per event (keyed by `event_id`, so a redelivery adds nothing). What an
 * eviction settles besides is the repair library's rule (`eviction-confirmation.ts`).
 */
import { Topics, type EventOf, type Topic } from '@bridge/contracts';
import { SyncEventTypes, type NewSyncEvent } from '@bridge/store';

/** A received event of any topic, as a union on `topic` so that a switch narrows `event`. */
type Received = { [T in Topic]: { topic: T; event: EventOf<T> } }[Topic];

export function inboundLogEntryFor(received: Received): NewSyncEvent | null {
  switch (received.topic) {
    case Topics.CappellaReconciliationCompleted: {
      const event = received.event;
      return {
        eventType: SyncEventTypes.ReconciliationCompleted,
        mismatchType: null,
        repairStrategy: null,
        source: 'cappella',
        sourceId: event.scan_id,
        dedupeKey: `inbound:${event.event_id}`,
        details: {
          event_id: event.event_id,
          occurred_at: event.occurred_at,
          discrepancy_count: event.discrepancy_count,
          resolved_count: event.resolved_count,
        },
      };
    }
    case Topics.HippoIngestBatchCompleted: {
      const event = received.event;
      return {
        eventType: SyncEventTypes.IngestBatchCompleted,
        mismatchType: null,
        repairStrategy: null,
        source: 'hippo',
        sourceId: event.batch_id,
        dedupeKey: `inbound:${event.event_id}`,
        actor: event.actor,
        details: {
          event_id: event.event_id,
          occurred_at: event.occurred_at,
          entity_type: event.entity_type,
          count: event.count,
        },
      };
    }
    case Topics.CanonCacheEvicted: {
      const event = received.event;
      return {
        eventType: SyncEventTypes.CacheEvicted,
        mismatchType: null,
        repairStrategy: null,
        source: 'canon',
        sourceId: event.artifact_ids[0] ?? event.event_id,
        dedupeKey: `inbound:${event.event_id}`,
        details: {
          event_id: event.event_id,
          occurred_at: event.occurred_at,
          artifact_ids: event.artifact_ids,
          reason: event.reason,
        },
      };
    }
    default:
      return null;
  }
}
