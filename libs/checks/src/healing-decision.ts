/**
 * Whether an open finding still holds: the pure core of re-checking findings after detection.
 *
 * A finding records a discrepancy as it was when a check or a scan saw it. Components catch up
 * (Hippo writes an output late, Canon sweeps its cache, a run shows up in Cappella), so the
 * re-checker (`finding-rechecker.ts`) looks at open findings again on a back-off schedule and
 * after every scan. These functions say what to read for a finding, whether what was read
 * shows the discrepancy gone (the finding is then closed as `healed`, with the reason), and
 * when to look next. No I/O, so every rule is unit-tested on its own.
 */
import { randomUUID } from 'node:crypto';
import {
  entityKeyId,
  isCheckType,
  type CheckRequested,
  type EntityKey,
  type SyncRepaired,
} from '@bridge/contracts';
import { BRIDGE_HEALER, SyncEventTypes, type SyncEvent } from '@bridge/store';
import { repairedEventIdFor } from '@bridge/contracts';

/** What the components showed for a batch of findings. */
export interface HealingObservation {
  /** `entityKeyId`s of the entities Hippo does not offer now (absent or unavailable). */
  unavailable: ReadonlySet<string>;
  /** Artifact ids Canon still holds for the findings' entities. */
  heldArtifacts: ReadonlySet<string>;
  /** Runs Cappella knows, of those the findings name as provenance. */
  knownRuns: ReadonlySet<string>;
}

/** What to read for one finding. */
export interface HealingReads {
  /** Entities to ask Hippo about. */
  entities: EntityKey[];
  /** Entities whose artifacts to ask Canon about. */
  artifactEntities: EntityKey[];
  /** Runs to ask Cappella about. */
  runIds: string[];
}

export type HealingDecision =
  /** The discrepancy is gone; `reason` says what showed it. */
  | { kind: 'healed'; reason: string }
  /** It still holds: look again later. */
  | { kind: 'holds' }
  /** A check that failed: run the check again rather than judge it here. */
  | { kind: 'run_check_again' };

const NO_READS: HealingReads = { entities: [], artifactEntities: [], runIds: [] };

export function healingReadsFor(finding: SyncEvent): HealingReads {
  switch (finding.eventType) {
    case SyncEventTypes.Mismatch: {
      const details = finding.details;
      if (finding.mismatchType === 'partial_output') {
        return { ...NO_READS, entities: details.partial_outputs ?? [] };
      }
      if (finding.mismatchType === 'orphan_provenance') {
        return { ...NO_READS, entities: details.missing_entities, runIds: runIdsOf(details) };
      }
      return { ...NO_READS, entities: details.missing_entities };
    }
    case SyncEventTypes.StaleCache:
      return {
        ...NO_READS,
        entities: finding.details.entities,
        artifactEntities: finding.details.entities,
      };
    default:
      return NO_READS;
  }
}

/**
 * Whether the finding's discrepancy still holds, given what the components showed:
 * - `missing_entity`, `dangling_reference`: healed once Hippo offers every entity named;
 * - `partial_output`: healed once Hippo holds none of what the failed run wrote (the half
 *   batch was removed; a failed run's partial outputs stay a discrepancy while present);
 * - `orphan_provenance`: healed once Cappella knows the run, or Hippo no longer has the entity;
 * - `stale_cache`: healed once Canon holds none of the artifacts still named, or Hippo offers
 *   every entity again (the artifacts are no longer stale);
 * - `check_failed`: not judged here; the check itself runs again.
 */
