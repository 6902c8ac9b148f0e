/**
 * What the soak (`npm run soak`) concludes from its samples: per service, the memory at the
 * start of the steady state and at its end, and whether it grew; the consumer lag's largest
 * and typical values. Pure, so the verdicts are unit-tested.
 *
 * Memory is judged on medians over the first and the last fifth of the samples after the
 * warm-up, so one garbage collection at the wrong moment neither hides nor invents a leak.
 */

export interface SoakSample {
  /** Milliseconds since the stream began. */
  atMs: number;
  /** Resident set size per process, in MiB. */
  rssMiB: Record<string, number>;
  /** Consumer lag summed over every group of every service. */
  lag: number;
  /** False when a service's `/metrics` did not answer: the lag is then a lower bound. */
  lagComplete?: boolean;
  /** Findings of post-run checks recorded so far. */
  findings: number;
}

export interface MemoryVerdict {
  service: string;
  startMiB: number;
  endMiB: number;
  peakMiB: number;
  /** (end - start) / start. */
  growth: number;
  flat: boolean;
}

export interface SoakSummary {
  memory: MemoryVerdict[];
  lag: { max: number; p95: number; final: number };
}

/** More growth than this between the first and the last fifth is not flat. */
export const FLAT_GROWTH = 0.15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * Summarises the samples taken between `warmUpMs` and `untilMs` (the end of the stream: the
 * idle drain after it would flatter the memory verdict); `services` names the processes judged
 * (the simulator keeps its whole world in memory and grows by design, so a caller leaves it
 * out). A service without samples is not flat.
 */
export function summariseSoak(
  samples: readonly SoakSample[],
  services: readonly string[],
  warmUpMs: number,
  untilMs = Infinity,
): SoakSummary {
  const steady = samples.filter((sample) => sample.atMs >= warmUpMs && sample.atMs <= untilMs);
  const fifth = Math.max(1, Math.floor(steady.length / 5));
  const first = steady.slice(0, fifth);
  const last = steady.slice(-fifth);
  const memory = services.map((service): MemoryVerdict => {
    const of = (list: readonly SoakSample[]) => list.map((s) => s.rssMiB[service] ?? 0);
    const startMiB = median(of(first));
    const endMiB = median(of(last));
    const growth = startMiB > 0 ? (endMiB - startMiB) / startMiB : 0;
    return {
      service,
      startMiB,
      endMiB,
      peakMiB: Math.max(0, ...of(steady)),
      growth,
      flat: startMiB > 0 && growth <= FLAT_GROWTH,
    };
  });
  const lags = steady.map((sample) => sample.lag);
  return {
    memory,
    lag: {
      max: Math.max(0, ...lags),
      p95: quantile(lags, 0.95),
      final: samples.at(-1)?.lag ?? 0,
    },
  };
}
