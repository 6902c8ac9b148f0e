/** A repair job as the query API shows it: its state, plan, attempts and who decided. */
import type { RepairJob } from '@bridge/store';

export interface RepairJobView {
  id: string;
  sync_event_id: string;
  mismatch_type: string;
  strategy: string;
  state: string;
  priority: number;
  plan: RepairJob['plan'];
  attempts: number;
  last_error: string | null;
  next_attempt_at: string;
  submitted_run_id: string | null;
  confirm_by: string | null;
  decided_by: string | null;
  decision_reason: string | null;
  finding_created_at: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  /** The job this one retries; who started it (null: the finding's strategy). */
  retry_of: string | null;
  requested_by: string | null;
  /** While awaiting approval: when it becomes EXPIRED. */
  expires_at: string | null;
}

export function repairJobView(job: RepairJob): RepairJobView {
  return {
    id: job.id,
    sync_event_id: job.syncEventId,
    mismatch_type: job.mismatchType,
    strategy: job.strategy,
    state: job.state,
    priority: job.priority,
    plan: job.plan,
    attempts: job.attempts,
    last_error: job.lastError,
    next_attempt_at: job.nextAttemptAt.toISOString(),
    submitted_run_id: job.submittedRunId,
    confirm_by: job.confirmBy?.toISOString() ?? null,
    decided_by: job.decidedBy,
    decision_reason: job.decisionReason,
    finding_created_at: job.findingCreatedAt.toISOString(),
    created_at: job.createdAt.toISOString(),
    updated_at: job.updatedAt.toISOString(),
    finished_at: job.finishedAt?.toISOString() ?? null,
    retry_of: job.retryOf,
    requested_by: job.requestedBy,
    expires_at: job.expiresAt?.toISOString() ?? null,
  };
}
