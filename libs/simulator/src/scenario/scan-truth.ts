/**
 * The scan oracle: exactly what a correct full consistency scan (see docs/design.md, Scans) must
 * report for the simulated Cappella and Hippo as they are now, so that a scanner's tests and
 * benchmarks can score its findings exactly. It is computed from the state, not from
 * a record of injections, so it follows every later change too (entities deleted or made
 * unavailable, runs deleted from Cappella, reruns that wrote the missing outputs).
 *
 * Definitions:
 * - an entity is *absent in Hippo* when no visible entity has its key, or the entity is listed
 *   with `available: false` (an entity still inside its lag is not visible, so it is absent);
 * - a run is *old enough* when its `updated_at` is at least `graceMs` before `now` (a scanner
 *   leaves younger runs to the post-run check and Hippo's lag);
 * - `missing_entity`: per old-enough COMPLETED run, its outputs absent in Hippo, one entry per
 *   run with at least one (`{run_id, entities}`);
 * - `dangling_reference`: per old-enough run of any status but RUNNING, the entities its inputs
 *   refer to (`runInputReferences`) that Hippo does not have at all, visible in any state
 *   (`{run_id, entities}`): an input that was made unavailable after the run read it is a
 *   reference to an entity that still exists, and Hippo's bulk lookup, through which a scanner
 *   sees references, says so;
 * - `orphan_provenance`: per visible Hippo entity, available or not, whose provenance names a
 *   run id Cappella does not have (`{entity, run_id}`);
 * - `stale_cache`: per artifact Canon caches (awaiting a sweep or not) whose entity is absent
 *   in Hippo (`{artifact_id, entity}`): what a full scan reading Canon must report, once,
 *   whether by itself or through an open finding of the staleness check. No grace applies.
 * Within an entry each entity appears once, in the run's order; entries are sorted by run id,
 * orphans by entity key (type, then external id), stale artifacts by artifact id, in code-unit
 * order.
 *
 * Cost: one pass over Cappella's runs with a Map lookup per output and reference, one pass
 * over Hippo's visible entities with a Map lookup per run they name (consecutive entities of one
 * run share it), one over Canon's artifacts with a Map lookup each, then sorting the findings;
 * a million entities take well under a second.
 */
import { entityKeyId, runInputReferences, type EntityKey } from '@bridge/contracts';
import type { CanonState } from '../state/canon-state';
import type { CappellaState } from '../state/cappella-state';
import type { HippoState } from '../state/hippo-state';

export interface RunFinding {
  run_id: string;
  entities: EntityKey[];
}

export interface OrphanFinding {
  entity: EntityKey;
  run_id: string;
}

export interface StaleArtifactFinding {
  artifact_id: string;
  entity: EntityKey;
}

export interface ScanTruthCounts {
  /**
   * Entries of each list: runs for the first two, entities for `orphan_provenance`, artifacts
   * for `stale_cache`.
   */
  missing_entity: number;
  dangling_reference: number;
  orphan_provenance: number;
  stale_cache: number;
  /** Entities named by the entries of each list. */
  entities: {
    missing_entity: number;
    dangling_reference: number;
    orphan_provenance: number;
    stale_cache: number;
  };
}

export interface ScanTruth {
  /** The moment the oracle describes (epoch ms) and the grace delay it applied. */
  asOf: number;
  graceMs: number;
  missing_entity: RunFinding[];
  dangling_reference: RunFinding[];
  orphan_provenance: OrphanFinding[];
  stale_cache: StaleArtifactFinding[];
  counts: ScanTruthCounts;
}

/** The reads the oracle needs (a `ComponentState` has them). */
export interface ScanTruthSource {
  cappella: Pick<CappellaState, 'allRuns' | 'run'>;
  hippo: Pick<HippoState, 'isAvailable' | 'get' | 'visibleEntities'>;
  canon: Pick<CanonState, 'allArtifacts'>;
}

