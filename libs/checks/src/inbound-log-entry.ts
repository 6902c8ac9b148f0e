/**
 * Component events that are facts to record rather than checks to run: Cappella's own
 * reconciliation results, Hippo batch completions and Canon evictions go into the sync event log
 * as they are, one row per event (keyed by `event_id`, so a redelivery adds nothing).
 *
 * Evictions also settle open `stale_cache` findings: `confirmEviction` is the pure rule for
 * that (a finding is closed once every artifact it named has been evicted), `evictionClosureFor`
 * says whether that was a repair's doing (resolved) or Canon's own (healed), and
 * `evictionRepairedEvent` is the `bridge.sync.repaired` that announces it.
 */
import { Topics, type EventOf, type SyncRepaired, type Topic } from '@bridge/contracts';
import {
  BRIDGE_HEALER,
  SyncEventTypes,
  type FindingClosure,
  type NewSyncEvent,
  type RepairPlan,
  type StaleCacheDetails,
} from '@bridge/store';
import { stableEventId } from './finding';

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

export interface EvictionConfirmation {
  details: StaleCacheDetails;
  /** Every artifact the finding named is now evicted. */
  complete: boolean;
}

/** Adds the evicted artifacts to a stale-cache finding's details and says if it is settled. */
export function confirmEviction(
  details: StaleCacheDetails,
  evictedIds: readonly string[],
): EvictionConfirmation {
  const named = details.artifact_ids;
  const before = new Set(details.evicted_artifact_ids ?? []);
  for (const id of evictedIds) if (named.includes(id)) before.add(id);
  const evicted = named.filter((id) => before.has(id));
  return {
    details: { ...details, evicted_artifact_ids: evicted },
    complete: named.length > 0 && evicted.length === named.length,
  };
}

/**
 * How a stale-cache finding that Canon's evictions settled is closed: resolved by Canon when a
 * repair of the finding asked for the eviction (the eviction is that repair's effect), healed
 * when nobody did (Canon swept the artifacts by itself).
 */
export function evictionClosureFor(
  job: { plan: RepairPlan | null } | null,
  evictedCount: number,
): FindingClosure {
  const requested =
    job?.plan?.kind === 'evict' && job.plan.artifacts.some((item) => item.state === 'requested');
  if (requested) return { as: 'resolved', by: 'canon' };
  return {
    as: 'healed',
    reason: `Canon evicted ${evictedCount === 1 ? 'the stale artifact' : `the ${evictedCount} stale artifacts`} by itself`,
  };
}

/**
 * The `bridge.sync.repaired` of a stale-cache finding that Canon's evictions settled. Its event
 * id derives from the finding, so a replayed eviction that settles it again sends the same event.
 */
export function evictionRepairedEvent(
  syncEventId: string,
  now: number,
  closure: FindingClosure,
): SyncRepaired {
  return {
    event_id: repairedEventIdFor(syncEventId),
    occurred_at: now,
    sync_event_id: syncEventId,
    mismatch_type: 'stale_cache',
    run_id: null,
    resolution: closure.as === 'resolved' ? 'evicted' : 'healed',
    resolved_by: closure.as === 'resolved' ? closure.by : BRIDGE_HEALER,
    new_run_id: null,
    reason: closure.as === 'healed' ? closure.reason : null,
  };
}

/**
 * The `event_id` of the `bridge.sync.repaired` that announces a finding's repair: derived from
 * the finding, so that the ingestor (a stale cache Canon settled) and the repair service
 * announce one repair with one id, however often either sends it.
 */
export function repairedEventIdFor(syncEventId: string): string {
  return stableEventId(`repaired:${syncEventId}`);
}
