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
 * ranges left, the discrepancies found) is what the scanner commits with its checkpoint. Data
 * changes while a scan runs: a range that grew past what a component lists at once (413) goes
 * back to be cut narrower, and what moved between the two sides' answers is judged afresh, by
 * the runs and entities as they are when judged.
 */
import type { CappellaRun, EntityPresence, HippoEntity, OutputPair } from '@bridge/components';
import { ComponentRequestError } from '@bridge/errors';
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
  /** Pairs each side's listings returned. */
  pairsRead: { cappella: number; hippo: number };
}

/** The two sides of a listed range, or `tooWide` when a component would not list it at once. */
type RangeListing = { outputs: OutputPair[]; entities: HippoEntity[] } | 'tooWide';

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
  const listed: SlotRange[] = [];
  const narrower: SlotRange[] = [];
  const listings: Array<{ outputs: OutputPair[]; entities: HippoEntity[] }> = [];
  const answers = await Promise.all(plan.list.map((range) => listRange(components, range)));
  plan.list.forEach((range, i) => {
    const answer = answers[i];
    if (answer === 'tooWide') narrower.push(range);
    else {
      listed.push(range);
      listings.push(answer);
    }
  });
  const outputs = listings.flatMap((l) => l.outputs);
  const entities = listings.flatMap((l) => l.entities);
  const suspects = suspectsIn(outputs, entities);
  const discrepancies = [
    ...(await judgeRuns(components, suspects.runsToJudge, graceCutoff)),
    ...(await confirmProvenance(components, suspects.provenanceToConfirm)),
  ];
  return {
    pending: [...narrower, ...plan.split, ...later],
    discrepancies,
    listed,
    pairsRead: { cappella: outputs.length, hippo: entities.length },
  };
}

/**
 * Both sides of `range`. A side that refuses it as too wide (it grew since its digest) sends it
 * back to be cut; a single slot cannot be cut, so that refusal stands as the error it is.
 */
async function listRange(
  components: DigestScanComponents,
  range: SlotRange,
): Promise<RangeListing> {
  try {
    const [outputs, entities] = await Promise.all([
      components.cappella.outputsIn(range),
      components.hippo.entitiesIn(range),
    ]);
    return { outputs, entities };
  } catch (error) {
    const tooWide = error instanceof ComponentRequestError && error.status === 413;
    if (tooWide && range.to - range.from > 1) return 'tooWide';
    throw error;
  }
}

/**
 * Each suspect run whole: fetched, its outputs and references looked up, judged as always (an
 * entity Hippo holds but does not offer counts as missing), so a finding names every output
 * the run lost, in this range or any other.
 */
async function judgeRuns(
  components: DigestScanComponents,
  runIds: readonly string[],
  graceCutoff: Date,
): Promise<ScanDiscrepancy[]> {
  if (runIds.length === 0) return [];
  const runs = (await Promise.all(runIds.map((id) => components.cappella.getRun(id)))).filter(
    (run): run is CappellaRun => run !== null,
  );
  const keys = runs.flatMap((run) => [...run.outputs, ...runInputReferences(run.inputs)]);
  const presence = keys.length > 0 ? await components.hippo.lookup(keys) : [];
  const available = new Set(presence.filter((p) => p.available).map((p) => entityKeyId(p)));
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
