/**
 * The pure core of the full scan (see docs/design.md, Scans): which runs a scan may judge yet,
 * what a page of runs or entities reveals, what each discrepancy is recorded as, how a
 * listing's checkpoint moves, which mode a scheduled scan takes, and how far along a scan is.
 * No I/O: `ScanRunner` reads the pages and the store and carries out what these functions decide.
 *
 * The three discrepancies, both directions:
 * - `missing_entity`: a completed run lists an output that Hippo does not have, or lists
 *   with `available: false`;
 * - `dangling_reference`: a run's inputs reference an entity Hippo does not have (or lists
 *   unavailable), read with `runInputReferences`;
 * - `orphan_provenance`: a Hippo entity's provenance names a run Cappella does not have;
 * - `stale_cache` (full scans whose Canon lists its artifacts): Canon caches artifacts of an
 *   entity Hippo no longer has, or no longer offers.
 */
import {
  DIGEST_SLOTS,
  entityKeyId,
  runInputReferences,
  SCAN_CHECK_TYPE,
  type EntityKey,
  type MismatchType,
  type RepairStrategy,
} from '@bridge/contracts';
import type { Artifact, CappellaRun, EntityPresence, HippoEntity } from '@bridge/components';
import { outputTally } from './output-tally';
import {
  SyncEventTypes,
  type FindingSubject,
  type ListingCheckpoint,
  type NewSyncEvent,
  type RunTally,
  type Scan,
  type ScanCheckpoint,
  type ScanMethod,
  type ScanMode,
  type ScanPhase,
  type ScannedComponent,
} from '@bridge/store';

/** A discrepancy a scan found, before it is recorded. */
export type ScanDiscrepancy =
  | {
      type: 'missing_entity' | 'dangling_reference';
      runId: string;
      pipelineId: string;
      /** The outputs (missing_entity) or input references (dangling_reference) Hippo lacks. */
      entities: EntityKey[];
      /** How many entities of the run were looked at. */
      checked: number;
    }
  | {
      type: 'orphan_provenance';
      /** The run the entity's provenance names, which Cappella does not have. */
      runId: string;
      entity: EntityKey;
    }
  | {
      type: 'stale_cache';
      /** The entity Hippo deleted (absent) or made unavailable. */
      entity: EntityKey;
      change: 'DELETED' | 'UNAVAILABLE';
      /** Its artifacts Canon still caches (those not already named by an open finding). */
      artifactIds: string[];
    };

/** A discrepancy about a run or an entity's provenance (what the listings and digests find). */
export type RunDiscrepancy = Exclude<ScanDiscrepancy, { type: 'stale_cache' }>;

/** Artifacts Canon caches for an entity Hippo no longer has or offers (what Canon's listing finds). */
export type StaleCacheDiscrepancy = Extract<ScanDiscrepancy, { type: 'stale_cache' }>;

/**
 * True when the scan may judge the run now: not still running, and changed before the grace
 * cutoff, so that outputs still in flight to Hippo (lag) are not reported; a run changed later
 * is judged by the next scan, whose cursor starts before it.
 */
export function isJudgeable(run: CappellaRun, graceCutoff: Date): boolean {
  return run.status !== 'RUNNING' && !isTooRecent(run, graceCutoff);
}

/** Changed after the cutoff (an unreadable timestamp counts as old: it cannot be waited for). */
export function isTooRecent(run: CappellaRun, graceCutoff: Date): boolean {
  const changed = Date.parse(run.updated_at);
  return !Number.isNaN(changed) && changed > graceCutoff.getTime();
}

/** Which of a run's entities a page of runs judges: its outputs, its input references. */
export interface RunJudging {
  outputs: boolean;
  references: boolean;
}

const WHOLE_RUN: RunJudging = { outputs: true, references: true };

/**
 * What to ask Hippo about for a page of runs: judgeable runs' outputs (unless tallied) and
 * input references.
 */
export function keysToLookUp(
  runs: readonly CappellaRun[],
  graceCutoff: Date,
  judging: RunJudging = WHOLE_RUN,
): EntityKey[] {
  const keys: EntityKey[] = [];
  for (const run of runs) {
    if (!isJudgeable(run, graceCutoff)) continue;
    if (judging.outputs && run.status === 'COMPLETED') keys.push(...run.outputs);
    if (judging.references) keys.push(...runInputReferences(run.inputs));
  }
  return keys;
}

/**
 * The discrepancies of a page of runs, given which entity keys (`entityKeyId`) Hippo has
 * available, for the entities `judging` names. A run can have both kinds; each is its own
 * finding.
 */
