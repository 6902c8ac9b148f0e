/**
 * One step of a digest scan: the I/O around `digest-bisection.ts` and `digest-suspects.ts`.
 *
 * A step takes some of the slot ranges still to compare, asks both components for their
 * digests in buckets, and keeps only the buckets that differ. Those too large to list go back
 * to be compared again, narrower; the rest are listed on both sides, and what the listings
 * call into question is judged by the rules every scan uses (runs fetched whole and their
 * outputs looked up; provenance confirmed against Cappella). Ranges that agree cost one digest
 * bucket and nothing more.
 *
 * A step holds at most `rangesPerStep` ranges' listings in memory, and what it returns (the
 * ranges left, the discrepancies found) is what the scanner commits with its checkpoint.
 */
import type { CappellaRun, EntityPresence, HippoEntity, OutputPair } from '@bridge/components';
import {
  entityKeyId,
  runInputReferences,
  type DigestBucket,
  type EntityKey,
  type SlotRange,
} from '@bridge/contracts';
import { differingBuckets, planBisection } from './digest-bisection';
import { suspectsIn } from './digest-suspects';
import { orphanDiscrepancies, runDiscrepancies, type ScanDiscrepancy } from './scan-decisions';

/** The calls a digest scan makes of components that offer range digests. */
export interface DigestScanComponents {
  cappella: {
    outputDigest(range: SlotRange, buckets: number): Promise<DigestBucket[]>;
    outputsIn(range: SlotRange): Promise<OutputPair[]>;
    getRun(runId: string): Promise<CappellaRun | null>;
  };
  hippo: {
    entityDigest(range: SlotRange, buckets: number): Promise<DigestBucket[]>;
    entitiesIn(range: SlotRange): Promise<HippoEntity[]>;
    lookup(keys: readonly EntityKey[]): Promise<EntityPresence[]>;
  };
}

export interface DigestStepSettings {
  /** Buckets each compared range is cut into. */
  buckets: number;
  /** A differing range holding at most this many pairs (larger side) is listed, not split. */
  listLimit: number;
  /** Ranges compared per step. */
  rangesPerStep: number;
}

export interface DigestStepResult {
  /** The ranges still to compare, the ones this step split included. */
  pending: SlotRange[];
  discrepancies: ScanDiscrepancy[];
  /** Ranges this step listed (for progress and the benchmark's figures). */
  listed: SlotRange[];
  /** Pairs the listings returned, both sides. */
  pairsRead: number;
}

export async function digestStep(
  components: DigestScanComponents,
  pending: readonly SlotRange[],
  settings: DigestStepSettings,
  graceCutoff: Date,
): Promise<DigestStepResult> {
  const now = pending.slice(0, settings.rangesPerStep);
  const later = pending.slice(settings.rangesPerStep);
  const compared = await Promise.all(
    now.map(async (range) => {
      const [cappella, hippo] = await Promise.all([
        components.cappella.outputDigest(range, settings.buckets),
        components.hippo.entityDigest(range, settings.buckets),
      ]);
      return differingBuckets(cappella, hippo);
    }),
  );
  const plan = planBisection(compared.flat(), settings.listLimit);
  const listings = await Promise.all(
    plan.list.map(async (range) => {
      const [outputs, entities] = await Promise.all([
        components.cappella.outputsIn(range),
        components.hippo.entitiesIn(range),
      ]);
      return { outputs, entities };
    }),
  );
  const suspects = suspectsIn(
    listings.flatMap((l) => l.outputs),
    listings.flatMap((l) => l.entities),
  );
  const listedUnavailable = new Set(
    listings.flatMap((l) => l.entities.filter((e) => !e.available).map((e) => entityKeyId(e))),
  );
  const discrepancies = [
    ...(await judgeRuns(components, suspects.runsToJudge, listedUnavailable, graceCutoff)),
    ...(await confirmProvenance(components, suspects.provenanceToConfirm)),
  ];
  return {
    pending: [...plan.split, ...later],
    discrepancies,
    listed: plan.list,
    pairsRead: listings.reduce((sum, l) => sum + l.outputs.length + l.entities.length, 0),
  };
}

/**
 * Each suspect run whole: fetched, its outputs and references looked up, judged as always. A
 * look-up says only whether Hippo holds an entity; the ones the listings showed unavailable
 * count as missing, as in a listing scan.
 */
async function judgeRuns(
  components: DigestScanComponents,
  runIds: readonly string[],
  unavailable: ReadonlySet<string>,
  graceCutoff: Date,
): Promise<ScanDiscrepancy[]> {
  if (runIds.length === 0) return [];
  const runs = (await Promise.all(runIds.map((id) => components.cappella.getRun(id)))).filter(
    (run): run is CappellaRun => run !== null,
  );
  const keys = runs.flatMap((run) => [...run.outputs, ...runInputReferences(run.inputs)]);
  const presence = keys.length > 0 ? await components.hippo.lookup(keys) : [];
  const available = new Set(
    presence
      .filter((p) => p.exists)
      .map((p) => entityKeyId(p))
      .filter((id) => !unavailable.has(id)),
  );
  return runDiscrepancies(runs, graceCutoff, available);
}

/** Orphans among entities whose run did not register them: the run does not exist. */
async function confirmProvenance(
  components: DigestScanComponents,
  entities: readonly HippoEntity[],
): Promise<ScanDiscrepancy[]> {
  if (entities.length === 0) return [];
  const runIds = [...new Set(entities.map((e) => e.provenance?.run_id).filter(isString))];
  const found = await Promise.all(runIds.map((id) => components.cappella.getRun(id)));
  const existing = new Set(runIds.filter((_, i) => found[i] !== null));
  return orphanDiscrepancies(entities, existing);
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}
