/**
 * The story of one finding, for its page in the API and the console: when it was detected,
 * each repair job it had (started by its strategy or by whom, waiting for approval, decided or
 * expired, executed, confirmed, failed), how often Bridge looked at it again, what operators did
 * to it (from the audit log: re-checks asked, snoozes, repairs started, retries, priorities),
 * and how it was closed (resolved or healed, by whom and why), oldest first. Pure: built from
 * the finding's row, its jobs and its audit entries, which keep every one of these moments.
 */
import type { AuditEntry, RepairJob, SyncEvent } from '@bridge/store';

export interface HistoryStep {
  at: string;
  step:
    | 'detected'
    | 'repair_planned'
    | 'awaiting_approval'
    | 'approved'
    | 'rejected'
    | 'expired'
    | 'executed'
    | 'repair_done'
    | 'repair_failed'
    | 'rechecked'
    | 'snoozed'
    | 'operator_action'
    | 'resolved'
    | 'healed';
  by: string | null;
  note: string | null;
  /** The repair job the step belongs to, if any. */
  job_id?: string;
}

/** Audit actions already told by the rows themselves (a decision, a resolution). */
const TOLD_BY_ROWS = new Set(['approve', 'reject', 'resolve', 'snooze']);

export function findingHistory(
  event: SyncEvent,
  jobs: readonly RepairJob[],
  audit: readonly AuditEntry[] = [],
): HistoryStep[] {
  const steps: HistoryStep[] = [
    { at: event.createdAt.toISOString(), step: 'detected', by: event.actor, note: null },
  ];
  for (const job of jobs) steps.push(...jobSteps(job));
  if (event.lastCheckedAt && event.recheckCount > 0 && event.state !== 'healed') {
    steps.push({
      at: event.lastCheckedAt.toISOString(),
      step: 'rechecked',
      by: 'bridge',
      note: `looked at again ${event.recheckCount} time(s); the discrepancy still held${
        event.state === 'open'
          ? event.nextRecheckAt
            ? `, next look ${event.nextRecheckAt.toISOString()}`
            : ', next look at the next scan'
          : ''
      }`,
    });
  }
  if (event.snoozedUntil && event.snoozedBy) {
    const snoozedAt = audit.find((entry) => entry.action === 'snooze' && entry.outcome === 'ok');
    steps.push({
      at: (snoozedAt?.at ?? event.createdAt).toISOString(),
      step: 'snoozed',
      by: event.snoozedBy,
      note: `until ${event.snoozedUntil.toISOString()}${event.snoozeReason ? `: ${event.snoozeReason}` : ''}`,
    });
  }
  for (const entry of audit) {
    if (entry.outcome !== 'ok' || TOLD_BY_ROWS.has(entry.action)) continue;
    steps.push({
      at: entry.at.toISOString(),
      step: 'operator_action',
      by: entry.actor,
      note: `${entry.action.replace(/_/g, ' ')}${entry.reason ? `: ${entry.reason}` : ''}`,
      ...(entry.objectType === 'repair_job' && entry.objectId ? { job_id: entry.objectId } : {}),
    });
  }
  if (event.resolved && event.resolvedAt) {
    steps.push({
      at: event.resolvedAt.toISOString(),
      step: event.state === 'healed' ? 'healed' : 'resolved',
      by: event.resolvedBy,
      note: event.resolutionNote,
    });
  }
  // Stable: steps recorded at the same moment keep the order they happen in.
  return steps.sort((a, b) => a.at.localeCompare(b.at));
}

/** What one repair job went through, as steps. */
function jobSteps(job: RepairJob): HistoryStep[] {
  const steps: HistoryStep[] = [];
  const of = { job_id: job.id };
  const started = job.requestedBy
    ? `${job.retryOf ? `retry of ${job.retryOf}, ` : ''}started by hand`
    : null;
  steps.push({
    at: job.createdAt.toISOString(),
    step: 'repair_planned',
    by: job.requestedBy ?? null,
    note: [`${job.strategy}${job.plan ? ` (${job.plan.kind})` : ''}`, started]
      .filter(Boolean)
      .join(', '),
    ...of,
  });
  if (job.state === 'AWAITING_APPROVAL') {
    steps.push({
      at: job.updatedAt.toISOString(),
      step: 'awaiting_approval',
      by: null,
      note: job.expiresAt ? `expires ${job.expiresAt.toISOString()}` : null,
      ...of,
    });
  }
  if (job.state === 'EXPIRED') {
    steps.push({
      at: (job.finishedAt ?? job.updatedAt).toISOString(),
      step: 'expired',
      by: null,
      note: 'nobody approved it in time',
      ...of,
    });
  }
  if (job.decidedBy) {
    steps.push({
      at: job.updatedAt.toISOString(),
      step: job.state === 'REJECTED' ? 'rejected' : 'approved',
      by: job.decidedBy,
      note: job.decisionReason,
      ...of,
    });
  }
  if (job.submittedRunId || job.confirmBy) {
    // The job keeps no time of its own for the execution: the last change before it ended.
    steps.push({
      at: (job.finishedAt ?? job.updatedAt).toISOString(),
      step: 'executed',
      by: null,
      note: job.submittedRunId ? `new run ${job.submittedRunId}` : null,
      ...of,
    });
  }
  if (job.finishedAt && (job.state === 'DONE' || job.state === 'FAILED')) {
    steps.push({
      at: job.finishedAt.toISOString(),
      step: job.state === 'DONE' ? 'repair_done' : 'repair_failed',
      by: null,
      note: job.lastError,
      ...of,
    });
  }
  return steps;
}
