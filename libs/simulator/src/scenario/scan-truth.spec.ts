import type { EntityKey } from '@bridge/contracts';
import type { RunStatus, RunView } from '../state/cappella-state';
import { ComponentState } from '../state/component-state';
import { scanTruth } from './scan-truth';

const NOW = 1_000_000;
const key = (id: string, type = 'dataset'): EntityKey => ({ entity_type: type, external_id: id });

function world() {
  const time = { now: NOW };
  const state = new ComponentState(() => time.now);
  const putRun = (
    runId: string,
    outputs: EntityKey[],
    options: { status?: RunStatus; inputs?: Record<string, unknown>; ageMs?: number } = {},
  ): RunView => {
    const run: RunView = {
      run_id: runId,
      pipeline_id: 'p',
      status: options.status ?? 'COMPLETED',
      inputs: options.inputs ?? { source: runId },
      outputs,
      updated_at: new Date(time.now - (options.ageMs ?? 60_000)).toISOString(),
    };
    state.cappella.putRun(run);
    return run;
  };
  return { time, state, putRun };
}

describe('scanTruth', () => {
  it('reports nothing for a consistent world', () => {
    const { state, putRun } = world();
    putRun('r1', [key('a'), key('b')]);
    state.hippo.write(key('a'), 'r1');
    state.hippo.write(key('b'), 'r1');
    putRun('r2', [key('c')], { inputs: { upstream: key('a'), note: 'x' } });
    state.hippo.write(key('c'), 'r2');
    const truth = scanTruth(state, NOW, 30_000);
    expect(truth).toMatchObject({
      asOf: NOW,
      graceMs: 30_000,
      missing_entity: [],
      dangling_reference: [],
      orphan_provenance: [],
    });
    expect(truth.counts).toEqual({
      missing_entity: 0,
      dangling_reference: 0,
      orphan_provenance: 0,
      stale_cache: 0,
      entities: { missing_entity: 0, dangling_reference: 0, orphan_provenance: 0, stale_cache: 0 },
    });
  });

  it('names every cached artifact of an entity Hippo lacks or does not offer, whatever its sweep', () => {
    const { state } = world();
    state.hippo.write(key('kept'), 'r1');
    state.hippo.write(key('hidden'), 'r1');
    state.hippo.changeAvailability(key('hidden'), 'UNAVAILABLE');
    const artifact = (id: string, entity: string) => ({ artifact_id: id, ...key(entity) });
    for (const [id, entity] of [
      ['art-3', 'hidden'],
      ['art-1', 'kept'],
      ['art-2', 'gone'],
      ['art-4', 'gone'],
    ] as const) {
      state.canon.add(artifact(id, entity));
    }
    state.canon.evict(['art-4'], 'next_sweep');
    const truth = scanTruth(state, NOW, 0);
    expect(truth.stale_cache).toEqual([
      { artifact_id: 'art-2', entity: key('gone') },
      { artifact_id: 'art-3', entity: key('hidden') },
      { artifact_id: 'art-4', entity: key('gone') },
    ]);
    expect(truth.counts).toMatchObject({ stale_cache: 3, entities: { stale_cache: 2 } });
    state.canon.sweep();
    expect(scanTruth(state, NOW, 0).counts.stale_cache).toBe(2);
  });

  it('counts as absent an output never written, an unavailable one and one still lagging, in output order', () => {
    const { state, putRun } = world();
    putRun('r1', [key('never'), key('here'), key('unavailable'), key('lagging')]);
    state.hippo.write(key('here'), 'r1');
    state.hippo.write(key('unavailable'), 'r1');
    state.hippo.changeAvailability(key('unavailable'), 'UNAVAILABLE');
    state.hippo.write(key('lagging'), 'r1', NOW + 1);
    expect(scanTruth(state, NOW, 0).missing_entity).toEqual([
      { run_id: 'r1', entities: [key('never'), key('unavailable'), key('lagging')] },
    ]);
  });

  it('leaves out runs changed within the grace delay, and takes those exactly that old', () => {
    const { state, putRun } = world();
    putRun('young', [key('y')], { ageMs: 29_999 });
    putRun('edge', [key('e')], { ageMs: 30_000, inputs: { ref: key('gone') } });
    const truth = scanTruth(state, NOW, 30_000);
    expect(truth.missing_entity.map((f) => f.run_id)).toEqual(['edge']);
    expect(truth.dangling_reference.map((f) => f.run_id)).toEqual(['edge']);
    expect(scanTruth(state, NOW, 0).missing_entity.map((f) => f.run_id)).toEqual(['edge', 'young']);
  });

  it('checks the outputs of COMPLETED runs only, and the references of every run but RUNNING ones', () => {
    const { state, putRun } = world();
    const inputs = { ref: key('gone') };
    putRun('failed', [key('f')], { status: 'FAILED', inputs });
    putRun('running', [], { status: 'RUNNING', inputs });
    putRun('completed', [key('c')], { inputs });
    state.hippo.write(key('c'), 'completed');
    const truth = scanTruth(state, NOW, 0);
    expect(truth.missing_entity).toEqual([]);
    expect(truth.dangling_reference).toEqual([
      { run_id: 'completed', entities: [key('gone')] },
      { run_id: 'failed', entities: [key('gone')] },
    ]);
  });

  it('reads references the way runInputReferences does, each absent entity once', () => {
    const { state, putRun } = world();
    state.hippo.write(key('there'), 'r0');
    putRun('r0', [key('there')]);
    putRun('r1', [], {
      inputs: {
        genome: key('GRCh38', 'genome'),
        samples: [key('s1', 'sample'), key('there'), key('s1', 'sample'), 'not a key'],
        nested: { deeper: key('ignored') },
        again: key('GRCh38', 'genome'),
      },
    });
    expect(scanTruth(state, NOW, 0).dangling_reference).toEqual([
      { run_id: 'r1', entities: [key('GRCh38', 'genome'), key('s1', 'sample')] },
    ]);
  });

  it('reports visible entities, available or not, whose provenance names an unknown run, sorted by key', () => {
    const { state, putRun } = world();
    putRun('known', [key('k')]);
    state.hippo.write(key('k'), 'known');
    state.hippo.write(key('z'), 'gone-1');
    state.hippo.write(key('b', 'sample'), 'gone-2');
    state.hippo.write(key('a'), 'gone-1');
    state.hippo.changeAvailability(key('a'), 'UNAVAILABLE');
    state.hippo.write(key('lagging'), 'gone-1', NOW + 1);
    const truth = scanTruth(state, NOW, 0);
    expect(truth.orphan_provenance).toEqual([
      { entity: key('a'), run_id: 'gone-1' },
      { entity: key('z'), run_id: 'gone-1' },
      { entity: key('b', 'sample'), run_id: 'gone-2' },
    ]);
    expect(truth.counts.orphan_provenance).toBe(3);
  });

  it('sorts run findings by run id, counts entries and entities, and hands out copies', () => {
    const { state, putRun } = world();
    putRun('r-b', [key('b1'), key('b2')]);
    putRun('r-a', [key('a1')], { inputs: { x: key('nope') } });
    const truth = scanTruth(state, NOW, 0);
    expect(truth.missing_entity.map((f) => f.run_id)).toEqual(['r-a', 'r-b']);
    expect(truth.counts).toEqual({
      missing_entity: 2,
      dangling_reference: 1,
      orphan_provenance: 0,
      stale_cache: 0,
      entities: { missing_entity: 3, dangling_reference: 1, orphan_provenance: 0, stale_cache: 0 },
    });
    truth.missing_entity[0].entities[0].external_id = 'changed';
    expect(state.cappella.run('r-a')?.outputs).toEqual([key('a1')]);
  });
});