export function runDiscrepancies(
  runs: readonly CappellaRun[],
  graceCutoff: Date,
  available: ReadonlySet<string>,
  judging: RunJudging = WHOLE_RUN,
): ScanDiscrepancy[] {
  const found: ScanDiscrepancy[] = [];
  for (const run of runs) {
    if (!isJudgeable(run, graceCutoff)) continue;
    if (judging.outputs && run.status === 'COMPLETED') {
      const missing = run.outputs.filter((key) => !available.has(entityKeyId(key)));
      if (missing.length > 0) {
        found.push({
          type: 'missing_entity',
          runId: run.run_id,
          pipelineId: run.pipeline_id,
          entities: missing,
          checked: run.outputs.length,
        });
      }
    }
    if (!judging.references) continue;
    const references = runInputReferences(run.inputs);
    const dangling = references.filter((key) => !available.has(entityKeyId(key)));
    if (dangling.length > 0) {
      found.push({
        type: 'dangling_reference',
        runId: run.run_id,
        pipelineId: run.pipeline_id,
        entities: dangling,
        checked: references.length,
      });
    }
  }
  return found;
}

/** The distinct runs a page of entities names as provenance, in first-seen order. */
export function provenanceRunIds(entities: readonly HippoEntity[]): string[] {
  const ids = new Set<string>();
  for (const entity of entities) if (entity.provenance) ids.add(entity.provenance.run_id);
  return [...ids];
}

/** Entities whose provenance names a run not in `existingRuns`. */
export function orphanDiscrepancies(
  entities: readonly HippoEntity[],
  existingRuns: ReadonlySet<string>,
): ScanDiscrepancy[] {
  return entities.flatMap((entity): ScanDiscrepancy[] =>
    entity.provenance && !existingRuns.has(entity.provenance.run_id)
      ? [
          {
            type: 'orphan_provenance',
            runId: entity.provenance.run_id,
            entity: { entity_type: entity.entity_type, external_id: entity.external_id },
          },
        ]
      : [],
  );
}

/**
 * Entities listed `available: false`, by the (existing) run that produced them: each such run
 * lost an output, which the scan confirms against the run itself (`unavailableOutputsOf`).
 */
export function unavailableByRun(
  entities: readonly HippoEntity[],
  existingRuns: ReadonlySet<string>,
): Map<string, EntityKey[]> {
  const byRun = new Map<string, EntityKey[]>();
  for (const entity of entities) {
    if (entity.available || !entity.provenance) continue;
    const runId = entity.provenance.run_id;
    if (!existingRuns.has(runId)) continue;
    const keys = byRun.get(runId) ?? [];
    keys.push({ entity_type: entity.entity_type, external_id: entity.external_id });
    byRun.set(runId, keys);
  }
  return byRun;
}

/**
 * The `missing_entity` of a run one of whose entities Hippo listed unavailable: its outputs
 * that are unavailable or absent. Null when the run is not a completed, judgeable run listing
 * any of them (the entity was not this run's output, or lag may still be in flight).
 */
export function unavailableOutputsOf(
  run: CappellaRun | null,
  unavailable: readonly EntityKey[],
  available: ReadonlySet<string>,
  graceCutoff: Date,
): ScanDiscrepancy | null {
  if (!run || run.status !== 'COMPLETED' || !isJudgeable(run, graceCutoff)) return null;
  const lost = new Set(unavailable.map(entityKeyId));
  const outputIds = new Set(run.outputs.map(entityKeyId));
  if (![...lost].some((id) => outputIds.has(id))) return null;
  const missing = run.outputs.filter(
    (key) => lost.has(entityKeyId(key)) || !available.has(entityKeyId(key)),
  );
  return {
    type: 'missing_entity',
    runId: run.run_id,
    pipelineId: run.pipeline_id,
    entities: missing,
    checked: run.outputs.length,
  };
}

/**
 * The record a finding is about: a run in Cappella, or an entity in Hippo (`type:externalId`,
 * the form Canon's queries use). The scanner records a discrepancy only if no finding of the
 * same type for the same record is still open, whoever recorded it.
 */
export function subjectOf(discrepancy: RunDiscrepancy): FindingSubject {
  return discrepancy.type === 'orphan_provenance'
    ? {
        mismatchType: discrepancy.type,
        source: 'hippo',
        sourceId: `${discrepancy.entity.entity_type}:${discrepancy.entity.external_id}`,
      }
    : { mismatchType: discrepancy.type, source: 'cappella', sourceId: discrepancy.runId };
}

