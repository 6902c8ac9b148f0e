/**
 * History that predates Bridge: completed runs written straight into Cappella and Hippo with
 * no event published, so only a full scan (docs/design.md, Scans) can find what is wrong with
 * them. This is what a scanner's tests and benchmarks start from.
 *
 * Each run's `inputs` are `{source: <run id>, upstream: <an output of the previous run>}`
 * (`runInputReferences` reads the upstream as a Hippo reference), so the history is a chain of
 * runs referring to real entities, as pipelines do; the first run of a call has no upstream.
 * Exact counts of three faults are injected into runs drawn with the simulator's seeded
 * random, at most one fault per run:
 * - `missing_entity`: one of the run's outputs is never written to Hippo;
 * - `dangling_reference`: the run's upstream names an entity no run produced and Hippo lacks;
 * - `orphan_provenance`: Hippo gets one extra entity whose provenance names a run Cappella
 *   never had (`<prefix>-gone-run-<n>`), as if the run had been deleted after writing it.
 *
 * Canon gets artifacts only when asked: `cachedOutputRate` of the outputs written to Hippo,
 * spread evenly, and `staleCacheRate` (per run) artifacts left behind by a deletion nobody
 * announced: each cached for `<prefix>-stale-<n>`, an entity neither Cappella nor Hippo has any
 * more, so it is a stale cache and nothing else.
 *
 * A million entities must be cheap: every run of a call shares one `updated_at` string, the
 * output keys are shared by the run view, Hippo's records and Canon's artifacts, the injection
 * plan is one byte per run, and nothing is recorded per run beyond the state itself. The event
 * ground truth records nothing (`GET /sim/truth` scores event-driven checks; what a scan must
 * find is derived from the state by `scanTruth`, which also follows later changes).
 */
import type { EntityKey } from '@bridge/contracts';
import { deriveSeed, seededRandom, type Random } from '../faults/seeded-random';
import type { PipelineView } from '../state/cappella-state';
import type { ComponentState } from '../state/component-state';
import type { IdSource } from './id-source';
import { outputKeys } from './run-factory';
import { ScenarioError } from './scenario-error';

export interface HistoryInjections {
  missing_entity: number;
  dangling_reference: number;
  orphan_provenance: number;
}

/** What Canon got from a history call. */
export interface SeededArtifacts {
  /** Artifacts of outputs Hippo holds. */
  cached: number;
  /** Artifacts of entities nobody has any more. */
  stale: number;
}

export interface SeededHistory {
  runs: number;
  /** Entities written to Hippo: the outputs that were not lost, plus the orphans. */
  entities: number;
  injected: HistoryInjections;
  artifacts: SeededArtifacts;
  firstRunId: string;
  lastRunId: string;
}

export interface HistoryRequest {
  runs: number;
  outputsPerRun: number;
  missingEntityRate: number;
  danglingReferenceRate: number;
  orphanProvenanceRate: number;
  cachedOutputRate: number;
  staleCacheRate: number;
  ageMs: number;
  pipeline: PipelineView;
  now: number;
}

/** What the injection plan holds per run (one byte each). */
const Injection = { none: 0, missingEntity: 1, danglingReference: 2, orphanProvenance: 3 } as const;

export class HistorySeeder {
  private random: Random;

  constructor(
    private readonly state: ComponentState,
    private readonly ids: IdSource,
    private readonly seed: number,
  ) {
    this.random = seededRandom(deriveSeed(seed, 'history'));
  }

