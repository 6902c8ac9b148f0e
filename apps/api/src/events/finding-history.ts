/**
 * The history of one finding, for the console's detail view: when it was detected, what its
 * repair job went through (created, waiting for approval, decided by whom, executed,
 * confirmed or failed) and when and by whom it was resolved, oldest first. Pure: built from the
 * finding's row and its repair job, which keep every one of these moments.
 */
import type { RepairJob, SyncEvent } from '@bridge/store';

export interface HistoryStep {
  at: string;
  step:
    | 'detected'
    | 'repair_planned'
    | 'awaiting_approval'
    | 'approved'
    | 'rejected'
    | 'executed'
    | 'repair_done'
    | 'repair_failed'
    | 'resolved';
  by: string | null;
  note: string | null;
}

export function findingHistory(event: SyncEvent, job: RepairJob | null): HistoryStep[] {
  const steps: HistoryStep[] = [
    { at: event.createdAt.toISOString(), step: 'detected', by: event.actor, note: null },
  ];
  if (job) {
    steps.push({
      at: job.createdAt.toISOString(),
      step: 'repair_planned',
      by: null,
      note: `${job.strategy}${job.plan ? ` (${job.plan.kind})` : ''}`,
    });
    if (job.state === 'AWAITING_APPROVAL') {
      steps.push({
        at: job.updatedAt.toISOString(),
        step: 'awaiting_approval',
        by: null,
        note: null,
      });
    }
    if (job.decidedBy) {
      steps.push({
        at: job.updatedAt.toISOString(),
        step: job.state === 'REJECTED' ? 'rejected' : 'approved',
        by: job.decidedBy,
        note: job.decisionReason,
      });
    }
    if (job.submittedRunId || job.confirmBy) {
      // The job keeps no time of its own for the execution: the last change before it ended.
      steps.push({
        at: (job.finishedAt ?? job.updatedAt).toISOString(),
        step: 'executed',
        by: null,
        note: job.submittedRunId ? `new run ${job.submittedRunId}` : null,
      });
    }
    if (job.finishedAt && (job.state === 'DONE' || job.state === 'FAILED')) {
      steps.push({
        at: job.finishedAt.toISOString(),
        step: job.state === 'DONE' ? 'repair_done' : 'repair_failed',
        by: null,
        note: job.lastError,
      });
    }
  }
  if (event.resolved && event.resolvedAt) {
    steps.push({
      at: event.resolvedAt.toISOString(),
      step: 'resolved',
      by: event.resolvedBy,
      note: event.resolutionNote,
    });
  }
  // Stable: steps recorded at the same moment keep the order they happen in.
  return steps.sort((a, b) => a.at.localeCompare(b.at));
}
