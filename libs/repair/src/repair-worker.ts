/**
 * Carries repair jobs through their states: the repair service's I/O around the pure rules of
 * `repair-decisions.ts`.
 *
 * A pass takes a batch of jobs at each step, each claim leased to this worker so that other
 * repair instances take other jobs:
 * 1. plan PENDING jobs (read the run and its pipeline from Cappella; store the plan; a
 *    non-idempotent pipeline waits for approval, until `approvalTimeoutMs` makes it EXPIRED),
 * 2. execute PLANNED jobs that no earlier job for the same run or entity holds back, after
 *    looking again (the finding still open, its discrepancy still there, the pipeline still
 *    idempotent; otherwise the job ends without acting, the finding healed, or goes back to
 *    approval): submit the run, or ask Canon to evict, splitting a refused batch to isolate the
 *    artifact at fault,
 * 3. confirm EXECUTING jobs against the components (the outputs are in Hippo; Canon holds none
 *    of the artifacts, or Canon's eviction events settled the finding), resolving the finding
 *    and closing the job in one transaction,
 * 4. announce confirmed repairs on `bridge.sync.repaired` (an outbox on the job row).
 *
 * Exactly-once resubmission rests on the store: claiming a job for execution marks it as
 * submitting in the same statement, and a job so marked is never submitted again. After an
 * answer that leaves the outcome open (a timeout, a 500) the job is not retried but confirmed
 * or failed by what Hippo shows.
 */