  /** @throws ScenarioError when the rates ask for more injections than runs */
  seedHistory(request: HistoryRequest): SeededHistory {
    const { runs, outputsPerRun } = request;
    const injected: HistoryInjections = {
      missing_entity: Math.round(request.missingEntityRate * runs),
      dangling_reference: Math.round(request.danglingReferenceRate * runs),
      orphan_provenance: Math.round(request.orphanProvenanceRate * runs),
    };
    const plan = injectionPlan(runs, injected, this.random);
    const { cappella, hippo, canon } = this.state;
    // Spread evenly over the history: exactly the asked counts, no draw per output.
    const written = runs * outputsPerRun - injected.missing_entity;
    const cachedEvery = evenSpread(Math.round(request.cachedOutputRate * written), written);
    const staleEvery = evenSpread(Math.round(request.staleCacheRate * runs), runs);
    const artifacts: SeededArtifacts = { cached: 0, stale: 0 };
    let outputIndex = 0;
    const pipelineId = request.pipeline.pipeline_id;
    const updatedAt = new Date(request.now - request.ageMs).toISOString();
    let upstream: EntityKey | undefined;
    let entities = 0;
    let firstRunId = '';
    let runId = '';
    for (let i = 0; i < runs; i += 1) {
      runId = this.ids.next('run');
      if (i === 0) firstRunId = runId;
      const injection = plan[i];
      const outputs = outputKeys(runId, outputsPerRun);
      const lost =
        injection === Injection.missingEntity ? Math.floor(this.random() * outputsPerRun) : -1;
      const inputs: Record<string, unknown> = { source: runId };
      if (injection === Injection.danglingReference) inputs.upstream = unknownUpstream(runId);
      else if (upstream) inputs.upstream = upstream;
      cappella.putRun({
        run_id: runId,
        pipeline_id: pipelineId,
        status: 'COMPLETED',
        inputs,
        outputs,
        updated_at: updatedAt,
      });
      for (let j = 0; j < outputsPerRun; j += 1) {
        if (j === lost) continue;
        hippo.write(outputs[j], runId);
        if (cachedEvery(outputIndex++)) {
          canon.add({ artifact_id: this.ids.next('artifact'), ...outputs[j] });
          artifacts.cached += 1;
        }
      }
      if (staleEvery(i)) {
        const gone = this.ids.next('stale');
        canon.add({
          artifact_id: this.ids.next('artifact'),
          entity_type: 'dataset',
          external_id: gone,
        });
        artifacts.stale += 1;
      }
      entities += lost === -1 ? outputsPerRun : outputsPerRun - 1;
      // The next run reads an output Hippo has, so only injected references dangle.
      if (lost !== 0) upstream = outputs[0];
      else if (outputsPerRun > 1) upstream = outputs[1];
      if (injection === Injection.orphanProvenance) {
        const goneRunId = this.ids.next('gone-run');
        hippo.write({ entity_type: 'dataset', external_id: `${goneRunId}-o1` }, goneRunId);
        entities += 1;
      }
    }
    return { runs, entities, injected, artifacts, firstRunId, lastRunId: runId };
  }

  /** Restarts the seeded choices (the simulator's reset). */
  reset(): void {
    this.random = seededRandom(deriveSeed(this.seed, 'history'));
  }
}

/**
 * Which run gets which injection: exactly the asked count of each, on distinct runs drawn
 * uniformly (a partial Fisher-Yates shuffle of the run indices).
 */
export function injectionPlan(runs: number, counts: HistoryInjections, random: Random): Uint8Array {
  const total = counts.missing_entity + counts.dangling_reference + counts.orphan_provenance;
  if (total > runs) {
    throw new ScenarioError(
      `the rates ask for ${total} injections but there are ${runs} runs (at most one each)`,
    );
  }
  const plan = new Uint8Array(runs);
  const indices = new Uint32Array(runs);
  for (let i = 0; i < runs; i += 1) indices[i] = i;
  for (let drawn = 0; drawn < total; drawn += 1) {
    const swap = drawn + Math.floor(random() * (runs - drawn));
    const picked = indices[swap];
    indices[swap] = indices[drawn];
    indices[drawn] = picked;
    plan[picked] = injectionOf(drawn, counts);
  }
  return plan;
}

/** The draws are handed out in order: first the missing entities, then the dangling references. */
function injectionOf(drawn: number, counts: HistoryInjections): number {
  if (drawn < counts.missing_entity) return Injection.missingEntity;
  if (drawn < counts.missing_entity + counts.dangling_reference) return Injection.danglingReference;
  return Injection.orphanProvenance;
}

/**
 * Whether item `i` of `total` is one of `count` picked evenly (exactly `count` of them when
 * `count` ≤ `total`): item i is picked when ⌊(i+1)·count/total⌋ passes ⌊i·count/total⌋.
 */
function evenSpread(count: number, total: number): (i: number) => boolean {
  if (count <= 0 || total <= 0) return () => false;
  return (i) => Math.floor(((i + 1) * count) / total) > Math.floor((i * count) / total);
}

/** An upstream no run produces (outputs are `<runId>-o<n>`), so Hippo never has it. */
function unknownUpstream(runId: string): EntityKey {
  return { entity_type: 'dataset', external_id: `${runId}-unknown-upstream` };
}
