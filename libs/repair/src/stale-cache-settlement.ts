/**
 * Applies Canon's evictions to the open stale-cache findings they touch, within the caller's
 * transaction (ingest's batch): each finding gains the evicted artifacts, and one whose every
 * artifact is gone is closed (resolved when a repair asked for the eviction, healed when Canon
 * did it by itself). Returns the `bridge.sync.repaired` events the caller publishes before it
 * commits. The rules are the pure ones of `eviction-confirmation.ts`.
 */
import type { SyncRepaired } from '@bridge/contracts';
import type { RepairJobStore, SyncEventLog } from '@bridge/store';
import {
  confirmEviction,
  evictionClosureFor,
  evictionRepairedEvent,
} from './eviction-confirmation';

export async function settleEvictedStaleCaches(
  evictedIds: readonly string[],
  stores: { log: SyncEventLog; repairs: RepairJobStore },
  now: number = Date.now(),
): Promise<SyncRepaired[]> {
  if (evictedIds.length === 0) return [];
  const open = await stores.log.findOpenStaleCaches([...evictedIds]);
  const repaired: SyncRepaired[] = [];
  for (const finding of open) {
    const confirmation = confirmEviction(finding.details, evictedIds);
    const closure = confirmation.complete
      ? evictionClosureFor(
          await stores.repairs.findBySyncEventId(finding.id),
          confirmation.details.artifact_ids.length,
        )
      : null;
    const closedNow = await stores.log.updateDetails(
      finding.id,
      finding.eventType,
      confirmation.details,
      closure,
    );
    if (closedNow && closure) repaired.push(evictionRepairedEvent(finding.id, now, closure));
  }
  return repaired;
}
