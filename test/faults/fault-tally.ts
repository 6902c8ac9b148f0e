/**
 * How the fault suite scores one fault: from the simulator's ground truth for the events sent
 * while the fault happened (completed runs, availability changes), and what Bridge left behind
 * (its log rows, the outbound events seen on Kafka, the repairs the components received), the
 * counts the report gives: processed, lost, duplicated, wrong. Pure, so the scoring rules are
 * tested without the stack.
 *
 * - lost: an event without its finding, a finding never published, or a discrepancy whose
 *   strategy repairs it that was never repaired;
 * - duplicated: an event with more than one finding (the log's unique key forbids it; the
 *   suite checks anyway), or a repair carried out more than once (a run resubmitted twice,
 *   two accepted evictions of a stale cache's artifacts);
 * - wrong: an event whose only finding is not the one the ground truth expects.
 *
 * The same event id delivered twice is not a duplicate: consumers de-duplicate on it (the
 * outbox re-sends after a crash). It is counted as `resent`, for the record.
 */

export type ExpectedFinding =
  'bridge.sync.ok' | 'bridge.sync.mismatch' | 'bridge.sync.stale_cache' | 'bridge.sync.cache_clean';

export interface Expectation {
  /** The run id, or the event id of an availability change. */
  subject: string;
  finding: ExpectedFinding;
  /** The finding goes out on a `bridge.sync.*` topic (a clean cache is only recorded). */
  published: boolean;
  /** The finding's strategy repairs it: exactly one repair is owed. */
  repaired: boolean;
}

export interface FindingRow {
  eventType: string;
  outboundEventId: string | null;
  publishedAt: Date | null;
}

export interface Evidence {
  /** Rows of the sync event log for the subject's check. */
  rows: readonly FindingRow[];
  /** How many times each outbound event id was seen on Kafka. */
  deliveries: ReadonlyMap<string, number>;
  /** Repairs the components carried out for it: resubmissions, accepted evictions. */
  repairs: number;
}

export interface FaultTally {
  processed: number;
  lost: number;
  duplicated: number;
  wrong: number;
  /** Copies of an already delivered event id (allowed; consumers de-duplicate). */
  resent: number;
  /** Subjects repaired more often than owed (counted in `duplicated` too, when that is their first problem). */
  doubleRepairs: number;
  /** One line per subject that is lost, duplicated or wrong, for the failure message. */
  problems: string[];
}

/** Scores every expectation against its evidence. */
export function tallyFindings(
  expectations: readonly Expectation[],
  evidenceOf: (subject: string) => Evidence,
): FaultTally {
  const tally: FaultTally = {
    processed: 0,
    lost: 0,
    duplicated: 0,
    wrong: 0,
    resent: 0,
    doubleRepairs: 0,
    problems: [],
  };
  for (const expectation of expectations) {
    const evidence = evidenceOf(expectation.subject);
    const verdict = judgeFinding(expectation, evidence);
    tally.resent += verdict.resent;
    if (evidence.repairs > (expectation.repaired ? 1 : 0)) tally.doubleRepairs += 1;
    if (verdict.problem === undefined) {
      tally.processed += 1;
      continue;
    }
    tally[verdict.problem.kind] += 1;
    tally.problems.push(`${expectation.subject}: ${verdict.problem.why}`);
  }
  return tally;
}

type Problem = { kind: 'lost' | 'duplicated' | 'wrong'; why: string };

/** The verdict on one subject: its first problem, if any, and how many copies were re-sent. */
export function judgeFinding(
  expectation: Expectation,
  evidence: Evidence,
): { problem?: Problem; resent: number } {
  const { rows, deliveries } = evidence;
  const resent = rows.reduce(
    (sum, row) =>
      sum + Math.max(0, (row.outboundEventId ? (deliveries.get(row.outboundEventId) ?? 0) : 0) - 1),
    0,
  );
  const verdict = (problem?: Problem) => ({ problem, resent });
  if (rows.length === 0) return verdict({ kind: 'lost', why: 'no finding' });
  if (rows.length > 1) {
    return verdict({
      kind: 'duplicated',
      why: `${rows.length} findings (${rows.map((row) => row.eventType).join(', ')})`,
    });
  }
  const [row] = rows;
  if (row.eventType !== expectation.finding) {
    return verdict({
      kind: 'wrong',
      why: `${row.eventType}, expected ${expectation.finding}`,
    });
  }
  if (expectation.published) {
    if (!row.outboundEventId || !row.publishedAt) {
      return verdict({ kind: 'lost', why: 'finding recorded but not published (outbox)' });
    }
    if (!deliveries.has(row.outboundEventId)) {
      return verdict({ kind: 'lost', why: 'finding marked published but never seen on Kafka' });
    }
  }
  if (expectation.repaired && evidence.repairs === 0) {
    return verdict({ kind: 'lost', why: 'never repaired' });
  }
  if (evidence.repairs > (expectation.repaired ? 1 : 0)) {
    return verdict({ kind: 'duplicated', why: `repaired ${evidence.repairs} times` });
  }
  return verdict();
}
