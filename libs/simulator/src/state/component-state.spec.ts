import type { EntityKey } from '@bridge/contracts';
import type { RunView } from './cappella-state';
import { decodeCursor, encodeCursor, InvalidCursorError } from './change-log';
import { ComponentState } from './component-state';

const key = (id: string, type = 'dataset'): EntityKey => ({ entity_type: type, external_id: id });

const run = (runId: string, inputs: Record<string, unknown> = { source: runId }): RunView => ({
  run_id: runId,
  pipeline_id: 'p',
  status: 'COMPLETED',
  inputs,
  outputs: [],
  updated_at: new Date(0).toISOString(),
});

function clock(start = 1_000) {
  const time = { now: start };
  return { time, state: new ComponentState(() => time.now) };
}

describe('Cappella run listing', () => {
  it('pages through runs oldest change first and ends with a null cursor', () => {
    const { state } = clock();
    for (const id of ['a', 'b', 'c', 'd', 'e']) state.cappella.putRun(run(id));
    const first = state.cappella.listRuns(undefined, 2);
    const second = state.cappella.listRuns(first.next_cursor ?? undefined, 2);
    const third = state.cappella.listRuns(second.next_cursor ?? undefined, 2);
    expect([first, second, third].map((p) => p.items.map((r) => r.run_id))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e'],
    ]);
    expect(first.next_cursor).not.toBeNull();
    expect(third.next_cursor).toBeNull();
  });

  it('gives a null cursor on a page that exactly exhausts the listing', () => {
    const { state } = clock();
    for (const id of ['a', 'b']) state.cappella.putRun(run(id));
    expect(state.cappella.listRuns(undefined, 2).next_cursor).toBeNull();
  });

  it('moves a changed run to the end, so a resumed listing returns it again after the cursor', () => {
    const { state } = clock();
    for (const id of ['a', 'b', 'c']) state.cappella.putRun(run(id));
    const page = state.cappella.listRuns(undefined, 2);
    state.cappella.putRun({ ...run('a'), status: 'FAILED' });
    state.cappella.putRun(run('f'));
    const rest = state.cappella.listRuns(page.next_cursor ?? undefined, 10);
    expect(rest.items.map((r) => `${r.run_id}:${r.status}`)).toEqual([
      'c:COMPLETED',
      'a:FAILED',
      'f:COMPLETED',
    ]);
    expect(state.cappella.listRuns(undefined, 10).items.map((r) => r.run_id)).toEqual([
      'b',
      'c',
      'a',
      'f',
    ]);
  });

  it('keeps an issued cursor valid after many superseded changes were compacted away', () => {
    const { state } = clock();
    for (let i = 0; i < 10; i += 1) state.cappella.putRun(run(`r${i}`));
    const page = state.cappella.listRuns(undefined, 4);
    for (let i = 0; i < 3_000; i += 1) state.cappella.putRun(run(`x${i % 2}`));
    const rest = state.cappella.listRuns(page.next_cursor ?? undefined, 100);
    expect(rest.items.map((r) => r.run_id)).toEqual([
      'r4',
      'r5',
      'r6',
      'r7',
      'r8',
      'r9',
      'x0',
      'x1',
    ]);
  });

  it('refuses a cursor it did not issue', () => {
    const { state } = clock();
    expect(() => state.cappella.listRuns('not-a-cursor', 10)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(Buffer.from('c12x').toString('base64url'))).toThrow(
      InvalidCursorError,
    );
    expect(decodeCursor(encodeCursor(12))).toBe(12);
  });

  it('finds the latest run of a pipeline by inputs, whatever their key order', () => {
    const { state } = clock();
    state.cappella.putRun(run('a', { x: 1, y: { b: 2, a: 1 } }));
    expect(state.cappella.runWithInputs('p', { y: { a: 1, b: 2 }, x: 1 })?.run_id).toBe('a');
    expect(state.cappella.runWithInputs('p', { x: 2 })).toBeUndefined();
  });

  it('deletes a run from get, the listing and the inputs index, and a cursor past it still resumes', () => {
    const { state } = clock();
    for (const id of ['a', 'b', 'c']) state.cappella.putRun(run(id));
    const cursor = state.cappella.listRuns(undefined, 1).next_cursor ?? undefined;
    expect(state.cappella.deleteRun('b')).toBe(true);
    expect(state.cappella.deleteRun('b')).toBe(false);
    expect(state.cappella.deleteRun('never')).toBe(false);
    expect(state.cappella.run('b')).toBeUndefined();
    expect(state.cappella.runWithInputs('p', { source: 'b' })).toBeUndefined();
    expect(state.cappella.runCount).toBe(2);
    expect(state.cappella.listRuns(cursor, 10).items.map((r) => r.run_id)).toEqual(['c']);
    expect([...state.cappella.allRuns()].map((r) => r.run_id)).toEqual(['a', 'c']);
  });
});

