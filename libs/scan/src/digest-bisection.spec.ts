import type { DigestBucket } from '@bridge/contracts';
import { differingBuckets, planBisection, type ComparedRange } from './digest-bisection';

const bucket = (from: number, to: number, count: number, hash: string): DigestBucket => ({
  from,
  to,
  count,
  hash,
});
const differing = (from: number, to: number, cappellaCount: number, hippoCount: number) =>
  ({ from, to, cappellaCount, hippoCount }) satisfies ComparedRange;

describe('digest bisection', () => {
  it('keeps only the buckets whose count or hash differ', () => {
    const cappella = [bucket(0, 10, 5, 'aa'), bucket(10, 20, 5, 'bb'), bucket(20, 30, 0, '00')];
    const hippo = [bucket(0, 10, 5, 'aa'), bucket(10, 20, 5, 'bc'), bucket(20, 30, 1, '01')];
    expect(differingBuckets(cappella, hippo)).toEqual([
      differing(10, 20, 5, 5),
      differing(20, 30, 0, 1),
    ]);
    expect(differingBuckets(cappella, cappella)).toEqual([]);
  });

  it('refuses answers that do not line up instead of bisecting them', () => {
    expect(() => differingBuckets([bucket(0, 10, 1, 'a')], [])).toThrow(/do not line up/);
    expect(() => differingBuckets([bucket(0, 10, 1, 'a')], [bucket(0, 11, 1, 'a')])).toThrow(
      /at bucket 0/,
    );
  });

  it('splits what is too large to list, lists the rest, and merges neighbours to list', () => {
    const plan = planBisection(
      [
        differing(0, 100, 900, 901),
        differing(100, 110, 10, 9),
        differing(110, 120, 20, 20),
        differing(200, 210, 5, 5),
        differing(300, 301, 5_000, 4_999),
      ],
      64,
    );
    expect(plan.split).toEqual([{ from: 0, to: 100 }]);
    expect(plan.list).toEqual([
      { from: 100, to: 120 },
      { from: 200, to: 210 },
      // One slot wide: nothing narrower can be asked, so it is listed however large.
      { from: 300, to: 301 },
    ]);
  });

  it('does not merge neighbours past the listing limit', () => {
    const plan = planBisection([differing(0, 10, 40, 40), differing(10, 20, 40, 40)], 64);
    expect(plan.list).toEqual([
      { from: 0, to: 10 },
      { from: 10, to: 20 },
    ]);
  });
});