export function decideHealing(finding: SyncEvent, seen: HealingObservation): HealingDecision {
  const offered = (key: EntityKey) => !seen.unavailable.has(entityKeyId(key));
  switch (finding.eventType) {
    case SyncEventTypes.CheckFailed:
      return { kind: 'run_check_again' };
    case SyncEventTypes.Mismatch: {
      const details = finding.details;
      switch (finding.mismatchType) {
        case 'missing_entity':
        case 'dangling_reference': {
          const named = details.missing_entities;
          if (named.length === 0 || !named.every(offered)) return { kind: 'holds' };
          const what = finding.mismatchType === 'missing_entity' ? 'missing' : 'referenced';
          return {
            kind: 'healed',
            reason: `Hippo now has ${countOf(named.length, 'the', `${what} entity`)}: ${keysText(named)}`,
          };
        }
        case 'partial_output': {
          const written = details.partial_outputs ?? [];
          if (written.length === 0 || written.some(offered)) return { kind: 'holds' };
          return {
            kind: 'healed',
            reason: `Hippo no longer holds any of the ${written.length} output(s) the failed run wrote`,
          };
        }
        case 'orphan_provenance': {
          const runId = details.run_id;
          if (runId !== null && seen.knownRuns.has(runId)) {
            return { kind: 'healed', reason: `Cappella now knows run ${runId}` };
          }
          const [entity] = details.missing_entities;
          if (entity && !offered(entity)) {
            return { kind: 'healed', reason: `Hippo no longer has ${keysText([entity])}` };
          }
          return { kind: 'holds' };
        }
      }
      return { kind: 'holds' };
    }
    case SyncEventTypes.StaleCache: {
      const details = finding.details;
      const evicted = new Set(details.evicted_artifact_ids ?? []);
      const named = details.artifact_ids.filter((id) => !evicted.has(id));
      if (named.every((id) => !seen.heldArtifacts.has(id))) {
        return {
          kind: 'healed',
          reason: `Canon no longer holds ${countOf(named.length, 'the', 'stale artifact')}`,
        };
      }
      if (details.entities.length > 0 && details.entities.every(offered)) {
        return {
          kind: 'healed',
          reason: `Hippo offers ${countOf(details.entities.length, 'the', 'entity')} again: the artifacts are no longer stale`,
        };
      }
      return { kind: 'holds' };
    }
    default:
      return { kind: 'holds' };
  }
}

/**
 * Milliseconds until the next re-check of a finding re-checked `recheckCount` times so far
 * (counting the one just made), or null once the schedule is over: the finding is then looked
 * at again when a scan runs or an operator asks.
 */
export function nextRecheckInMs(delaysMs: readonly number[], recheckCount: number): number | null {
  return delaysMs[recheckCount] ?? null;
}

/** The `bridge.sync.repaired` announcing a healed finding, under the id any closure of it uses. */
export function healedEventFor(
  finding: Pick<SyncEvent, 'id' | 'mismatchType' | 'details' | 'resolutionNote'>,
  now: number,
): SyncRepaired {
  return {
    event_id: repairedEventIdFor(finding.id),
    occurred_at: now,
    sync_event_id: finding.id,
    mismatch_type: finding.mismatchType ?? 'check_failed',
    run_id: 'run_id' in finding.details ? finding.details.run_id : null,
    resolution: 'healed',
    resolved_by: BRIDGE_HEALER,
    new_run_id: null,
    reason: finding.resolutionNote,
  };
}

/**
 * The check work that runs a failed check again, as a requeued dead letter would: a fresh
 * first attempt under the finding's check key, so its outcome replaces the `check_failed` row.
 * Null when the row does not say which check it was.
 */
export function rerunWorkFor(finding: SyncEvent, now: number): CheckRequested | null {
  if (finding.eventType !== SyncEventTypes.CheckFailed) return null;
  const details = finding.details;
  if (!isCheckType(details.check_type)) return null;
  return {
    event_id: randomUUID(),
    occurred_at: now,
    check_type: details.check_type,
    check_key: finding.dedupeKey,
    source: finding.source,
    source_event_id: details.source_event_id,
    source_id: finding.sourceId,
    run_id: details.run_id,
    pipeline_id: details.pipeline_id,
    actor: finding.actor,
    entities: details.entities,
    // The row does not keep which change it was; the check itself does not need it.
    change: null,
    triggered_at: details.triggered_at,
    attempt: 1,
    not_before: null,
    delay_reason: null,
    last_error: details.reason,
  };
}

function runIdsOf(details: { run_id: string | null }): string[] {
  return details.run_id ? [details.run_id] : [];
}

function countOf(count: number, article: string, noun: string): string {
  const plural = noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`;
  return count === 1 ? `${article} ${noun}` : `${article} ${count} ${plural}`;
}

/** Up to three keys as `type:id`, and how many more. */
function keysText(keys: readonly EntityKey[]): string {
  const shown = keys.slice(0, 3).map((key) => `${key.entity_type}:${key.external_id}`);
  return keys.length > 3 ? `${shown.join(', ')} and ${keys.length - 3} more` : shown.join(', ');
}
