import { DIGEST_SLOTS, type EntityKey } from '@bridge/contracts';
import { CappellaState, type RunView } from './cappella-state';
import { HippoState } from './hippo-state';

const WHOLE = { from: 0, to: DIGEST_SLOTS };
const sample = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });
const run = (id: string, status: RunView['status'], outputs: EntityKey[]): RunView => ({
  run_id: id,
  pipeline_id: 'p',
  status,
  inputs: { n: id },
  outputs,
  updated_at: '2026-01-01T00:00:00.000Z',
});

/** A Cappella and a Hippo whose runs wrote every output: their digests agree. */
function consistent(count: number, now: () => number = () => 0) {
  const cappella = new CappellaState();
  const hippo = new HippoState(now);
  for (let i = 0; i < count; i += 1) {
    const outputs = [sample(`S${i}-a`), sample(`S${i}-b`)];
    cappella.putRun(run(`run-${i}`, 'COMPLETED', outputs));
    for (const key of outputs) hippo.write(key, `run-${i}`);
  }
  return { cappella, hippo };
}

const agree = (cappella: CappellaState, hippo: HippoState) =>
  JSON.stringify(cappella.outputDigest(WHOLE, 64)) ===
  JSON.stringify(hippo.entityDigest(WHOLE, 64));

describe('the simulated components’ range digests', () => {
  it('agree while every registered output is in Hippo with its run', () => {
    const { cappella, hippo } = consistent(300);
    expect(agree(cappella, hippo)).toBe(true);
    expect(cappella.outputCountIn(WHOLE)).toBe(600);
    expect(hippo.entityCountIn(WHOLE)).toBe(600);
  });

  it('follow deletions, unavailability and a return to availability, pair by pair', () => {
    const { cappella, hippo } = consistent(100);
    hippo.changeAvailability(sample('S5-a'), 'UNAVAILABLE');
    expect(agree(cappella, hippo)).toBe(false);
    expect(hippo.entityCountIn(WHOLE)).toBe(200);
    hippo.write(sample('S5-a'), 'run-5');
    expect(agree(cappella, hippo)).toBe(true);
    hippo.changeAvailability(sample('S6-b'), 'DELETED');
    expect(hippo.entityCountIn(WHOLE)).toBe(199);
    cappella.deleteRun('run-6');
    hippo.changeAvailability(sample('S6-a'), 'DELETED');
    expect(agree(cappella, hippo)).toBe(true);
  });

  it('count a run’s outputs once it registers them, and only its latest ones', () => {
    const { cappella, hippo } = consistent(10);
    cappella.putRun(run('run-new', 'RUNNING', []));
    expect(agree(cappella, hippo)).toBe(true);
    cappella.putRun(run('run-new', 'FAILED', [sample('N1')]));
    hippo.write(sample('N1'), 'run-new');
    expect(agree(cappella, hippo)).toBe(true);
    cappella.putRun(run('run-new', 'COMPLETED', [sample('N1'), sample('N2')]));
    expect(agree(cappella, hippo)).toBe(false);
    hippo.write(sample('N2'), 'run-new');
    expect(agree(cappella, hippo)).toBe(true);
  });

  it('leave a lagging entity out until it is visible', () => {
    let now = 0;
    const { cappella, hippo } = consistent(10, () => now);
    cappella.putRun(run('run-late', 'COMPLETED', [sample('L1')]));
    hippo.write(sample('L1'), 'run-late', 1_000);
    expect(agree(cappella, hippo)).toBe(false);
    now = 1_000;
    expect(agree(cappella, hippo)).toBe(true);
  });

  it('list the pairs of a range, both sides', () => {
    const { cappella, hippo } = consistent(50);
    const outputs = cappella.outputsIn(WHOLE);
    expect(outputs).toHaveLength(100);
    expect(outputs).toContainEqual({ ...sample('S7-a'), run_id: 'run-7' });
    expect(hippo.entitiesIn(WHOLE)).toContainEqual({
      ...sample('S7-a'),
      available: true,
      provenance: { run_id: 'run-7' },
    });
  });
});
