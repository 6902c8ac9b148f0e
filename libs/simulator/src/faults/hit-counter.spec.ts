import { HitCounter } from './hit-counter';

function counterWithClock(start = 0) {
  const time = { now: start };
  const hits = new HitCounter(() => time.now);
  /** `count` hits on `component` at `at` ms. */
  const hitAt = (at: number, count = 1, component: 'cappella' | 'hippo' | 'canon' = 'hippo') => {
    time.now = at;
    for (let i = 0; i < count; i += 1) hits.hit(component, `GET /${component}/x`);
  };
  return { hits, hitAt };
}

describe('HitCounter peakPerSecond', () => {
  it('is the most requests within any one-second window of 100-ms steps', () => {
    const { hits, hitAt } = counterWithClock();
    hitAt(0, 3);
    hitAt(950, 2); // buckets 0..9: one window
    expect(hits.snapshot().peakPerSecond.hippo).toBe(5);
    hitAt(1_000, 1); // buckets 1..10: the three at 0 fell out
    expect(hits.snapshot().peakPerSecond.hippo).toBe(5);
    hitAt(1_050, 4); // buckets 1..10 hold 2 + 1 + 4
    expect(hits.snapshot().peakPerSecond.hippo).toBe(7);
  });

  it('slides in 100-ms steps, so a burst straddling a second boundary is counted whole', () => {
    const { hits, hitAt } = counterWithClock(10_000);
    hitAt(10_550, 6);
    hitAt(11_450, 6); // 900 ms later: same window
    hitAt(12_600, 6); // 1,150 ms later: a window of its own
    expect(hits.snapshot().peakPerSecond.hippo).toBe(12);
  });

  it('reports a steady rate as that rate, and a long pause empties the window', () => {
    const { hits, hitAt } = counterWithClock();
    for (let at = 0; at < 5_000; at += 100) hitAt(at, 1); // 10 per second
    expect(hits.snapshot().peakPerSecond.hippo).toBe(10);
    hitAt(60_000, 2);
    expect(hits.snapshot().peakPerSecond.hippo).toBe(10);
    hitAt(60_050, 9);
    expect(hits.snapshot().peakPerSecond.hippo).toBe(11);
  });

  it('measures each component apart, counts a clock stepping back in the newest bucket, and forgets on reset', () => {
    const { hits, hitAt } = counterWithClock();
    hitAt(5_000, 4, 'cappella');
    hitAt(4_000, 1, 'cappella');
    hitAt(5_000, 2, 'canon');
    expect(hits.snapshot().peakPerSecond).toEqual({ cappella: 5, hippo: 0, canon: 2 });
    hits.reset();
    expect(hits.snapshot().peakPerSecond).toEqual({ cappella: 0, hippo: 0, canon: 0 });
    hitAt(5_100, 1, 'cappella');
    expect(hits.snapshot().peakPerSecond.cappella).toBe(1);
  });
});
