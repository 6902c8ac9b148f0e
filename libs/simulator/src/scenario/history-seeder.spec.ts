import { seededRandom } from '../faults/seeded-random';
import { ComponentState } from '../state/component-state';
import { HistorySeeder, injectionPlan } from './history-seeder';
import { IdSource } from './id-source';
import { ScenarioError } from './scenario-error';
import { scanTruth } from './scan-truth';

const NOW = Date.parse('2030-01-01T00:00:00Z');

function seeder() {
  const state = new ComponentState(() => NOW);
  return { state, history: new HistorySeeder(state, new IdSource('h'), 7) };
}

const request = {
  outputsPerRun: 10,
  missingEntityRate: 0,
  danglingReferenceRate: 0,
  orphanProvenanceRate: 0,
  cachedOutputRate: 0,
  staleCacheRate: 0,
  ageMs: 60_000,
  pipeline: { pipeline_id: 'align-reads', idempotent: true },
  now: NOW,
};

describe('injectionPlan', () => {
  const counts = (plan: Uint8Array) =>
    [0, 1, 2, 3].map((kind) => plan.filter((k) => k === kind).length);

  it('gives exactly the asked count of each injection, one per run at most', () => {
    const plan = injectionPlan(
      1_000,
      { missing_entity: 17, dangling_reference: 230, orphan_provenance: 3 },
      seededRandom(1),
    );
    expect(counts(plan)).toEqual([750, 17, 230, 3]);
    expect(
      counts(
        injectionPlan(
          4,
          { missing_entity: 1, dangling_reference: 1, orphan_provenance: 2 },
          seededRandom(2),
        ),
      ),
    ).toEqual([0, 1, 1, 2]);
  });

  it('draws the same runs from the same seed and others from another', () => {
    const plan = (seed: number) =>
      injectionPlan(
        500,
        { missing_entity: 5, dangling_reference: 5, orphan_provenance: 5 },
        seededRandom(seed),
      );
    expect(plan(3)).toEqual(plan(3));
    expect(plan(3)).not.toEqual(plan(4));
  });

  it('refuses more injections than runs', () => {
    expect(() =>
      injectionPlan(
        2,
        { missing_entity: 1, dangling_reference: 1, orphan_provenance: 1 },
        seededRandom(1),
      ),
    ).toThrow(ScenarioError);
  });
});

describe('HistorySeeder', () => {
  it('dates every run ageMs back with one shared timestamp and chains upstream references', () => {
    const { state, history } = seeder();
    const seeded = history.seedHistory({ ...request, runs: 3, outputsPerRun: 2 });
    expect(seeded).toEqual({
      runs: 3,
      entities: 6,
      injected: { missing_entity: 0, dangling_reference: 0, orphan_provenance: 0 },
      artifacts: { cached: 0, stale: 0 },
      firstRunId: 'h-run-1',
      lastRunId: 'h-run-3',
    });
    const runs = [...state.cappella.allRuns()];
    expect(runs.map((run) => run.inputs)).toEqual([
      { source: 'h-run-1' },
      { source: 'h-run-2', upstream: { entity_type: 'dataset', external_id: 'h-run-1-o1' } },
      { source: 'h-run-3', upstream: { entity_type: 'dataset', external_id: 'h-run-2-o1' } },
    ]);
    expect(new Set(runs.map((run) => run.updated_at))).toEqual(
      new Set(['2029-12-31T23:59:00.000Z']),
    );
    expect(runs[1].inputs.upstream).toBe(runs[0].outputs[0]); // one key object, shared
  });

  it('never lets a run refer to an output that was lost, even with one output per run', () => {
    const { state, history } = seeder();
    history.seedHistory({ ...request, runs: 20, outputsPerRun: 1, missingEntityRate: 0.5 });
    const truth = scanTruth(state, NOW, 30_000);
    expect(truth.counts.missing_entity).toBe(10);
    expect(truth.dangling_reference).toEqual([]);
  });

  it('writes the orphan entity with the provenance of a run Cappella never had', () => {
    const { state, history } = seeder();
    const seeded = history.seedHistory({ ...request, runs: 2, orphanProvenanceRate: 0.5 });
    expect(seeded.entities).toBe(21);
    expect(scanTruth(state, NOW, 0).orphan_provenance).toEqual([
      {
        entity: { entity_type: 'dataset', external_id: 'h-gone-run-1-o1' },
        run_id: 'h-gone-run-1',
      },
    ]);
  });

  it('caches exactly the asked share of outputs, spread evenly, and leaves stale artifacts behind', () => {
    const { state, history } = seeder();
    const seeded = history.seedHistory({
      ...request,
      runs: 40,
      outputsPerRun: 5,
      missingEntityRate: 0.25,
      cachedOutputRate: 0.1,
      staleCacheRate: 0.1,
    });
    // 190 outputs reached Hippo; 10% of the 200 outputs, 10% of the 40 runs.
    expect(seeded.artifacts).toEqual({ cached: 19, stale: 4 });
    expect(state.canon.artifactCount).toBe(23);
    const truth = scanTruth(state, NOW, 0);
    expect(truth.counts.stale_cache).toBe(4);
    expect(truth.stale_cache.every(({ entity }) => entity.external_id.includes('-stale-'))).toBe(
      true,
    );
    // The stale artifacts are no run's business: the run findings are only the injected ones.
    expect(truth.counts.missing_entity).toBe(10);
    expect(truth.counts.orphan_provenance).toBe(0);
  });
});