/**
 * The sync event log row of a scan's discrepancy. Its de-duplication key names the scan, so a
 * page read again after a crash records nothing twice, while a later scan may record the same
 * discrepancy again once its earlier finding was resolved.
 */
export function scanFindingFor(
  discrepancy: ScanDiscrepancy,
  scan: Pick<Scan, 'id' | 'startedAt' | 'requestedAt'>,
  strategies: Readonly<Record<MismatchType, RepairStrategy>>,
): NewSyncEvent {
  const context = {
    check_type: SCAN_CHECK_TYPE as typeof SCAN_CHECK_TYPE,
    source_event_id: scan.id,
    triggered_at: (scan.startedAt ?? scan.requestedAt).getTime(),
    attempts: 1,
    scan_id: scan.id,
  };
  if (discrepancy.type === 'stale_cache') {
    const sourceId = `${discrepancy.entity.entity_type}:${discrepancy.entity.external_id}`;
    return {
      source: 'canon',
      sourceId,
      // An entity's artifacts may span two pages: each page's are their own finding, keyed by
      // the first artifact, so a page read again after a crash records nothing twice.
      dedupeKey: `scan:${scan.id}:stale_cache:${sourceId}:${discrepancy.artifactIds[0]}`,
      actor: null,
      eventType: SyncEventTypes.StaleCache,
      mismatchType: 'stale_cache',
      repairStrategy: strategies.stale_cache,
      details: {
        ...context,
        run_id: null,
        pipeline_id: null,
        change: discrepancy.change,
        artifact_ids: discrepancy.artifactIds,
        entities: [discrepancy.entity],
      },
      publishes: true,
    };
  }
  const subject = subjectOf(discrepancy);
  const entities =
    discrepancy.type === 'orphan_provenance' ? [discrepancy.entity] : discrepancy.entities;
  return {
    source: subject.source,
    sourceId: subject.sourceId,
    dedupeKey: `scan:${scan.id}:${discrepancy.type}:${subject.sourceId}`,
    actor: null,
    eventType: SyncEventTypes.Mismatch,
    mismatchType: discrepancy.type,
    repairStrategy: strategies[discrepancy.type],
    details: {
      ...context,
      run_id: discrepancy.runId,
      pipeline_id: discrepancy.type === 'orphan_provenance' ? null : discrepancy.pipelineId,
      checked_count: discrepancy.type === 'orphan_provenance' ? 1 : discrepancy.checked,
      missing_entities: entities,
    },
    publishes: true,
  };
}

/** The distinct entities a page of artifacts belongs to, in first-seen order. */
export function artifactEntities(artifacts: readonly Artifact[]): EntityKey[] {
  const seen = new Map<string, EntityKey>();
  for (const { entity_type, external_id } of artifacts) {
    const key = { entity_type, external_id };
    const id = entityKeyId(key);
    if (!seen.has(id)) seen.set(id, key);
  }
  return [...seen.values()];
}

/**
 * The stale caches of a page of artifacts, given what Hippo answered for their entities (by
 * `entityKeyId`): one per entity that Hippo does not have (`DELETED`) or does not offer
 * (`UNAVAILABLE`), naming its artifacts on the page. An entity Hippo was not asked about is
 * left alone.
 */
export function staleCacheDiscrepancies(
  artifacts: readonly Artifact[],
  presence: ReadonlyMap<string, Pick<EntityPresence, 'exists' | 'available'>>,
): StaleCacheDiscrepancy[] {
  const byEntity = new Map<string, StaleCacheDiscrepancy>();
  for (const artifact of artifacts) {
    const entity = { entity_type: artifact.entity_type, external_id: artifact.external_id };
    const id = entityKeyId(entity);
    const found = byEntity.get(id);
    if (found) {
      found.artifactIds.push(artifact.artifact_id);
      continue;
    }
    const answer = presence.get(id);
    if (!answer || (answer.exists && answer.available)) continue;
    byEntity.set(id, {
      type: 'stale_cache',
      entity,
      change: answer.exists ? 'UNAVAILABLE' : 'DELETED',
      artifactIds: [artifact.artifact_id],
    });
  }
  return [...byEntity.values()];
}

/**
 * A stale cache without the artifacts an open finding already names (whoever recorded it, the
 * staleness check or an earlier scan), or null when none is left: each stale artifact is
 * reported once while its finding is open.
 */
export function unreportedStaleCache(
  discrepancy: StaleCacheDiscrepancy,
  reported: ReadonlySet<string>,
): StaleCacheDiscrepancy | null {
  const artifactIds = discrepancy.artifactIds.filter((id) => !reported.has(id));
  return artifactIds.length === 0 ? null : { ...discrepancy, artifactIds };
}