describe('Hippo entities', () => {
  it('lists entities in change order and resumes after the cursor with later changes only', () => {
    const { state } = clock();
    state.hippo.write(key('e1'), 'r1');
    state.hippo.write(key('e2'), 'r1');
    const page = state.hippo.list(undefined, 1);
    state.hippo.write(key('e3'), 'r2');
    state.hippo.changeAvailability(key('e1'), 'UNAVAILABLE');
    const rest = state.hippo.list(page.next_cursor ?? undefined, 10);
    expect(rest.items.map((e) => `${e.external_id}:${e.available}`)).toEqual([
      'e2:true',
      'e3:true',
      'e1:false',
    ]);
    expect(rest.next_cursor).toBeNull();
  });

  it('keeps a lagging entity invisible to get, lookup and listing until its time, then lists it as a new change', () => {
    const { time, state } = clock(1_000);
    state.hippo.write(key('early'), 'r1');
    state.hippo.write(key('late'), 'r1', 1_500);
    const before = state.hippo.list(undefined, 10);
    expect(before.items.map((e) => e.external_id)).toEqual(['early']);
    expect(state.hippo.get(key('late'))).toBeUndefined();
    expect(state.hippo.lookup([key('late')])[0].exists).toBe(false);
    expect(state.hippo.has(key('late'))).toBe(true);

    state.hippo.write(key('after'), 'r2');
    const cursor = state.hippo.list(undefined, 1).next_cursor ?? undefined;
    time.now = 1_500;
    expect(state.hippo.get(key('late'))?.provenance).toEqual({ run_id: 'r1' });
    expect(state.hippo.list(cursor, 10).items.map((e) => e.external_id)).toEqual(['after', 'late']);
  });

  it('answers a bulk lookup in request order with exists, availability and provenance', () => {
    const { state } = clock();
    state.hippo.write(key('a'), 'r1');
    state.hippo.write(key('b', 'sample'), 'r2');
    state.hippo.write(key('c'), 'r3');
    state.hippo.changeAvailability(key('c'), 'UNAVAILABLE');
    const results = state.hippo.lookup([key('b', 'sample'), key('zz'), key('a'), key('c')]);
    const found = (id: string, type: string, runId: string, available = true) => ({
      entity_type: type,
      external_id: id,
      exists: true,
      available,
      provenance: { run_id: runId },
    });
    expect(results).toEqual([
      found('b', 'sample', 'r2'),
      {
        entity_type: 'dataset',
        external_id: 'zz',
        exists: false,
        available: false,
        provenance: null,
      },
      found('a', 'dataset', 'r1'),
      found('c', 'dataset', 'r3', false),
    ]);
  });

  it('forgets a deleted entity entirely but keeps an unavailable one as available:false', () => {
    const { state } = clock();
    state.hippo.write(key('gone'), 'r1');
    state.hippo.write(key('hidden'), 'r1');
    expect(state.hippo.changeAvailability(key('gone'), 'DELETED')).toBe(true);
    expect(state.hippo.changeAvailability(key('hidden'), 'UNAVAILABLE')).toBe(true);
    expect(state.hippo.changeAvailability(key('never'), 'DELETED')).toBe(false);
    expect(state.hippo.get(key('gone'))).toBeUndefined();
    expect(state.hippo.get(key('hidden'))?.available).toBe(false);
    expect(state.hippo.list(undefined, 10).items.map((e) => e.external_id)).toEqual(['hidden']);
    expect(state.hippo.availableEntities(5)).toEqual([]);
  });

  it('does not resurrect an entity deleted while it was still lagging', () => {
    const { time, state } = clock(1_000);
    state.hippo.write(key('late'), 'r1', 2_000);
    state.hippo.changeAvailability(key('late'), 'DELETED');
    time.now = 3_000;
    expect(state.hippo.get(key('late'))).toBeUndefined();
    expect(state.hippo.visibleCount).toBe(0);
  });
});

