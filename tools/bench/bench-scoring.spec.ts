import { percentile, scoreFindings, scoreResubmissions, summarise } from './bench-scoring';

const k = (id: string) => ({ entity_type: 'sample', external_id: id });

describe('benchmark scoring', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(summarise([3, 1, 2])).toMatchObject({ count: 3, p50: 2, max: 3 });
  });

  it('counts a mismatch naming exactly the lost outputs as a true positive', () => {
    const expected = new Map([['r2', [k('b')]]]);
    const score = scoreFindings(['r1', 'r2'], expected, [
      { runId: 'r1', eventType: 'bridge.sync.ok', missing: [] },
      { runId: 'r2', eventType: 'bridge.sync.mismatch', missing: [k('b')] },
    ]);
    expect(score).toMatchObject({ precision: 1, recall: 1, lost: 0, duplicated: 0 });
  });

  it('penalises a wrong entity, a false alarm and a lost run', () => {
    const expected = new Map([['r2', [k('b')]]]);
    const score = scoreFindings(['r1', 'r2', 'r3'], expected, [
      { runId: 'r1', eventType: 'bridge.sync.mismatch', missing: [k('a')] },
      { runId: 'r2', eventType: 'bridge.sync.mismatch', missing: [k('c')] },
    ]);
    expect(score).toMatchObject({ truePositives: 0, precision: 0, recall: 0, lost: 1 });
  });

  it('counts resubmissions per executed job, and flags a run resubmitted twice or not at all', () => {
    expect(scoreResubmissions(['r1', 'r2'], ['r1', 'r2', null, 'other'])).toEqual({
      executedJobs: 2,
      resubmissions: 2,
      doubleResubmissions: 0,
      missingResubmissions: 0,
    });
    expect(scoreResubmissions(['r1', 'r2', 'r3'], ['r1', 'r1', 'r2'])).toEqual({
      executedJobs: 3,
      resubmissions: 3,
      doubleResubmissions: 1,
      missingResubmissions: 1,
    });
  });
});