/**
 * True when a scan checks outputs by tallies (`output-tally.ts`) rather than by looking each
 * one up: a full scan by listing, which reads all of Hippo anyway. An incremental scan reads
 * only what changed, so it cannot tally a run's older entities, and looks outputs up.
 */
export function talliesOutputs(scan: Pick<Scan, 'mode' | 'method'>): boolean {
  return scan.mode === 'full' && scan.method === 'listing';
}

/**
 * The phase after `phase` is done. A scan by listing reads Cappella, then Hippo; a full one
 * then judges the runs whose output tallies differ (`outputs`); every full scan whose Canon
 * lists its artifacts reads them last (deletions leave nothing for an incremental cursor to
 * find).
 */
export function phaseAfter(
  phase: Exclude<ScanPhase, 'done'>,
  scan: Pick<Scan, 'mode' | 'method'>,
  canonListed: boolean,
): ScanPhase {
  const canonOrDone: ScanPhase = scan.mode === 'full' && canonListed ? 'canon' : 'done';
  switch (phase) {
    case 'cappella':
      return 'hippo';
    case 'hippo':
      return talliesOutputs(scan) ? 'outputs' : canonOrDone;
    case 'outputs':
    case 'digest':
      return canonOrDone;
    case 'canon':
      return 'done';
  }
}

/**
 * What Hippo should hold of each judgeable completed run of a page, for a scan that tallies
 * outputs: the tally of its distinct outputs.
 */
export function expectedOutputTallies(runs: readonly CappellaRun[], graceCutoff: Date): RunTally[] {
  return runs
    .filter((run) => run.status === 'COMPLETED' && isJudgeable(run, graceCutoff))
    .map((run) => {
      const { count, sum } = outputTally(run.outputs);
      return { runId: run.run_id, count, sum };
    });
}

/**
 * A listing's checkpoint after a page fetched with cursor `fetchedWith` was handled. The next
 * page starts at the page's `next_cursor`; the listing is done when that is null (nothing more
 * now). The next scan starts at the first page that held a run too recent to judge, else at the
 * last page read: a listing's last page has no cursor after it, so the next scan reads that
 * page again (its tail) and whatever changed after it.
 */
export function checkpointAfterPage(
  checkpoint: ListingCheckpoint,
  fetchedWith: string | null,
  nextCursor: string | null,
  heldBack: boolean,
): { checkpoint: ListingCheckpoint; done: boolean } {
  const resumeFixed = checkpoint.resumeFixed || heldBack;
  return {
    checkpoint: {
      after: nextCursor ?? fetchedWith,
      resumeAt: checkpoint.resumeFixed ? checkpoint.resumeAt : fetchedWith,
      resumeFixed,
    },
    done: nextCursor === null,
  };
}

/**
 * Where a scan starts reading: from the beginning (a full scan by listing), from the saved
 * cursors (incremental), or over the whole slot space (a digest scan). A digest scan carries
 * the saved cursors through unchanged: it lists nothing in change order, so the next
 * incremental scan goes on from where the last listing left off.
 */
export function initialCheckpoint(
  mode: ScanMode,
  cursors: Partial<Record<ScannedComponent, string | null>>,
  method: ScanMethod = 'listing',
): ScanCheckpoint {
  const keepCursors = mode === 'incremental' || method === 'digest';
  const start = (component: ScannedComponent): ListingCheckpoint => {
    const after = keepCursors ? (cursors[component] ?? null) : null;
    return { after, resumeAt: after, resumeFixed: false };
  };
  const checkpoint: ScanCheckpoint = { cappella: start('cappella'), hippo: start('hippo') };
  if (method === 'digest') checkpoint.digest = { pending: [{ from: 0, to: DIGEST_SLOTS }] };
  return checkpoint;
}

/**
 * The mode a scan runs in. An incremental scan needs the cursors of a completed scan for both
 * listings; without them it is a full scan. A scheduled scan (no mode asked for) is a full
 * re-scan when the last completed full scan is older than `fullIntervalMs` (deletions a
 * cursor cannot show), else incremental.
 */
export function scanModeFor(input: {
  asked: ScanMode | null;
  hasCursors: boolean;
  lastFullScanAt: Date | null;
  now: number;
  fullIntervalMs: number;
}): ScanMode {
  if (!input.hasCursors || input.asked === 'full') return 'full';
  if (input.asked === 'incremental') return 'incremental';
  const fullDue =
    input.lastFullScanAt === null ||
    input.now - input.lastFullScanAt.getTime() >= input.fullIntervalMs;
  return fullDue ? 'full' : 'incremental';
}

