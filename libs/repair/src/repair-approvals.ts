/**
 * An operator's decision on a repair that waits for approval (a resubmission of a pipeline
 * Cappella does not call idempotent), or whose wait expired. Approving sends the job on to
 * execution with the plan it was shown (checked against the components again just before it
 * acts); rejecting ends it as REJECTED and leaves the finding open. The API and the
 * CLI call these; whoever decides is recorded with the reason.
 */
import { NotFoundError, StateConflictError } from '@bridge/errors';
import type { RepairJob, RepairJobStore } from '@bridge/store';
import { APPROVAL_MOVES } from './repair-decisions';

export interface RepairDecision {
  /** Who decides (an operator's name or token subject). */
  by: string;
  reason?: string | null;
}

export class RepairApprovals {
  constructor(private readonly jobs: RepairJobStore) {}

  /** Lets the job run; throws `NotFoundError` or `StateConflictError` (not awaiting approval). */
  approve(jobId: string, decision: RepairDecision): Promise<RepairJob> {
    return this.decide(jobId, 'approve', decision);
  }

  /** Ends the job as REJECTED; the finding stays open for the operator. */
  reject(jobId: string, decision: RepairDecision): Promise<RepairJob> {
    return this.decide(jobId, 'reject', decision);
  }

  private async decide(
    jobId: string,
    move: keyof typeof APPROVAL_MOVES,
    decision: RepairDecision,
  ): Promise<RepairJob> {
    const { from, to } = APPROVAL_MOVES[move];
    const applied = await this.jobs.record(jobId, from, null, {
      state: to,
      decidedBy: decision.by,
      decisionReason: decision.reason ?? null,
      retryInMs: 0,
    });
    const job = await this.jobs.findById(jobId);
    if (!job) throw new NotFoundError(`no repair job ${jobId}`);
    if (!applied) {
      throw new StateConflictError(
        `repair job ${jobId} is ${job.state}, not ${from.join(' or ')}: it cannot be ${move === 'approve' ? 'approved' : 'rejected'}`,
      );
    }
    return job;
  }
}
