/**
 * Scoring of a benchmark run, kept pure so it is unit-tested: latency percentiles, and the
 * precision and recall of Bridge's findings against the simulator's ground truth (which runs
 * lost which output).
 */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarise(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
  };
}

export interface EntityKeyLike {
  entity_type: string;
  external_id: string;
}

/** What Bridge recorded for one run. */
export interface RecordedFinding {
  runId: string;
  eventType: string;
  missing: EntityKeyLike[];
}

export interface Score {
  expectedMismatches: number;
  reportedMismatches: number;
  truePositives: number;
  precision: number;
  recall: number;
  /** Runs with no finding at all. */
  lost: number;
  /** Runs with more than one finding. */
  duplicated: number;
}

const keyOf = (k: EntityKeyLike) => `${k.entity_type}\u0000${k.external_id}`;
const sameSet = (a: EntityKeyLike[], b: EntityKeyLike[]) =>
  a.length === b.length &&
  a.map(keyOf).sort().join('\u0001') === b.map(keyOf).sort().join('\u0001');

/**
 * A reported mismatch is a true positive when the run really lost outputs and Bridge named
 * exactly those; anything else reported as a mismatch is a false positive.
 */
export function scoreFindings(
  runIds: readonly string[],
  expectedMissing: ReadonlyMap<string, EntityKeyLike[]>,
  findings: readonly RecordedFinding[],
): Score {
  const byRun = new Map<string, RecordedFinding[]>();
  for (const finding of findings) {
    byRun.set(finding.runId, [...(byRun.get(finding.runId) ?? []), finding]);
  }
  let reported = 0;
  let truePositives = 0;
  let lost = 0;
  let duplicated = 0;
  for (const runId of runIds) {
    const recorded = byRun.get(runId) ?? [];
    if (recorded.length === 0) lost += 1;
    if (recorded.length > 1) duplicated += 1;
    const mismatch = recorded.find((f) => f.eventType === 'bridge.sync.mismatch');
    if (!mismatch) continue;
    reported += 1;
    const expected = expectedMissing.get(runId);
    if (expected && sameSet(expected, mismatch.missing)) truePositives += 1;
  }
  const expectedCount = runIds.filter((id) => expectedMissing.has(id)).length;
  return {
    expectedMismatches: expectedCount,
    reportedMismatches: reported,
    truePositives,
    precision: reported === 0 ? (expectedCount === 0 ? 1 : 0) : truePositives / reported,
    recall: expectedCount === 0 ? 1 : truePositives / expectedCount,
    lost,
    duplicated,
  };
}

export interface ResubmissionScore {
  /** Jobs whose plan was carried out (a submission was attempted). */
  executedJobs: number;
  /** Resubmissions the simulator received for those runs. */
  resubmissions: number;
  /** Runs the simulator saw resubmitted more than once (must be 0). */
  doubleResubmissions: number;
  /** Executed jobs whose run the simulator never saw resubmitted. */
  missingResubmissions: number;
}

/**
 * Exactly once, counted at the simulator: each executed job's run resubmitted once, none twice.
 * `repeatsRunIds` holds, per resubmission the simulator received, the run it repeated.
 */
export function scoreResubmissions(
  executedRunIds: readonly string[],
  repeatsRunIds: readonly (string | null)[],
): ResubmissionScore {
  const executed = new Set(executedRunIds);
  const received = new Map<string, number>();
  for (const runId of repeatsRunIds) {
    if (runId !== null && executed.has(runId)) received.set(runId, (received.get(runId) ?? 0) + 1);
  }
  return {
    executedJobs: executed.size,
    resubmissions: [...received.values()].reduce((sum, n) => sum + n, 0),
    doubleResubmissions: [...received.values()].filter((n) => n > 1).length,
    missingResubmissions: [...executed].filter((runId) => !received.has(runId)).length,
  };
}