/**
 * How a scan reads. Only a full scan can compare digests, and only when both components offer
 * them. Asked for, a method is honoured where it can be. Otherwise a full scan compares digests
 * while a full scan by listing (the reference pass: digests cannot show a dangling reference
 * of a run that did not change) completed less than `listingIntervalMs` ago, and lists when
 * that pass is due.
 */
export function scanMethodFor(input: {
  mode: ScanMode;
  asked: ScanMethod | null;
  digestsOffered: boolean;
  lastListingFullScanAt: Date | null;
  now: number;
  listingIntervalMs: number;
}): ScanMethod {
  if (input.mode !== 'full' || !input.digestsOffered || input.asked === 'listing') {
    return 'listing';
  }
  if (input.asked === 'digest') return 'digest';
  const referencePassDue =
    input.lastListingFullScanAt === null ||
    input.now - input.lastListingFullScanAt.getTime() >= input.listingIntervalMs;
  return referencePassDue ? 'listing' : 'digest';
}

export interface ScanProgressEstimate {
  /** Items read so far (runs, entities and artifacts). */
  itemsRead: number;
  /** Share done, from the items the previous comparable scan read; null without one. */
  fraction: number | null;
  /** When the scan should end at its pace so far; null when that cannot be told. */
  estimatedCompletionAt: Date | null;
}

/**
 * How far along a running scan is, and when it should end. A listing scan measures against
 * what the previous comparable scan read; a digest scan by the share of the slot space that is
 * settled (agreed, or listed and judged).
 */
export function progressOf(
  scan: Pick<Scan, 'status' | 'items' | 'estimatedItems' | 'startedAt'> &
    Partial<Pick<Scan, 'checkpoint'>>,
  now: number,
): ScanProgressEstimate {
  const itemsRead = scan.items.cappella + scan.items.hippo + scan.items.canon;
  if (scan.status === 'completed') {
    return { itemsRead, fraction: 1, estimatedCompletionAt: null };
  }
  const digest = scan.checkpoint?.digest;
  const [done, total] = digest
    ? [DIGEST_SLOTS - digest.pending.reduce((sum, r) => sum + (r.to - r.from), 0), DIGEST_SLOTS]
    : [itemsRead, scan.estimatedItems ?? 0];
  if (total <= 0 || !scan.startedAt) {
    return { itemsRead, fraction: null, estimatedCompletionAt: null };
  }
  // Capped below 1: a history that grew since the previous scan is not done at its size.
  const fraction = Math.min(0.99, done / total);
  if (done === 0) return { itemsRead, fraction, estimatedCompletionAt: null };
  const elapsed = now - scan.startedAt.getTime();
  const remaining = Math.max(0, total - done);
  return {
    itemsRead,
    fraction,
    estimatedCompletionAt: new Date(now + (elapsed * remaining) / done),
  };
}

/** One measure of the scan in progress, as the `bridge_scan_progress` gauge shows it. */
export interface ScanProgressSample {
  labels: { mode: string; measure: 'fraction' | 'items' | 'findings' | 'eta_seconds' };
  value: number;
}

/**
 * The gauge values of a running scan: items read and findings always; the fraction done and
 * the seconds left once the previous scan gives an estimate. An idle scanner shows none.
 */
export function scanProgressSamples(
  scan: Pick<Scan, 'mode' | 'status' | 'items' | 'estimatedItems' | 'startedAt' | 'counts'> &
    Partial<Pick<Scan, 'checkpoint'>>,
  now: number,
): ScanProgressSample[] {
  if (scan.status !== 'running') return [];
  const progress = progressOf(scan, now);
  const sample = (measure: ScanProgressSample['labels']['measure'], value: number) => ({
    labels: { mode: scan.mode, measure },
    value,
  });
  const findings = Object.values(scan.counts).reduce((sum, n) => sum + (n ?? 0), 0);
  const samples = [sample('items', progress.itemsRead), sample('findings', findings)];
  if (progress.fraction !== null) samples.push(sample('fraction', progress.fraction));
  if (progress.estimatedCompletionAt !== null) {
    samples.push(
      sample('eta_seconds', Math.max(0, (progress.estimatedCompletionAt.getTime() - now) / 1000)),
    );
  }
  return samples;
}

/** Findings per mismatch type among recorded discrepancies. */
export function countByType(types: readonly MismatchType[]): Partial<Record<MismatchType, number>> {
  const counts: Partial<Record<MismatchType, number>> = {};
  for (const type of types) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}