import { Logger } from '@nestjs/common';
import type { RepairConfig } from '@bridge/config';
import type { CanonClient, CappellaClient, HippoClient, Pipeline } from '@bridge/components';
import { entityKeyId, repairedEventIdFor, Topics, type SyncRepaired } from '@bridge/contracts';
import {
  ComponentRequestError,
  ComponentUnavailableError,
  errorMessage,
  StateConflictError,
} from '@bridge/errors';
import type { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import type {
  EvictPlan,
  RepairJob,
  RepairJobChange,
  RepairJobOutcome,
  RepairJobStore,
  ResubmitPlan,
  StoreTransactions,
  SyncEvent,
  SyncEventLog,
} from '@bridge/store';
import {
  confirmRepair,
  evictionRequested,
  isRepairable,
  nextConfirmationInMs,
  planRepair,
  REPAIR_RESOLVER,
  repairedEventFor,
  retryAfterFailure,
  revalidatePlan,
  type Revalidation,
  type ConfirmationObservation,
  type ResubmitFacts,
  type StepFailure,
} from './repair-decisions';
import {
  decideHealing,
  healedEventFor,
  readHealingObservation,
  type ComponentReader,
  type HealingDecision,
} from '@bridge/checks';

/** The component calls a repair makes (`ComponentClients` has them; tests give fakes). */
export interface RepairComponents {
  cappella: Pick<CappellaClient, 'getRun' | 'getPipeline' | 'submitRun'>;
  hippo: Pick<HippoClient, 'lookup'>;
  canon: Pick<CanonClient, 'evict' | 'artifactsFor'>;
}

export interface RepairWorkerDeps {
  jobs: RepairJobStore;
  /** What the worker reads to check a plan again just before acting. */
  reader: ComponentReader;
  log: SyncEventLog;
  transactions: StoreTransactions;
  components: RepairComponents;
  publisher: EventPublisher;
  settings: RepairConfig;
  /** Lease owner identity: unique per worker. */
  owner: string;
  now?: () => number;
}

export interface PassSummary {
  planned: number;
  executed: number;
  confirmed: number;
  announced: number;
}

export class RepairWorker {
  private readonly logger = new Logger('RepairWorker');
  private readonly now: () => number;

  constructor(private readonly deps: RepairWorkerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * One pass over every step; the total says whether there was anything to do. The steps claim
   * jobs in different states, so they run side by side: a pass takes as long as its slowest
   * step, not the sum of them.
   */
  async pass(): Promise<PassSummary & { total: number }> {
    const started = this.now();
    const timed = async (step: () => Promise<number>): Promise<[number, number]> => {
      const count = await step();
      return [count, this.now() - started];
    };
    const [[planned, planMs], [executed, executeMs], [confirmed, confirmMs]] = await Promise.all([
      timed(() => this.planDue()),
      timed(() => this.executeDue()),
      timed(() => this.confirmDue()),
    ]);
    const announced = await this.announceOwed();
    const expired = await this.expireApprovals();
    if (planned + executed + confirmed + announced > 0) {
      this.logger.debug(
        `pass: planned ${planned} (${planMs} ms), executed ${executed} (${executeMs} ms), confirmed ${confirmed} (${confirmMs} ms), announced ${announced} (${this.now() - started} ms in all)`,
      );
    }
    return {
      planned,
      executed,
      confirmed,
      announced,
      total: planned + executed + confirmed + announced + expired,
    };
  }

  private get claim() {
    return {
      owner: this.deps.owner,
      leaseMs: this.deps.settings.leaseMs,
      limit: this.deps.settings.batchSize,
    };
  }

  // ---- 1. planning ----------------------------------------------------------------------

  async planDue(): Promise<number> {
    const jobs = await this.deps.jobs.claimForPlanning(this.claim);
    if (jobs.length === 0) return 0;
    const findings = await this.deps.log.findByIds(jobs.map((job) => job.syncEventId));
    const pipelines = new Map<string, Promise<Pipeline | null>>();
    const outcomes = await Promise.all(
      jobs.map(async (job) => ({
        id: job.id,
        from: 'PENDING' as const,
        change: await this.planOne(job, findings.get(job.syncEventId), pipelines),
      })),
    );
    await this.recordAll(outcomes);
    return jobs.length;
  }

  private async planOne(
    job: RepairJob,
    finding: SyncEvent | undefined,
    pipelines: Map<string, Promise<Pipeline | null>>,
  ): Promise<RepairJobChange> {
    if (!finding || !isRepairable(finding)) {
      return {
        state: 'FAILED',
        lastError: `finding ${job.syncEventId} is not a repairable finding`,
      };
    }
    if (finding.resolved) {
      return {
        state: 'DONE',
        lastError: `the finding was resolved by ${finding.resolvedBy ?? 'someone'} before repair`,
      };
    }
    let facts: ResubmitFacts | null = null;
    if (job.strategy === 'resubmit_run' && finding.eventType === 'bridge.sync.mismatch') {
      const runId = finding.details.run_id;
      try {
        const run = runId ? await this.deps.components.cappella.getRun(runId) : null;
        let pipeline: Promise<Pipeline | null> | undefined;
        if (run) {
          pipeline = pipelines.get(run.pipeline_id);
          if (!pipeline) {
            pipeline = this.deps.components.cappella.getPipeline(run.pipeline_id);
            pipelines.set(run.pipeline_id, pipeline);
          }
        }
        facts = { run, pipeline: pipeline ? await pipeline : null };
      } catch (error) {
        return this.afterFailure(job, job.attempts + 1, stepFailureOf(error, 'repeatable'), {
          countAttempt: true,
        });
      }
    }
    const decision = planRepair(finding, job.strategy, facts);
    if (decision.kind === 'failed') return { state: 'FAILED', lastError: decision.reason };
    return {
      state: decision.next,
      plan: decision.plan,
      resetAttempts: true,
      lastError: null,
      retryInMs: 0,
      ...(decision.next === 'AWAITING_APPROVAL'
        ? { expiresInMs: this.deps.settings.approvalTimeoutMs }
        : {}),
    };
  }

  // ---- 2. execution ---------------------------------------------------------------------

  async executeDue(): Promise<number> {
    const jobs = await this.deps.jobs.claimForExecution(this.claim);
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
      await this.recordAll(outcomes);
      return jobs.length;
    }
    // A discrepancy gone by itself: the finding closes as healed, announced, with its job.
    await this.deps.transactions.run(async ({ log, repairs }) => {
      const closed = await log.closeAsHealed(
        healed.map(({ job, reason }) => ({ id: job.syncEventId, reason })),
      );
      const now = this.now();
      await this.deps.publisher.publishMany(
        Topics.BridgeSyncRepaired,
        closed.map((finding) => {
          const event = healedEventFor(finding, now);
          return { event, key: event.run_id ?? event.sync_event_id };
        }),
      );
      this.warnDropped(outcomes, await repairs.recordMany(this.deps.owner, outcomes));
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
        return this.afterFailure(job, job.attempts, verdict, {
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

  private async executeOne(job: RepairJob): Promise<RepairJobChange> {
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
        return this.afterFailure(job, job.attempts, stepFailureOf(error, 'repeatable'), {
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
      return this.afterFailure(job, job.attempts, failure, {
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
    if (!(await this.deps.jobs.markSubmissionSent(job.id, this.deps.owner))) {
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

  // ---- 3. confirmation --------------------------------------------------------------------

  async confirmDue(): Promise<number> {
    const jobs = await this.deps.jobs.claimForConfirmation(this.claim);
    if (jobs.length === 0) return 0;
    const findings = await this.deps.log.findByIds(jobs.map((job) => job.syncEventId));
    const outcomes: RepairJobOutcome[] = [];
    const toObserve: Array<{ job: RepairJob; finding: SyncEvent }> = [];
    for (const job of jobs) {
      const finding = findings.get(job.syncEventId);
      if (!job.plan || !finding) {
        outcomes.push(
          this.outcome(job, { state: 'FAILED', lastError: 'the job lost its plan or finding' }),
        );
      } else if (
        job.plan.kind === 'evict' &&
        job.plan.artifacts.some((item) => item.state === 'pending')
      ) {
        // A worker that died while evicting left artifacts unrequested: evicting again is harmless.
        outcomes.push(this.outcome(job, await this.executeOne(job)));
      } else if (
        job.plan.kind === 'resubmit_run' &&
        job.submissionStartedAt === null &&
        job.submittedRunId === null
      ) {
        // A worker that died before the submission left: Cappella never saw it, so submit now.
        outcomes.push(this.outcome(job, await this.executeOne(job)));
      } else {
        toObserve.push({ job, finding });
      }
    }
    const observations = await this.observeAll(toObserve);
    const announce: string[] = [];
    for (const { job } of toObserve) {
      const observation = observations.get(job.id);
      if (!observation) continue;
      // A job whose worker died mid-submission never got a deadline: count from the submission.
      const confirmBy =
        job.confirmBy ??
        new Date(
          (job.submissionStartedAt?.getTime() ?? this.now()) + this.deps.settings.confirmDeadlineMs,
        );
      const decision = confirmRepair({ ...job, confirmBy }, observation, this.now());
      if (decision.kind === 'wait') {
        const retryInMs = nextConfirmationInMs(
          { ...job, confirmBy },
          this.deps.settings,
          this.now(),
        );
        outcomes.push(this.outcome(job, { retryInMs }));
      } else if (decision.kind === 'failed') {
        this.logger.warn(
          `repair ${job.id} of finding ${job.syncEventId} failed: ${decision.reason}`,
        );
        outcomes.push(this.outcome(job, { state: 'FAILED', lastError: decision.reason }));
      } else if (decision.announce) {
        announce.push(job.id);
      } else {
        outcomes.push(this.outcome(job, { state: 'DONE', lastError: null }));
      }
    }
    // Closing a job and resolving its finding commit together: a confirmed repair is never
    // left with its finding open, nor a finding resolved by a job still executing.
    const confirmed = toObserve.filter(({ job }) => announce.includes(job.id));
    if (confirmed.length === 0) {
      await this.recordAll(outcomes);
      return jobs.length;
    }
    await this.deps.transactions.run(async ({ log, repairs }) => {
      const resolved = await log.resolveMany(
        confirmed.map(({ job }) => job.syncEventId),
        REPAIR_RESOLVER,
      );
      for (const { job } of confirmed) {
        outcomes.push(
          this.outcome(job, {
            state: 'DONE',
            lastError: null,
            // Announced by whoever resolved the finding: here, or Canon's eviction events.
            ...(resolved.has(job.syncEventId)
              ? { outboundEventId: repairedEventIdFor(job.syncEventId) }
              : {}),
          }),
        );
      }
      this.warnDropped(outcomes, await repairs.recordMany(this.deps.owner, outcomes));
    });
    return jobs.length;
  }

  /**
   * What the components show for each executed repair, with one Hippo lookup for every
   * resubmission's entities and one Canon query for every eviction's. A component that cannot
   * be read delays those confirmations (their deadline still applies).
   */
  private async observeAll(
    items: Array<{ job: RepairJob; finding: SyncEvent }>,
  ): Promise<Map<string, ConfirmationObservation>> {
    const observations = new Map<string, ConfirmationObservation>();
    const resubmits: Array<{ job: RepairJob; plan: ResubmitPlan }> = [];
    const evictions: Array<{ job: RepairJob; plan: EvictPlan }> = [];
    for (const { job, finding } of items) {
      if (finding.resolved) observations.set(job.id, { kind: 'finding_resolved' });
      else if (job.plan?.kind === 'resubmit_run') resubmits.push({ job, plan: job.plan });
      else if (job.plan?.kind === 'evict') evictions.push({ job, plan: job.plan });
    }
    if (resubmits.length > 0) {
      let present: Set<string>;
      try {
        const presence = await this.deps.components.hippo.lookup(
          resubmits.flatMap(({ plan }) => plan.expected_entities),
        );
        present = new Set(presence.filter((entity) => entity.exists).map(entityKeyId));
      } catch (error) {
        this.logger.warn(`cannot confirm resubmissions yet: ${errorMessage(error)}`);
        present = new Set();
      }
      for (const { job, plan } of resubmits) {
        observations.set(job.id, {
          kind: 'entities_present',
          present: plan.expected_entities.filter((key) => present.has(entityKeyId(key))),
        });
      }
    }
    if (evictions.length > 0) {
      let held: Set<string> | null;
      try {
        const artifacts = await this.deps.components.canon.artifactsFor(
          evictions.flatMap(({ plan }) => plan.entities),
        );
        held = new Set(artifacts.map((artifact) => artifact.artifact_id));
      } catch (error) {
        this.logger.warn(`cannot confirm evictions yet: ${errorMessage(error)}`);
        held = null;
      }
      for (const { job, plan } of evictions) {
        const planned = plan.artifacts.map((item) => item.artifact_id);
        observations.set(job.id, {
          kind: 'artifacts_left',
          artifactIds: held === null ? planned : planned.filter((id) => held.has(id)),
        });
      }
    }
    return observations;
  }

  // ---- approvals that waited too long ----------------------------------------------------

  /** Ends the approval waits that are over as EXPIRED; returns how many. */
  async expireApprovals(): Promise<number> {
    const expired = await this.deps.jobs.expireApprovals();
    if (expired.length > 0) BridgeMetrics.approvalsExpired.inc(expired.length);
    for (const job of expired) {
      this.logger.warn(`repair ${job.id} of finding ${job.syncEventId} expired awaiting approval`);
    }
    return expired.length;
  }

  // ---- 4. announcement --------------------------------------------------------------------

  /** Publishes the `bridge.sync.repaired` that confirmed jobs owe. */
  async announceOwed(): Promise<number> {
    return this.deps.jobs.relayOwed(this.deps.settings.batchSize, async (jobs) => {
      const events: SyncRepaired[] = jobs.map((job) => repairedEventFor(job, this.now()));
      await this.deps.publisher.publishMany(
        Topics.BridgeSyncRepaired,
        events.map((event) => ({ event, key: event.run_id ?? event.sync_event_id })),
      );
    });
  }

  // ---- shared -----------------------------------------------------------------------------

  private afterFailure(
    job: RepairJob,
    attempts: number,
    failure: StepFailure,
    onRetry: RepairJobChange,
  ): RepairJobChange {
    const decision = retryAfterFailure(attempts, failure, this.deps.settings);
    if (decision.kind === 'give_up') {
      this.logger.warn(`repair ${job.id} of finding ${job.syncEventId} failed: ${decision.reason}`);
      return { ...onRetry, state: 'FAILED', lastError: decision.reason };
    }
    return { ...onRetry, lastError: failure.error, retryInMs: decision.inMs };
  }

  private outcome(job: RepairJob, change: RepairJobChange): RepairJobOutcome {
    return { id: job.id, from: 'EXECUTING', change };
  }

  private async recordAll(outcomes: RepairJobOutcome[]): Promise<void> {
    this.warnDropped(outcomes, await this.deps.jobs.recordMany(this.deps.owner, outcomes));
  }

  private warnDropped(outcomes: RepairJobOutcome[], applied: Set<string>): void {
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
