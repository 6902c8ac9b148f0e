/**
 * What a process tells the others about its work, for the operator console's overview: its
 * throughput and latency over the last reporting interval, its consumers' lag and its
 * component clients' circuit states. Every service writes one such snapshot to the store at
 * an interval (`ServiceStatusReporter`) and the API reads them all, so the overview of a
 * distributed deployment needs nothing but the database.
 *
 * Pure: `readMetrics` takes the cumulative readings of the registry, `snapshotBetween` turns
 * two readings into rates and windowed quantiles.
 */
import { z } from 'zod';
import { BridgeMetrics } from './bridge-metrics';

/** One value of a metric as the registry gives it (`metricName` for a histogram's parts). */
interface MetricValue {
  value: number;
  labels: Partial<Record<string, string | number>>;
  metricName?: string;
}

/** Cumulative histogram buckets (`le` ascending, the last one `+Inf`). */
export interface Buckets {
  bounds: number[];
  counts: number[];
  sum: number;
  count: number;
}

/** The registry's cumulative values at one moment. */
export interface MetricsReading {
  at: number;
  consumed: number;
  deadLetters: number;
  checks: Buckets;
  repairs: Buckets;
  componentRequests: Record<string, number>;
  componentErrors: Record<string, number>;
  lag: Array<{ group: string; topic: string; lag: number }>;
  circuits: Array<{ component: string; state: string }>;
}

const WorkWindowSchema = z.object({
  per_second: z.number(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
});

/**
 * The snapshot as it is stored. The API parses what it reads back with this schema, since a
 * row may have been written by a process of another version.
 */
export const OperationsSnapshotSchema = z.object({
  window_ms: z.number(),
  events_per_second: z.number(),
  dead_letters_per_second: z.number(),
  checks: WorkWindowSchema,
  repairs: WorkWindowSchema,
  components: z.array(
    z.object({
      component: z.string(),
      state: z.string(),
      requests_per_second: z.number(),
      errors_per_second: z.number(),
    }),
  ),
  consumer_lag: z.array(z.object({ group: z.string(), topic: z.string(), lag: z.number() })),
});

/** Rates per second and latencies in milliseconds over one window. */
export type WorkWindow = z.infer<typeof WorkWindowSchema>;

export type OperationsSnapshot = z.infer<typeof OperationsSnapshotSchema>;

/** Reads the registry's cumulative values (sampled gauges are read from their sources). */
export async function readMetrics(now: number = Date.now()): Promise<MetricsReading> {
  const [consumed, deadLetters, checks, repairs, requests, errors, lag, circuits] =
    await Promise.all([
      BridgeMetrics.eventsConsumed.get(),
      BridgeMetrics.deadLetters.get(),
      BridgeMetrics.checkDuration.get(),
      BridgeMetrics.repairDuration.get(),
      BridgeMetrics.componentRequestDuration.get(),
      BridgeMetrics.componentErrors.get(),
      BridgeMetrics.consumerLag.current(),
      BridgeMetrics.circuitState.current(),
    ]);
  return {
    at: now,
    consumed: sumOf(consumed.values),
    deadLetters: sumOf(deadLetters.values),
    checks: bucketsOf(checks.values),
    repairs: bucketsOf(repairs.values),
    componentRequests: sumBy(
      requests.values.filter((value) => value.metricName?.endsWith('_count')),
      'component',
    ),
    componentErrors: sumBy(errors.values, 'component'),
    lag: totalLag(lag),
    circuits: circuits
      .filter((value) => value.value === 1)
      .map((value) => ({
        component: String(value.labels.component),
        state: String(value.labels.state),
      })),
  };
}

/** What happened between two readings of the same process. */
export function snapshotBetween(
  previous: MetricsReading,
  current: MetricsReading,
): OperationsSnapshot {
  const windowMs = Math.max(1, current.at - previous.at);
  const perSecond = (now: number, before: number) =>
    round(Math.max(0, now - before) / (windowMs / 1000));
  const components = [
    ...new Set([
      ...current.circuits.map((c) => c.component),
      ...Object.keys(current.componentRequests),
    ]),
  ].sort();
  return {
    window_ms: windowMs,
    events_per_second: perSecond(current.consumed, previous.consumed),
    dead_letters_per_second: perSecond(current.deadLetters, previous.deadLetters),
    checks: workWindow(previous.checks, current.checks, windowMs),
    repairs: workWindow(previous.repairs, current.repairs, windowMs),
    components: components.map((component) => ({
      component,
      state: current.circuits.find((c) => c.component === component)?.state ?? 'closed',
      requests_per_second: perSecond(
        current.componentRequests[component] ?? 0,
        previous.componentRequests[component] ?? 0,
      ),
      errors_per_second: perSecond(
        current.componentErrors[component] ?? 0,
        previous.componentErrors[component] ?? 0,
      ),
    })),
    consumer_lag: current.lag,
  };
}

/**
 * The `q` quantile of what the buckets counted, interpolated linearly inside its bucket as
 * Prometheus' `histogram_quantile` does; null when nothing was counted. A quantile in the
 * `+Inf` bucket is given as the largest finite bound.
 */
export function histogramQuantile(bounds: number[], counts: number[], q: number): number | null {
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < counts.length; i += 1) {
    const count = counts[i] ?? 0;
    if (count < rank) continue;
    const upper = bounds[i] ?? Infinity;
    const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
    if (!Number.isFinite(upper)) return lower;
    const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
    const inBucket = count - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return bounds[bounds.length - 2] ?? null;
}

function workWindow(previous: Buckets, current: Buckets, windowMs: number): WorkWindow {
  const counts = current.counts.map((count, i) => Math.max(0, count - (previous.counts[i] ?? 0)));
  const bounds = current.bounds;
  const seconds = (q: number) => histogramQuantile(bounds, counts, q);
  const p50 = seconds(0.5);
  const p95 = seconds(0.95);
  return {
    per_second: round(Math.max(0, current.count - previous.count) / (windowMs / 1000)),
    p50_ms: p50 === null ? null : round(p50 * 1000),
    p95_ms: p95 === null ? null : round(p95 * 1000),
  };
}

/** Buckets summed over every label set of a histogram. */
function bucketsOf(values: MetricValue[]): Buckets {
  const byBound = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (value.metricName?.endsWith('_bucket')) {
      const le = value.labels.le;
      const bound = le === '+Inf' ? Infinity : Number(le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + value.value);
    } else if (value.metricName?.endsWith('_sum')) sum += value.value;
    else if (value.metricName?.endsWith('_count')) count += value.value;
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((bound) => byBound.get(bound) ?? 0), sum, count };
}

function sumOf(values: MetricValue[]): number {
  return values.reduce((total, value) => total + value.value, 0);
}

function sumBy(values: MetricValue[], label: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const value of values) {
    const key = String(value.labels[label] ?? 'unknown');
    sums[key] = (sums[key] ?? 0) + value.value;
  }
  return sums;
}

/** A group's lag on a topic: the sum over its partitions. */
function totalLag(values: MetricValue[]): MetricsReading['lag'] {
  const sums = new Map<string, { group: string; topic: string; lag: number }>();
  for (const value of values) {
    const group = String(value.labels.group);
    const topic = String(value.labels.topic);
    const key = `${group}\u0000${topic}`;
    const entry = sums.get(key) ?? { group, topic, lag: 0 };
    entry.lag += value.value;
    sums.set(key, entry);
  }
  return [...sums.values()].sort(
    (a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic),
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
