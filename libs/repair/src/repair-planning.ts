/**
 * Step 1 of a repair: plan PENDING jobs. A resubmission reads the run and its pipeline from
 * Cappella (one read per pipeline for the batch); the plan is stored, and a pipeline not known
 * to be idempotent makes the job wait for an operator's approval, until the approval timeout
 * makes it EXPIRED. The rules are `planRepair`'s.
 */
import type { RepairConfig } from '@bridge/config';
import type { Pipeline } from '@bridge/components';
import type {
  RepairJob,
  RepairJobChange,
  RepairJobStore,
  SyncEvent,
  SyncEventLog,
} from '@bridge/store';
import { isRepairable, planRepair, type ResubmitFacts } from './repair-decisions';
import { stepFailureOf, type RepairJobSteps } from './repair-job-steps';
import type { RepairComponents } from './repair-components';

export class RepairPlanning {
  constructor(
    private readonly deps: {
      jobs: RepairJobStore;
      log: SyncEventLog;
      components: RepairComponents;
      settings: RepairConfig;
    },
    private readonly jobs: RepairJobSteps,
  ) {}

  async planDue(): Promise<number> {
    const jobs = await this.deps.jobs.claimForPlanning(this.jobs.claim);
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
    await this.jobs.recordAll(outcomes);
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
        return this.jobs.afterFailure(job, job.attempts + 1, stepFailureOf(error, 'repeatable'), {
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
}
