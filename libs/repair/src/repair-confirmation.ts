/**
 * Step 3 of a repair: confirm EXECUTING jobs against the components (the outputs are in Hippo;
 * Canon holds none of the artifacts, or Canon's eviction events settled the finding), waiting
 * longer between looks as a job waits, up to its deadline. A confirmed job closes with its
 * finding resolved in one transaction, and owes its `bridge.sync.repaired` (step 4, an outbox
 * on the job row). A job whose step never left (its worker died) is carried out now.
 *
 * A resubmission whose outcome is unknown (marked sent, no run id back) and still unconfirmed
 * after `submissionSearchDelayMs` is looked for in Cappella's run listing, from the cursor kept
 * with its mark: the run found is adopted and confirmed as usual; when the listing holds none,
 * Cappella never received the request and the job goes back to PLANNED to be submitted again.
 * So a worker killed as its request left neither loses the repair nor repeats it.
 */
import { Logger } from '@nestjs/common';
import type { RepairConfig } from '@bridge/config';
import { entityKeyId, repairedEventIdFor } from '@bridge/contracts';
import { errorMessage } from '@bridge/errors';
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
  nextConfirmationInMs,
  REPAIR_RESOLVER,
  submissionSearchDue,
  submittedRunAmong,
  type ConfirmationObservation,
} from './repair-decisions';
import type { RepairExecution } from './repair-execution';
import type { RepairJobSteps } from './repair-job-steps';
import type { RepairComponents } from './repair-components';

/** Pages of Cappella's run listing one confirmation pass reads for one lost submission. */
const SEARCH_PAGES_PER_PASS = 20;

export class RepairConfirmation {
  private readonly logger = new Logger('RepairWorker');

  constructor(
    private readonly deps: {
      jobs: RepairJobStore;
      log: SyncEventLog;
      transactions: StoreTransactions;
      components: RepairComponents;
      settings: RepairConfig;
      holder: string;
      now: () => number;
    },
    private readonly jobs: RepairJobSteps,
    private readonly execution: RepairExecution,
  ) {}

  async confirmDue(): Promise<number> {
    const jobs = await this.deps.jobs.claimForConfirmation(this.jobs.claim);
    if (jobs.length === 0) return 0;
    const findings = await this.deps.log.findByIds(jobs.map((job) => job.syncEventId));
    const outcomes: RepairJobOutcome[] = [];
    const toObserve: Array<{ job: RepairJob; finding: SyncEvent }> = [];
    for (const job of jobs) {
      const finding = findings.get(job.syncEventId);
      if (!job.plan || !finding) {
        outcomes.push(
          this.jobs.outcome(job, {
            state: 'FAILED',
            lastError: 'the job lost its plan or finding',
          }),
        );
      } else if (
        job.plan.kind === 'evict' &&
        job.plan.artifacts.some((item) => item.state === 'pending')
      ) {
        // A worker that died while evicting left artifacts unrequested: evicting again is harmless.
        outcomes.push(this.jobs.outcome(job, await this.execution.executeOne(job)));
      } else if (
        job.plan.kind === 'resubmit_run' &&
        job.submissionStartedAt === null &&
        job.submittedRunId === null
      ) {
        // A worker that died before the submission left: Cappella never saw it, so submit now.
        outcomes.push(this.jobs.outcome(job, await this.execution.executeOne(job)));
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
          (job.submissionStartedAt?.getTime() ?? this.deps.now()) +
            this.deps.settings.confirmDeadlineMs,
        );
      const decision = confirmRepair({ ...job, confirmBy }, observation, this.deps.now());
      if (
        decision.kind === 'wait' &&
        job.plan?.kind === 'resubmit_run' &&
        submissionSearchDue(job, this.deps.settings, this.deps.now())
      ) {
        outcomes.push(this.jobs.outcome(job, await this.searchSubmission(job, job.plan)));
      } else if (decision.kind === 'wait') {
        const retryInMs = nextConfirmationInMs(
          { ...job, confirmBy },
          this.deps.settings,
          this.deps.now(),
        );
        outcomes.push(this.jobs.outcome(job, { retryInMs }));
      } else if (decision.kind === 'failed') {
        this.logger.warn(
          `repair ${job.id} of finding ${job.syncEventId} failed: ${decision.reason}`,
        );
        outcomes.push(this.jobs.outcome(job, { state: 'FAILED', lastError: decision.reason }));
      } else if (decision.announce) {
        announce.push(job.id);
      } else {
        outcomes.push(this.jobs.outcome(job, { state: 'DONE', lastError: null }));
      }
    }
    // Closing a job and resolving its finding commit together: a confirmed repair is never
    // left with its finding open, nor a finding resolved by a job still executing.
    const confirmed = toObserve.filter(({ job }) => announce.includes(job.id));
    if (confirmed.length === 0) {
      await this.jobs.recordAll(outcomes);
      return jobs.length;
    }
    await this.deps.transactions.run(async ({ log, repairs }) => {
      const resolved = await log.resolveMany(
        confirmed.map(({ job }) => job.syncEventId),
        REPAIR_RESOLVER,
      );
      for (const { job } of confirmed) {
        outcomes.push(
          this.jobs.outcome(job, {
            state: 'DONE',
            lastError: null,
            // Announced by whoever resolved the finding: here, or Canon's eviction events.
            ...(resolved.has(job.syncEventId)
              ? { outboundEventId: repairedEventIdFor(job.syncEventId) }
              : {}),
          }),
        );
      }
      this.jobs.warnDropped(outcomes, await repairs.recordMany(this.deps.holder, outcomes));
    });
    return jobs.length;
  }

  /**
   * Reads Cappella's run listing on from the job's search cursor, a bounded number of pages per
   * pass, for the run its submission created. Found: the job adopts it and waits for Hippo as
   * any submitted job. The listing's end reached without it: the submission never arrived, so
   * the job goes back to PLANNED, unmarked, and is submitted (once) again. Otherwise the search
   * goes on from where it stopped at the next pass.
   */
  private async searchSubmission(job: RepairJob, plan: ResubmitPlan): Promise<RepairJobChange> {
    const again = { retryInMs: this.deps.settings.confirmIntervalMs };
    let after = job.submissionSearchAfter;
    try {
      for (let page = 0; page < SEARCH_PAGES_PER_PASS; page += 1) {
        const { items, next_cursor } = await this.deps.components.cappella.listRuns(after);
        const found = submittedRunAmong(plan, items);
        if (found !== null) {
          this.logger.log(
            `repair ${job.id}: its submission of run ${plan.run_id} did reach Cappella, as ${found}`,
          );
          return { ...again, submittedRunId: found, lastError: null };
        }
        if (next_cursor === null) {
          this.logger.warn(
            `repair ${job.id}: Cappella never received the submission of run ${plan.run_id}; submitting it again`,
          );
          return {
            state: 'PLANNED',
            clearSubmission: true,
            retryInMs: 0,
            lastError: 'the submission never reached Cappella; submitting again',
          };
        }
        after = next_cursor;
      }
    } catch (error) {
      this.logger.warn(
        `cannot search Cappella for repair ${job.id}'s run yet: ${errorMessage(error)}`,
      );
    }
    return after === null || after === job.submissionSearchAfter
      ? again
      : { ...again, submissionSearchAfter: after };
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
}
