/**
 * What a check concludes from what it observed: the pure core of the checker. Given the work
 * item, what Cappella, Hippo and Canon answered (or that one of them could not be reached), the
 * lag allowance and the retry tiers, it says whether the check is ok, a mismatch, a stale cache,
 * due for a re-check or a delayed retry, or failed for good. No I/O, so every branch is
 * unit-tested.
 */
import type { Artifact } from '@bridge/components';
import { entityKeyId, type CheckRequested, type EntityKey } from '@bridge/contracts';

export type CheckObservation =
  /** A component could not be reached even after the client's immediate retries. */
  | { kind: 'unavailable'; error: string }
  /** A component refused the request (a 4xx): asking again cannot help. */
  | { kind: 'refused'; error: string }
  /** Cappella does not know the run the event named. */
  | { kind: 'unknown_run' }
  /** Run checks: the outputs Cappella lists and those of them Hippo lacks. */
  | { kind: 'outputs'; expected: EntityKey[]; missing: EntityKey[] }
  /** Staleness checks: Canon artifacts still held for the unavailable entities. */
  | { kind: 'artifacts'; artifacts: Artifact[] };

export type CheckDecision =
  | { kind: 'ok'; checkedCount: number }
  | {
      kind: 'mismatch';
      mismatchType: 'missing_entity' | 'partial_output';
      missing: EntityKey[];
      checkedCount: number;
    }
  | { kind: 'stale_cache'; artifacts: Artifact[]; entities: EntityKey[] }
  | {
      kind: 'cache_clean';
      checkedCount: number;
      /** Findings of a full scan that already name the stale artifacts the check found. */
      reportedIn?: string[];
    }
  | { kind: 'recheck'; notBefore: number; missing: EntityKey[] }
  | { kind: 'retry'; notBefore: number; error: string }
  | { kind: 'failed'; reason: string };

export interface DecisionSettings {
  graceDelayMs: number;
  retryDelaysMs: readonly number[];
}

export function decideCheck(
  work: CheckRequested,
  observation: CheckObservation,
  settings: DecisionSettings,
  now: number,
): CheckDecision {
  switch (observation.kind) {
    case 'unavailable':
    case 'unknown_run': {
      // Tier 1 (immediate retries) happened inside the component client; this is tier 2. A run
      // Cappella does not know yet may be read lag, so it gets the same delayed retries.
      const error =
        observation.kind === 'unavailable'
          ? observation.error
          : `Cappella does not know run ${work.run_id ?? '?'}`;
      const delay = settings.retryDelaysMs[work.attempt - 1];
      if (delay === undefined) {
        return { kind: 'failed', reason: `gave up after ${work.attempt} attempt(s): ${error}` };
      }
      return { kind: 'retry', notBefore: now + delay, error };
    }
    case 'refused':
      return { kind: 'failed', reason: `refused: ${observation.error}` };
    case 'artifacts':
      return observation.artifacts.length > 0
        ? {
            kind: 'stale_cache',
            artifacts: observation.artifacts,
            entities: entitiesOf(observation.artifacts),
          }
        : { kind: 'cache_clean', checkedCount: work.entities.length };
    case 'outputs': {
      const checkedCount = observation.expected.length;
      if (work.check_type === 'failed_run') {
        // A failed run that wrote anything is a partial batch, whatever Hippo holds of it.
        return {
          kind: 'mismatch',
          mismatchType: 'partial_output',
          missing: observation.missing,
          checkedCount,
        };
      }
      if (observation.missing.length === 0) return { kind: 'ok', checkedCount };
      // Hippo may simply lag behind Cappella: allow the grace delay, counted from the run's
      // completion, before calling it a mismatch. A replayed old event gets no extra grace.
      const graceEnds = work.triggered_at + settings.graceDelayMs;
      if (now < graceEnds) {
        return { kind: 'recheck', notBefore: graceEnds, missing: observation.missing };
      }
      return {
        kind: 'mismatch',
        mismatchType: 'missing_entity',
        missing: observation.missing,
        checkedCount,
      };
    }
  }
}

/**
 * A staleness check's decision without the artifacts an open finding of a full scan already
 * names (`reportedBy`: artifact id to finding id): the scan got there first, and each stale
 * artifact is reported once. With none left it is a clean cache that names those findings.
 * Another staleness check's finding does not count: each availability event reports what it
 * finds, as before scans read Canon.
 */
export function withoutScanReported<D extends CheckDecision>(
  decision: D,
  checkedCount: number,
  reportedBy: ReadonlyMap<string, string>,
): D | Extract<CheckDecision, { kind: 'stale_cache' | 'cache_clean' }> {
  if (decision.kind !== 'stale_cache') return decision;
  const left = decision.artifacts.filter((artifact) => !reportedBy.has(artifact.artifact_id));
  if (left.length === decision.artifacts.length) return decision;
  if (left.length > 0) return { kind: 'stale_cache', artifacts: left, entities: entitiesOf(left) };
  const findings = new Set(decision.artifacts.map((a) => reportedBy.get(a.artifact_id) ?? ''));
  return { kind: 'cache_clean', checkedCount, reportedIn: [...findings] };
}

/** The entities of the artifacts, each once, in first-seen order. */
export function entitiesOf(artifacts: Artifact[]): EntityKey[] {
  const seen = new Map<string, EntityKey>();
  for (const { entity_type, external_id } of artifacts) {
    const key = entityKeyId({ entity_type, external_id });
    if (!seen.has(key)) seen.set(key, { entity_type, external_id });
  }
  return [...seen.values()];
}

/** The keys of `expected` that `present` does not contain, in `expected` order. */
export function missingFrom(expected: EntityKey[], present: ReadonlySet<string>): EntityKey[] {
  return expected.filter((key) => !present.has(entityKeyId(key)));
}
