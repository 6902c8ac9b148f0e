/**
 * What every step of the repair worker shares: the claim it makes on jobs (leased to this
 * worker), what a failed attempt leads to (another try later, or FAILED once the attempts are
 * spent), and recording a batch of outcomes, where an outcome for a job whose lease moved on is
 * dropped with a warning rather than applied.
 */
import { Logger } from '@nestjs/common';
import type { RepairConfig } from '@bridge/config';
import { ComponentRequestError, ComponentUnavailableError } from '@bridge/errors';
import type { RepairJob, RepairJobChange, RepairJobOutcome, RepairJobStore } from '@bridge/store';
import { retryAfterFailure, type StepFailure } from './repair-decisions';

export class RepairJobSteps {
  private readonly logger = new Logger('RepairWorker');

  constructor(
    private readonly store: RepairJobStore,
    private readonly settings: RepairConfig,
    /** Lease holder identity: unique per worker. */
    readonly holder: string,
  ) {}

  /** The claim each step makes: this worker's, for a lease's time, a batch at most. */
  get claim() {
    return { holder: this.holder, leaseMs: this.settings.leaseMs, limit: this.settings.batchSize };
  }

  afterFailure(
    job: RepairJob,
    attempts: number,
    failure: StepFailure,
    onRetry: RepairJobChange,
  ): RepairJobChange {
    const decision = retryAfterFailure(attempts, failure, this.settings);
    if (decision.kind === 'give_up') {
      this.logger.warn(`repair ${job.id} of finding ${job.syncEventId} failed: ${decision.reason}`);
      return { ...onRetry, state: 'FAILED', lastError: decision.reason };
    }
    return { ...onRetry, lastError: failure.error, retryInMs: decision.inMs };
  }

  outcome(job: RepairJob, change: RepairJobChange): RepairJobOutcome {
    return { id: job.id, from: 'EXECUTING', change };
  }

  async recordAll(outcomes: RepairJobOutcome[]): Promise<void> {
    this.warnDropped(outcomes, await this.store.recordMany(this.holder, outcomes));
  }

  warnDropped(outcomes: RepairJobOutcome[], applied: Set<string>): void {
    const dropped = outcomes.filter((outcome) => !applied.has(outcome.id));
    if (dropped.length > 0) {
      this.logger.warn(
        `${dropped.length} repair job(s) moved on while this worker held them (their lease ran out); their outcomes here are dropped`,
      );
    }
  }
}

/**
 * What a component error means for a repair step. For a call that may be repeated (reads, an
 * eviction) any unavailability is worth another try; for one that must happen once (submitting
 * a run) only an unavailability the component certainly did not act on.
 */
export function stepFailureOf(error: unknown, call: 'repeatable' | 'once'): StepFailure {
  if (error instanceof ComponentRequestError) return { kind: 'refused', error: error.message };
  if (error instanceof ComponentUnavailableError) {
    return call === 'repeatable' || error.unprocessed
      ? { kind: 'not_processed', error: error.message }
      : { kind: 'unknown', error: error.message };
  }
  throw error;
}
