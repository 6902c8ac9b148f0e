/**
 * Repairs an operator starts by hand: on any open finding with a strategy its mismatch type
 * allows (also one whose configured strategy only alerts), a retry of a repair that FAILED, was
 * REJECTED or EXPIRED (a new job; the old one stays in the finding's history), and a change of
 * an active job's priority. The API and, through it, the CLI and the console call these; the
 * rules are `operatorRepairJobFor`'s, and the store holds that a finding has at most one active
 * job.
 */
import type { RepairConfig } from '@bridge/config';
import type { RepairStrategy } from '@bridge/contracts';
import { NotFoundError, StateConflictError } from '@bridge/errors';
import {
  RETRYABLE_REPAIR_STATES,
  type RepairJob,
  type RepairJobStore,
  type RepairState,
  type SyncEventLog,
} from '@bridge/store';
import { operatorRepairJobFor } from './repair-decisions';

export class OperatorRepairs {
  constructor(
    private readonly jobs: RepairJobStore,
    private readonly log: SyncEventLog,
    private readonly weights: Pick<RepairConfig, 'priorityByType' | 'priorityBySource'>,
  ) {}

  /** Starts a repair of an open finding; 404 unknown finding, 409 refused or one active. */
  async start(
    findingId: string,
    request: { strategy: RepairStrategy; priority?: number; by: string },
  ): Promise<RepairJob> {
    return this.create(findingId, request);
  }

  /** Starts a finished repair again as a new job, with its strategy and priority. */
  async retry(jobId: string, by: string): Promise<RepairJob> {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new NotFoundError(`no repair job ${jobId}`);
    const retryable: readonly RepairState[] = RETRYABLE_REPAIR_STATES;
    if (!retryable.includes(job.state)) {
      throw new StateConflictError(
        `repair job ${jobId} is ${job.state}: only a ${RETRYABLE_REPAIR_STATES.join(', ')} repair can be retried`,
      );
    }
    return this.create(job.syncEventId, {
      strategy: job.strategy,
      priority: job.priority,
      by,
      retryOf: job.id,
    });
  }

  /** Sets the priority of an active job (higher runs first). */
  async setPriority(jobId: string, priority: number): Promise<RepairJob> {
    const changed = await this.jobs.setPriority(jobId, priority);
    const job = await this.jobs.findById(jobId);
    if (!job) throw new NotFoundError(`no repair job ${jobId}`);
    if (!changed) {
      throw new StateConflictError(
        `repair job ${jobId} is ${job.state}: only an active repair has a priority to change`,
      );
    }
    return job;
  }

  private async create(
    findingId: string,
    request: { strategy: RepairStrategy; priority?: number; by: string; retryOf?: string },
  ): Promise<RepairJob> {
    const finding = await this.log.findById(findingId);
    if (!finding) throw new NotFoundError(`no sync event ${findingId}`);
    const decision = operatorRepairJobFor(finding, request, this.weights);
    if (decision.kind === 'refused') throw new StateConflictError(decision.reason);
    const [created] = await this.jobs.createAnother([decision.job]);
    if (created) return created;
    const active = await this.jobs.findBySyncEventId(findingId);
    throw new StateConflictError(
      `the finding already has an active repair${active ? ` (job ${active.id}, ${active.state})` : ''}`,
    );
  }
}
