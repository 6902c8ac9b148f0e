import { histogramQuantile, snapshotBetween, type MetricsReading } from './operations-snapshot';

const bounds = [0.01, 0.1, 1, Infinity];

function reading(at: number, overrides: Partial<MetricsReading> = {}): MetricsReading {
  return {
    at,
    consumed: 0,
    deadLetters: 0,
    checks: { bounds, counts: [0, 0, 0, 0], sum: 0, count: 0 },
    repairs: { bounds, counts: [0, 0, 0, 0], sum: 0, count: 0 },
    componentRequests: {},
    componentErrors: {},
    lag: [],
    circuits: [],
    ...overrides,
  };
}

describe('histogramQuantile', () => {
  it('interpolates inside the bucket that holds the rank, as Prometheus does', () => {
    // 10 observations: 2 under 10 ms, 8 between 10 and 100 ms.
    expect(histogramQuantile(bounds, [2, 10, 10, 10], 0.5)).toBeCloseTo(0.01 + 0.09 * (3 / 8));
    expect(histogramQuantile(bounds, [2, 10, 10, 10], 0.1)).toBeCloseTo(0.005);
  });

  it('is null without observations and the largest finite bound past it', () => {
    expect(histogramQuantile(bounds, [0, 0, 0, 0], 0.5)).toBeNull();
    expect(histogramQuantile(bounds, [0, 0, 0, 4], 0.95)).toBe(1);
  });
});

describe('snapshotBetween', () => {
  it('gives rates and latencies of the window only, not since the start', () => {
    const before = reading(10_000, {
      consumed: 100,
      checks: { bounds, counts: [50, 50, 50, 50], sum: 0.2, count: 50 },
      componentRequests: { hippo: 10 },
    });
    const after = reading(20_000, {
      consumed: 150,
      deadLetters: 2,
      checks: { bounds, counts: [50, 70, 70, 70], sum: 1.4, count: 70 },
      componentRequests: { hippo: 30 },
      componentErrors: { hippo: 1 },
      circuits: [{ component: 'hippo', state: 'half-open' }],
      lag: [{ group: 'bridge-checker', topic: 'bridge.internal.checks', lag: 12 }],
    });
    const snapshot = snapshotBetween(before, after);
    expect(snapshot).toEqual({
      window_ms: 10_000,
      events_per_second: 5,
      dead_letters_per_second: 0.2,
      checks: { per_second: 2, p50_ms: 55, p95_ms: 95.5 },
      repairs: { per_second: 0, p50_ms: null, p95_ms: null },
      components: [
        { component: 'hippo', state: 'half-open', requests_per_second: 2, errors_per_second: 0.1 },
      ],
      consumer_lag: [{ group: 'bridge-checker', topic: 'bridge.internal.checks', lag: 12 }],
    });
  });
});