describe('Hippo reads for a whole-state reader', () => {
  it('says an entity is available only when it is visible and not unavailable', () => {
    const { time, state } = clock(1_000);
    state.hippo.write(key('here'), 'r1');
    state.hippo.write(key('hidden'), 'r1');
    state.hippo.write(key('late'), 'r1', 2_000);
    state.hippo.changeAvailability(key('hidden'), 'UNAVAILABLE');
    expect(
      ['here', 'hidden', 'late', 'never'].map((id) => state.hippo.isAvailable(key(id))),
    ).toEqual([true, false, false, false]);
    time.now = 2_000;
    expect(state.hippo.isAvailable(key('late'))).toBe(true);
  });

  it('iterates the visible entities, unavailable ones included, in change order', () => {
    const { time, state } = clock(1_000);
    state.hippo.write(key('a'), 'r1');
    state.hippo.write(key('late'), 'r2', 1_500);
    state.hippo.write(key('b'), 'r2');
    state.hippo.changeAvailability(key('a'), 'UNAVAILABLE');
    const seen = () =>
      [...state.hippo.visibleEntities()].map(
        (e) => `${e.key.external_id}:${e.runId}:${e.available}`,
      );
    expect(seen()).toEqual(['b:r2:true', 'a:r1:false']);
    time.now = 1_500;
    expect(seen()).toEqual(['b:r2:true', 'a:r1:false', 'late:r2:true']);
  });
});

describe('Canon artifacts', () => {
  const seed = (state: ComponentState) => {
    state.canon.add({ artifact_id: 'a1', ...key('e1') });
    state.canon.add({ artifact_id: 'a2', ...key('e1') });
    state.canon.add({ artifact_id: 'b1', ...key('e2') });
  };

  it('returns the artifacts of the asked entities only', () => {
    const { state } = clock();
    seed(state);
    expect(state.canon.artifactsFor([key('e2'), key('none')]).map((a) => a.artifact_id)).toEqual([
      'b1',
    ]);
  });

  it('removes immediately evicted artifacts at once and counts only known ones', () => {
    const { state } = clock();
    seed(state);
    const outcome = state.canon.evict(['a1', 'a1', 'unknown'], 'immediate');
    expect(outcome.accepted).toEqual(['a1']);
    expect(state.canon.artifactsOf(key('e1')).map((a) => a.artifact_id)).toEqual(['a2']);
  });

  it('keeps next_sweep artifacts until the sweep, then removes them', () => {
    const { state } = clock();
    seed(state);
    expect(state.canon.evict(['b1', 'a2'], 'next_sweep').accepted).toEqual(['b1', 'a2']);
    expect(state.canon.artifactCount).toBe(3);
    expect(state.canon.sweep().map((a) => a.artifact_id)).toEqual(['b1', 'a2']);
    expect(state.canon.artifactsFor([key('e1'), key('e2')]).map((a) => a.artifact_id)).toEqual([
      'a1',
    ]);
    expect(state.canon.sweep()).toEqual([]);
  });
});
