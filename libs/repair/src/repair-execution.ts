/**
 * Step 2 of a repair: execute PLANNED jobs that no earlier job for the same run or entity holds
 * back, after looking again (the finding still open, its discrepancy still there, the pipeline
 * still idempotent; otherwise the job ends without acting, the finding healed, or goes back to
 * approval): submit the run, or ask Canon to evict, splitting a refused batch to isolate the
 * artifact at fault.
 *
 * Exactly-once resubmission rests on the store: claiming a job for execution marks it as
 * submitting in the same statement, the mark that the request leaves is committed before it is
 * written (`markSent`), and a job so marked is never submitted again. After an answer that
 * leaves the outcome open (a timeout, a 500) the job is not retried but confirmed or failed by
 * what Hippo shows.
 */
import { Logger } from '@nestjs/common';
import type { RepairConfig } from '@bridge/config';
import type { Pipeline } from '@bridge/components';
import { Topics } from '@bridge/contracts';
import { ComponentRequestError, StateConflictError } from '@bridge/errors';
import type { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import type {
  EvictPlan,
  RepairJob,
  RepairJobChange,
  RepairJobStore,
  StoreTransactions,
  SyncEventLog,
} from '@bridge/store';
import {
  decideHealing,
  healedEventFor,
  readHealingObservation,
  type ComponentReader,
  type HealingDecision,
} from '@bridge/checks';
import {
  evictionRequested,
  revalidatePlan,
  type Revalidation,
  type StepFailure,
} from './repair-decisions';
import { stepFailureOf, type RepairJobSteps } from './repair-job-steps';
import type { RepairComponents } from './repair-components';

export class RepairExecution {
  private readonly logger = new Logger('RepairWorker');

  constructor(
    private readonly deps: {
      jobs: RepairJobStore;
      reader: ComponentReader;
      log: SyncEventLog;
      transactions: StoreTransactions;
      components: RepairComponents;
      publisher: EventPublisher;
      settings: RepairConfig;
      holder: string;
      now: () => number;
    },
    private readonly jobs: RepairJobSteps,
  ) {}

  async executeDue(): Promise<number> {
    const jobs = await this.deps.jobs.claimForExecution(this.jobs.claim);
    if (jobs.length === 0) return 0;
    const verdicts = await this.revalidate(jobs);
    const healed: Array<{ job: RepairJob; reason: string }> = [];
    const outcomes = await Promise.all(
      jobs.map(async (job) => {
        const verdict = verdicts.get(job.id) ?? { kind: 'act' };
        if (verdict.kind === 'healed') healed.push({ job, reason: verdict.reason });
        return {
          id: job.id,
          from: 'EXECUTING' as const,
          change: await this.afterLooking(job, verdict),
        };
      }),
    );
    if (healed.length === 0) {
      await this.jobs.recordAll(outcomes);
      return jobs.length;
    }
    // A discrepancy gone by itself: the finding closes as healed, announced, with its job.
    await this.deps.transactions.run(async ({ log, repairs }) => {
      const closed = await log.closeAsHealed(
        healed.map(({ job, reason }) => ({ id: job.syncEventId, reason })),
      );
      const now = this.deps.now();
      await this.deps.publisher.publishMany(
        Topics.BridgeSyncRepaired,
        closed.map((finding) => {
          const event = healedEventFor(finding, now);
          return { event, key: event.run_id ?? event.sync_event_id };
        }),
      );
      this.jobs.warnDropped(outcomes, await repairs.recordMany(this.deps.holder, outcomes));
    });
    return jobs.length;
  }

  /**
   * Looks at each claimed job's finding and the components again just before acting: whether
   * the finding is still open, its discrepancy still there, and a resubmitted pipeline still
   * idempotent. A component that cannot be read makes the verdict a failed attempt (retried).
   */
  private async revalidate(jobs: RepairJob[]): Promise<Map<string, Revalidation | StepFailure>> {
    const verdicts = new Map<string, Revalidation | StepFailure>();
    const findings = await this.deps.log.findByIds(jobs.map((job) => job.syncEventId));
    const open = jobs.flatMap((job) => {
      const finding = findings.get(job.syncEventId);
      return finding?.state === 'open' ? [finding] : [];
    });
    let healing: Map<string, HealingDecision>;
    const pipelines = new Map<string, Pipeline | null>();
    try {
      const observation = await readHealingObservation(this.deps.reader, open);
      healing = new Map(open.map((finding) => [finding.id, decideHealing(finding, observation)]));
      const pipelineIds = new Set(
        jobs.flatMap((job) =>
          job.plan?.kind === 'resubmit_run' && job.plan.idempotent && job.decidedBy === null
            ? [job.plan.pipeline_id]
            : [],
        ),
      );
      await Promise.all(
        [...pipelineIds].map(async (id) => {
          pipelines.set(id, await this.deps.components.cappella.getPipeline(id));
        }),
      );
    } catch (error) {
      const failure = stepFailureOf(error, 'repeatable');
      for (const job of jobs) verdicts.set(job.id, failure);
      return verdicts;
    }
    for (const job of jobs) {
      const pipelineId = job.plan?.kind === 'resubmit_run' ? job.plan.pipeline_id : null;
      verdicts.set(
        job.id,
        revalidatePlan(
          job,
          findings.get(job.syncEventId),
          healing.get(job.syncEventId) ?? { kind: 'holds' },
          pipelineId === null ? null : (pipelines.get(pipelineId) ?? null),
        ),
      );
    }
    return verdicts;
  }

  /** What a claimed job does once it has looked again. */
  private async afterLooking(
    job: RepairJob,
    verdict: Revalidation | StepFailure,
  ): Promise<RepairJobChange> {
    switch (verdict.kind) {
      case 'act':
        return this.executeTimed(job);
      case 'closed':
        return { state: 'DONE', lastError: verdict.note };
      case 'healed':
        return { state: 'DONE', lastError: `not needed: the finding healed (${verdict.reason})` };
      case 'needs_approval':
        this.logger.warn(`repair ${job.id} goes back to approval: ${verdict.reason}`);
        return {
          state: 'AWAITING_APPROVAL',
          plan: job.plan?.kind === 'resubmit_run' ? { ...job.plan, idempotent: false } : job.plan,
          lastError: verdict.reason,
          expiresInMs: this.deps.settings.approvalTimeoutMs,
        };
      default:
        // The components could not be read: nothing was done, try again later.
        return this.jobs.afterFailure(job, job.attempts, verdict, {
          state: 'PLANNED',
          clearSubmission: true,
        });
    }
  }

  /** `executeOne`, timed for the repair latency histogram with the state it leads to. */
  private async executeTimed(job: RepairJob): Promise<RepairJobChange> {
    const stop = BridgeMetrics.repairDuration.startTimer({ strategy: job.strategy });
    const change = await this.executeOne(job);
    // No new state: the step was requested and awaits confirmation; otherwise a retry or an end.
    stop({ outcome: change.state === undefined ? 'requested' : change.state.toLowerCase() });
    return change;
  }

  /** Carries out a job's plan once (also what confirmation does for a job whose step never left). */
  async executeOne(job: RepairJob): Promise<RepairJobChange> {
    const plan = job.plan;
    const confirming = {
      confirmInMs: this.deps.settings.confirmDeadlineMs,
      retryInMs: this.deps.settings.confirmIntervalMs,
    };
    if (!plan) return { state: 'FAILED', lastError: 'the job has no plan' };
    if (plan.kind === 'evict') {
      try {
        return { ...confirming, plan: await this.evict(plan), lastError: null };
      } catch (error) {
        return this.jobs.afterFailure(job, job.attempts, stepFailureOf(error, 'repeatable'), {
          state: 'PLANNED',
          clearSubmission: true,
        });
      }
    }
    try {
      const { run_id } = await this.deps.components.cappella.submitRun(
        plan.pipeline_id,
        plan.inputs,
        { beforeSend: () => this.markSent(job) },
      );
      this.logger.log(`resubmitted run ${plan.run_id} (pipeline ${plan.pipeline_id}) as ${run_id}`);
      return { ...confirming, submittedRunId: run_id, lastError: null };
    } catch (error) {
      if (error instanceof StateConflictError) {
        this.logger.warn(error.message);
        return {}; // the lease moved on: whoever holds the job now decides
      }
      const failure = stepFailureOf(error, 'once');
      if (failure.kind === 'unknown') {
        // Cappella may have started the run: never submit again; what Hippo shows decides.
        this.logger.warn(
          `resubmission of run ${plan.run_id} has an unknown outcome: ${failure.error}`,
        );
        return { ...confirming, lastError: `submission outcome unknown: ${failure.error}` };
      }
      return this.jobs.afterFailure(job, job.attempts, failure, {
        state: 'PLANNED',
        clearSubmission: true,
      });
    }
  }

  /**
   * Records that the submission of `job` leaves now, unless this worker no longer holds the
   * job; committed before the request is written, so that a job without the mark was never sent.
   */
  private async markSent(job: RepairJob): Promise<void> {
    if (!(await this.deps.jobs.markSubmissionSent(job.id, this.deps.holder))) {
      throw new StateConflictError(
        `repair ${job.id} was taken over before its submission left; not sending it`,
      );
    }
  }

  /**
   * Asks Canon to evict every artifact not yet requested. A refusal of the whole request (a
   * 4xx) is narrowed down artifact by artifact, so one artifact Canon will not evict does not
   * hold back the others; an outage throws, and the job is retried later.
   */
  private async evict(plan: EvictPlan): Promise<EvictPlan> {
    const pending = plan.artifacts
      .filter((item) => item.state === 'pending')
      .map((item) => item.artifact_id);
    if (pending.length === 0) return plan;
    try {
      await this.deps.components.canon.evict(pending, plan.mode);
      return evictionRequested(plan, { requested: pending, refused: new Map() });
    } catch (error) {
      if (!(error instanceof ComponentRequestError) || pending.length === 1) {
        if (error instanceof ComponentRequestError) {
          return evictionRequested(plan, {
            requested: [],
            refused: new Map([[pending[0], error.message]]),
          });
        }
        throw error;
      }
    }
    const requested: string[] = [];
    const refused = new Map<string, string>();
    for (const id of pending) {
      try {
        await this.deps.components.canon.evict([id], plan.mode);
        requested.push(id);
      } catch (error) {
        if (!(error instanceof ComponentRequestError)) throw error;
        refused.set(id, error.message);
      }
    }
    return evictionRequested(plan, { requested, refused });
  }
}