export function scanTruth(source: ScanTruthSource, now: number, graceMs: number): ScanTruth {
  const { cappella, hippo, canon } = source;
  const cutoff = now - graceMs;
  const missing: RunFinding[] = [];
  const dangling: RunFinding[] = [];
  // Runs written together share one `updated_at` string: parse each distinct one once.
  let lastStamp: string | undefined;
  let lastOldEnough = false;
  for (const run of cappella.allRuns()) {
    if (run.status === 'RUNNING') continue;
    if (run.updated_at !== lastStamp) {
      lastStamp = run.updated_at;
      lastOldEnough = Date.parse(run.updated_at) <= cutoff;
    }
    if (!lastOldEnough) continue;
    if (run.status === 'COMPLETED') {
      const absent = absentIn(run.outputs, (key) => hippo.isAvailable(key));
      if (absent) missing.push({ run_id: run.run_id, entities: absent });
    }
    const references = absentIn(
      runInputReferences(run.inputs),
      (key) => hippo.get(key) !== undefined,
    );
    if (references) dangling.push({ run_id: run.run_id, entities: references });
  }

  const orphans: OrphanFinding[] = [];
  // Consecutive entities usually come from one run: look each run up once per stretch.
  let lastRunId: string | undefined;
  let lastRunKnown = true;
  for (const entity of hippo.visibleEntities()) {
    if (entity.runId !== lastRunId) {
      lastRunId = entity.runId;
      lastRunKnown = cappella.run(entity.runId) !== undefined;
    }
    if (!lastRunKnown) orphans.push({ entity: copyKey(entity.key), run_id: entity.runId });
  }

  const stale: StaleArtifactFinding[] = [];
  const staleEntities = new Set<string>();
  for (const artifact of canon.allArtifacts()) {
    if (hippo.isAvailable(artifact)) continue;
    const entity = copyKey(artifact);
    stale.push({ artifact_id: artifact.artifact_id, entity });
    staleEntities.add(entityKeyId(entity));
  }

  missing.sort(byRunId);
  dangling.sort(byRunId);
  orphans.sort(byEntityThenRun);
  stale.sort((a, b) => compareText(a.artifact_id, b.artifact_id));
  return {
    asOf: now,
    graceMs,
    missing_entity: missing,
    dangling_reference: dangling,
    orphan_provenance: orphans,
    stale_cache: stale,
    counts: {
      missing_entity: missing.length,
      dangling_reference: dangling.length,
      orphan_provenance: orphans.length,
      stale_cache: stale.length,
      entities: {
        missing_entity: entityCount(missing),
        dangling_reference: entityCount(dangling),
        orphan_provenance: orphans.length,
        stale_cache: staleEntities.size,
      },
    },
  };
}

/** The keys `present` refuses, each once and copied; undefined when every one is there. */
function absentIn(
  keys: readonly EntityKey[],
  present: (key: EntityKey) => boolean,
): EntityKey[] | undefined {
  let absent: EntityKey[] | undefined;
  for (const key of keys) {
    if (!present(key)) (absent ??= []).push(copyKey(key));
  }
  return absent && absent.length > 1 ? distinct(absent) : absent;
}

function distinct(keys: EntityKey[]): EntityKey[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const id = entityKeyId(key);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Findings are the caller's to keep: they must not alias the state's key objects. */
function copyKey(key: EntityKey): EntityKey {
  return { entity_type: key.entity_type, external_id: key.external_id };
}

function entityCount(findings: readonly RunFinding[]): number {
  let count = 0;
  for (const finding of findings) count += finding.entities.length;
  return count;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byRunId(a: RunFinding, b: RunFinding): number {
  return compareText(a.run_id, b.run_id);
}

function byEntityThenRun(a: OrphanFinding, b: OrphanFinding): number {
  return (
    compareText(a.entity.entity_type, b.entity.entity_type) ||
    compareText(a.entity.external_id, b.entity.external_id) ||
    compareText(a.run_id, b.run_id)
  );
}
