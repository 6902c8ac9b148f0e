import { FLAT_GROWTH, summariseSoak, type SoakSample } from './soak-summary';

const sample = (atMs: number, checker: number, lag = 0): SoakSample => ({
  atMs,
  rssMiB: { checker, simulator: atMs / 1000 },
  lag,
  findings: 0,
});

describe('soak summary', () => {
  it('calls memory flat when the last fifth is where the first was, whatever happened between', () => {
    const samples = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90].map((s) =>
      sample(s * 1000, s === 50 ? 400 : 150),
    );
    const [checker] = summariseSoak(samples, ['checker'], 0).memory;
    expect(checker).toMatchObject({ startMiB: 150, endMiB: 150, peakMiB: 400, flat: true });
  });

  it('calls steady growth past the threshold a leak', () => {
    const samples = Array.from({ length: 20 }, (_, i) => sample(i * 1000, 100 + i * 5));
    const [checker] = summariseSoak(samples, ['checker'], 0).memory;
    expect(checker.growth).toBeGreaterThan(FLAT_GROWTH);
    expect(checker.flat).toBe(false);
  });

  it('judges only the stream, not the drain after it, and a service without samples as not flat', () => {
    const samples = [
      ...Array.from({ length: 10 }, (_, i) => sample(i * 1000, 100 + i * 10)),
      ...Array.from({ length: 30 }, (_, i) => sample(10_000 + i * 1000, 100)),
    ];
    expect(summariseSoak(samples, ['checker'], 0, 9_000).memory[0].flat).toBe(false);
    expect(summariseSoak(samples, ['repair'], 0).memory[0]).toMatchObject({
      startMiB: 0,
      flat: false,
    });
  });

  it('leaves the warm-up out, and reports the largest, typical and last lag', () => {
    const samples = [
      sample(0, 900, 5_000), // warm-up: neither memory nor lag counts
      ...Array.from({ length: 20 }, (_, i) => sample(10_000 + i * 1000, 120, i === 3 ? 80 : 2)),
      sample(40_000, 120, 0),
    ];
    const summary = summariseSoak(samples, ['checker'], 10_000);
    expect(summary.memory[0]).toMatchObject({ startMiB: 120, peakMiB: 120 });
    expect(summary.lag).toEqual({ max: 80, p95: 2, final: 0 });
  });
});
