/**
 * How Canon's evictions confirm stale-cache repairs: an open `stale_cache` finding is settled
 * once every artifact it named has been evicted (`confirmEviction`), closed as resolved when a
 * repair of it asked for the eviction and as healed when Canon swept the artifacts by itself
 * (`evictionClosureFor`), and announced with a `bridge.sync.repaired` whose id derives from the
 * finding (`evictionRepairedEvent`). Pure rules: ingest applies them to each batch of
 * `canon.cache.evicted` events (`EvictionConfirmations`).
 */
import type { SyncRepaired } from '@bridge/contracts';
import { repairedEventIdFor } from '@bridge/contracts';
import {
  BRIDGE_HEALER,
  type FindingClosure,
  type RepairPlan,
  type StaleCacheDetails,
} from '@bridge/store';

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
