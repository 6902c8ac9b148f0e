/**
 * The repair service through the real stack: Kafka and the schema registry, PostgreSQL, and the
 * component simulator, with ingest and the checker producing the findings it repairs.
 * Resubmissions are counted at the simulator, which is what "exactly once" is about.
 */
import { randomUUID } from 'node:crypto';
import { Topics } from '@bridge/contracts';
import { EventPublisher } from '@bridge/messaging';
import { OperatorRepairs, RepairApprovals, RepairWorkerScheduler } from '@bridge/repair';
import type { DataSource } from 'typeorm';
import {
  createDataSource,
  RepairJobStore,
  SyncEventLog,
  type RepairJob,
  type RepairState,
} from '@bridge/store';
import { eventually } from '../../../test/stack-config';
import { startPipeline, type Pipeline } from '../../../test/pipeline-harness';
import {
  cleanUp,
  freePorts,
  spawnService,
  stopAll,
  type ServiceProcess,
} from '../../../test/service-processes';

/** Repair settings for tests: short pauses and confirmation intervals, so repairs finish in seconds. */
const FAST_REPAIRS = {
  REPAIR_INTERVAL_MS: '100',
  REPAIR_CONFIRM_INTERVAL_MS: '200',
  REPAIR_CONFIRM_MAX_INTERVAL_MS: '1000',
};

/**
 * Lets every repair worker of the pipeline run two whole passes: whatever it would do by now it
 * has done, so an assertion that nothing more happened means something.
 */
async function afterRepairPasses(pipeline: Pipeline): Promise<void> {
  await Promise.all(pipeline.repairs.map((app) => app.get(RepairWorkerScheduler).afterPasses(2)));
}

describe('repairs through the real stack', () => {
  let pipeline: Pipeline;
  let jobs: RepairJobStore;
  let log: SyncEventLog;

  beforeAll(async () => {
    pipeline = await startPipeline({
      repair: true,
      env: {
        STRATEGY_MISSING_ENTITY: 'resubmit_run',
        STRATEGY_STALE_CACHE: 'evict_immediately',
        ...FAST_REPAIRS,
        REPAIR_RETRY_INITIAL_MS: '200',
      },
    });
    const app = pipeline.repairs[0];
    jobs = app.get(RepairJobStore);
    log = app.get(SyncEventLog);
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const resubmissionsOf = (runId: string) => resubmissionsIn(pipeline, runId);

  const jobOf = (runId: string, states: RepairState[]) => repairOf(pipeline, jobs, runId, states);

  it('resubmits an idempotent pipeline once, confirms it in Hippo, resolves the finding and announces it', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 3, missing: 1, idempotent: true });
    const job = await jobOf(run.runId, ['DONE', 'FAILED']);
    expect(job).toMatchObject({ state: 'DONE', strategy: 'resubmit_run' });
    expect(resubmissionsOf(run.runId)).toHaveLength(1);
    expect(await log.findById(job.syncEventId)).toMatchObject({
      resolved: true,
      resolvedBy: 'bridge-repair',
    });
    await eventually(
      () =>
        pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === job.syncEventId)
          .length === 1
          ? true
          : undefined,
      20_000,
      'bridge.sync.repaired',
    );
    expect(
      pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === job.syncEventId)[0],
    ).toMatchObject({
      run_id: run.runId,
      resolution: 'resubmitted',
      new_run_id: job.submittedRunId,
    });
  });

  it('waits for approval before resubmitting a non-idempotent pipeline, and leaves a rejected one open', async () => {
    const approved = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
    const rejected = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
    const waiting = await jobOf(approved.runId, ['AWAITING_APPROVAL']);
    const refused = await jobOf(rejected.runId, ['AWAITING_APPROVAL']);
    expect(waiting.plan).toMatchObject({ kind: 'resubmit_run', idempotent: false });
    await afterRepairPasses(pipeline);
    expect(resubmissionsOf(approved.runId)).toHaveLength(0);

    const approvals = pipeline.repairs[0].get(RepairApprovals);
    await approvals.reject(refused.id, { by: 'bob', reason: 'inputs are gone' });
    await approvals.approve(waiting.id, { by: 'alice' });
    await eventually(
      () => (resubmissionsOf(approved.runId).length > 0 ? true : undefined),
      20_000,
      'the approved resubmission',
    );
    // A non-idempotent rerun writes new entities, so the original outputs stay missing: the job
    // waits for confirmation (and would fail at its deadline), but never resubmits again.
    await afterRepairPasses(pipeline);
    expect(resubmissionsOf(approved.runId)).toHaveLength(1);
    expect(await jobs.findById(refused.id)).toMatchObject({ state: 'REJECTED', decidedBy: 'bob' });
    expect((await log.findById(refused.syncEventId))?.resolved).toBe(false);
    expect(resubmissionsOf(rejected.runId)).toHaveLength(0);
  });

  it('resubmits once when Cappella is down during execution and recovers', async () => {
    // A pipeline that needs approval holds the job planned, so the outage surely meets the
    // submission (an idempotent one would be submitted before the outage could start).
    const run = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
    const job = await jobOf(run.runId, ['AWAITING_APPROVAL']);
    // Down until an attempt failed on it, however long the worker takes to get there.
    pipeline.sim.setFaults('cappella', { outage: { status: 503 } });
    try {
      await pipeline.repairs[0].get(RepairApprovals).approve(job.id, { by: 'alice' });
      await eventually(
        async () => ((await jobs.findById(job.id))?.lastError ? true : undefined),
        20_000,
        'an attempt failed on the outage',
      );
      pipeline.sim.clearFaults();
      const executed = await submitted(jobs, job.id);
      expect(executed.submittedRunId).toEqual(expect.any(String));
      expect(executed.attempts).toBeGreaterThan(1);
      await afterRepairPasses(pipeline);
      expect(resubmissionsOf(run.runId)).toHaveLength(1);
    } finally {
      pipeline.sim.clearFaults();
    }
  });

  it('resubmits once when the same mismatch is delivered again to two repair services', async () => {
    await pipeline.startRepair();
    const run = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: true });
    const [mismatch] = await eventually(
      () => {
        const seen = pipeline.seen(Topics.BridgeSyncMismatch, (e) => e.run_id === run.runId);
        return seen.length > 0 ? seen : undefined;
      },
      30_000,
      'the mismatch event',
    );
    const publisher = pipeline.repairs[1].get(EventPublisher);
    for (let copy = 0; copy < 3; copy += 1) {
      await publisher.publish(
        Topics.BridgeSyncMismatch,
        { ...mismatch, event_id: randomUUID() },
        run.runId,
      );
    }
    const job = await jobOf(run.runId, ['DONE', 'FAILED']);
    expect(job.state).toBe('DONE');
    await afterRepairPasses(pipeline);
    expect(resubmissionsOf(run.runId)).toHaveLength(1);
  });

  it('evicts a stale cache at once and settles it when Canon reports the eviction', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2 });
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    const deletion = await pipeline.sim.deleteEntities({ keys: run.outputs, leaveArtifactsFor: 2 });
    const stale = await pipeline.finding(deletion.eventId, ['bridge.sync.stale_cache']);
    const job = await eventually(
      async () => {
        const found = await jobs.findBySyncEventId(stale.id);
        return found?.state === 'DONE' || found?.state === 'FAILED' ? found : undefined;
      },
      30_000,
      'the eviction job to finish',
    );
    expect(job).toMatchObject({ state: 'DONE', plan: { kind: 'evict', mode: 'immediate' } });
    expect((await log.findById(stale.id))?.resolved).toBe(true);
    const truth = pipeline.sim.truth().evictions.filter((e) => e.mode === 'immediate');
    expect(truth.flatMap((e) => e.artifactIds)).toEqual(
      expect.arrayContaining(stale.details.artifact_ids),
    );
    await eventually(
      () =>
        pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === stale.id).length > 0
          ? true
          : undefined,
      20_000,
      'bridge.sync.repaired for the stale cache',
    );
    expect(
      pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === stale.id),
    ).toHaveLength(1);
  });

  it("retries a repair that FAILED on an operator's word: a new job, the failed one kept", async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
    const waiting = await jobOf(run.runId, ['AWAITING_APPROVAL']);
    // Cappella refuses the submission (a 4xx): the repair ends FAILED, nothing was resubmitted.
    pipeline.sim.setFaults('cappella', { outage: { status: 422 } });
    try {
      await pipeline.repairs[0].get(RepairApprovals).approve(waiting.id, { by: 'alice' });
      const failed = await eventually(
        async () => {
          const job = await jobs.findById(waiting.id);
          return job?.state === 'FAILED' ? job : undefined;
        },
        20_000,
        'the refused repair to fail',
      );
      expect(failed.lastError).toMatch(/422/);
    } finally {
      pipeline.sim.clearFaults();
    }
    expect(resubmissionsOf(run.runId)).toHaveLength(0);

    const operator = new OperatorRepairs(jobs, log, { priorityByType: {}, priorityBySource: {} });
    const retry = await operator.retry(waiting.id, 'alice');
    expect(retry).toMatchObject({ retryOf: waiting.id, requestedBy: 'alice', state: 'PENDING' });
    const again = await eventually(
      async () => {
        const job = await jobs.findById(retry.id);
        return job?.state === 'AWAITING_APPROVAL' ? job : undefined;
      },
      20_000,
      'the retry to wait for approval',
    );
    await pipeline.repairs[0].get(RepairApprovals).approve(again.id, { by: 'alice' });
    await submitted(jobs, again.id);
    await afterRepairPasses(pipeline);
    expect(resubmissionsOf(run.runId)).toHaveLength(1);
    expect((await jobs.listBySyncEventId(waiting.syncEventId)).map((job) => job.state)).toEqual([
      'FAILED',
      'EXECUTING',
    ]);
  });

  it('expires an approval nobody gave; approved late, it still resubmits once', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
    const waiting = await jobOf(run.runId, ['AWAITING_APPROVAL']);
    expect(waiting.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    // The wait is a day by default: move its end to now, and the worker expires it.
    await pipeline.pool.query(`UPDATE repair_jobs SET expires_at = now() WHERE id = $1`, [
      waiting.id,
    ]);
    const expired = await eventually(
      async () => {
        const job = await jobs.findById(waiting.id);
        return job?.state === 'EXPIRED' ? job : undefined;
      },
      20_000,
      'the approval to expire',
    );
    expect(expired.finishedAt).not.toBeNull();
    expect(resubmissionsOf(run.runId)).toHaveLength(0);

    await pipeline.repairs[0]
      .get(RepairApprovals)
      .approve(waiting.id, { by: 'bob', reason: 'late, still wanted' });
    const executed = await submitted(jobs, waiting.id);
    expect(executed).toMatchObject({ state: 'EXECUTING', decidedBy: 'bob' });
    await afterRepairPasses(pipeline);
    expect(resubmissionsOf(run.runId)).toHaveLength(1);
  });

  it('looks again after the approval wait: a discrepancy gone meanwhile is healed, nothing resubmitted', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
    const waiting = await jobOf(run.runId, ['AWAITING_APPROVAL']);
    const finding = await log.findById(waiting.syncEventId);
    if (finding?.eventType !== 'bridge.sync.mismatch') throw new Error('expected the mismatch');
    // The missing output reaches Hippo while the repair waits for its approval.
    pipeline.sim.writeEntities(finding.details.missing_entities, run.runId);
    await pipeline.repairs[0].get(RepairApprovals).approve(waiting.id, { by: 'alice' });
    const done = await eventually(
      async () => {
        const job = await jobs.findById(waiting.id);
        return job?.state === 'DONE' ? job : undefined;
      },
      20_000,
      'the job to end without acting',
    );
    expect(done.lastError).toMatch(/^not needed: the finding healed/);
    expect(done.submittedRunId).toBeNull();
    expect(await log.findById(finding.id)).toMatchObject({ state: 'healed', resolvedBy: 'bridge' });
    const [announced] = await eventually(
      () => {
        const seen = pipeline.seen(
          Topics.BridgeSyncRepaired,
          (e) => e.sync_event_id === finding.id,
        );
        return seen.length > 0 ? seen : undefined;
      },
      20_000,
      'the healing announced',
    );
    expect(announced).toMatchObject({ resolution: 'healed', resolved_by: 'bridge' });
    await afterRepairPasses(pipeline);
    expect(resubmissionsOf(run.runId)).toHaveLength(0);
  });
});

/** Resubmissions the simulator received that repeat `runId`. */
function resubmissionsIn(pipeline: Pipeline, runId: string) {
  return pipeline.sim.truth().resubmissions.filter((r) => r.repeatsRunId === runId);
}

/** The repair job of the run's mismatch, once it has reached one of `states`. */
async function repairOf(
  pipeline: Pipeline,
  jobs: RepairJobStore,
  runId: string,
  states: RepairState[],
  timeoutMs = 30_000,
): Promise<RepairJob> {
  return eventually(
    async () => {
      const [finding] = (await pipeline.rows([runId])).filter(
        (row) => row.eventType === 'bridge.sync.mismatch',
      );
      if (!finding) return undefined;
      const job = await jobs.findBySyncEventId(finding.id);
      return job && states.includes(job.state) ? job : undefined;
    },
    timeoutMs,
    `the repair of ${runId} in ${states.join('/')}`,
  );
}

/** The job once Cappella's answer to its submission is recorded (or the job failed). */
function submitted(jobs: RepairJobStore, jobId: string): Promise<RepairJob> {
  return eventually(
    async () => {
      const job = await jobs.findById(jobId);
      return job && (job.submittedRunId !== null || job.state === 'FAILED') ? job : undefined;
    },
    30_000,
    `the submission of repair ${jobId}`,
  );
}

describe('a repair service killed between planning and execution', () => {
  let pipeline: Pipeline;
  let dataSource: DataSource;
  let jobs: RepairJobStore;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    pipeline = await startPipeline({
      env: {
        STRATEGY_MISSING_ENTITY: 'resubmit_run',
        ...FAST_REPAIRS,
        // A dead worker's claims expire quickly, so the next one takes its jobs over.
        REPAIR_LEASE_MS: '2000',
      },
    });
    dataSource = createDataSource(pipeline.config.store);
    await dataSource.initialize();
    jobs = new RepairJobStore(dataSource);
  });

  afterAll(async () => {
    await cleanUp([() => stopAll(services), () => dataSource?.destroy(), () => pipeline?.close()]);
  });

  async function startRepairProcess(env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const [port] = await freePorts(1);
    const service = spawnService(
      'repair',
      port,
      { ...pipeline.env, ...env },
      `repair-${services.length + 1}`,
    );
    services.push(service);
    await service.healthy();
    return service;
  }

  /**
   * Waits until the service has looked at each of these unconfirmed jobs twice more (each look
   * moves its `next_attempt_at`): by then it has had every chance to submit one again.
   */
  async function afterTwoMoreLooks(jobIds: string[]): Promise<void> {
    const looks = new Map<string, Set<number>>(jobIds.map((id) => [id, new Set()]));
    await eventually(
      async () => {
        for (const [id, times] of looks) {
          const job = await jobs.findById(id);
          if (job) times.add(job.nextAttemptAt.getTime());
        }
        return [...looks.values()].every((times) => times.size >= 3) ? true : undefined;
      },
      30_000,
      `two more confirmation looks at ${jobIds.join(', ')}`,
    );
  }

  it('resumes the planned job after a restart and resubmits it once', async () => {
    const first = await startRepairProcess();
    const run = await pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
    const planned = await repairOf(pipeline, jobs, run.runId, ['AWAITING_APPROVAL']);
    await first.kill();
    // Approved while no repair service runs: the job is planned, nothing is submitted yet.
    await new RepairApprovals(jobs).approve(planned.id, { by: 'alice' });
    expect(resubmissionsIn(pipeline, run.runId)).toEqual([]);

    await startRepairProcess();
    const executed = await submitted(jobs, planned.id);
    expect(executed.submittedRunId).toEqual(expect.any(String));
    // The rerun of a non-idempotent pipeline writes new outputs, so the job stays unconfirmed
    // and the restarted service keeps looking at it.
    await afterTwoMoreLooks([planned.id]);
    expect(resubmissionsIn(pipeline, run.runId)).toHaveLength(1);
  });

  it('finds out what became of submissions a killed worker marked as leaving: the lost one sent once, the received one adopted', async () => {
    // Two jobs planned by a running service (the earlier test's, whose consumer is in the group
    // already: a new one would wait out the session of the one that test killed), then approved
    // once no repair service runs.
    if (!services.some((service) => service.running)) await startRepairProcess();
    const runs = await Promise.all(
      [0, 1].map(() => pipeline.sim.completeRun({ outputs: 2, missing: 1, idempotent: false })),
    );
    const [lost, received] = await Promise.all(
      runs.map((run) => repairOf(pipeline, jobs, run.runId, ['AWAITING_APPROVAL'])),
    );
    await stopAll(services);
    const approvals = new RepairApprovals(jobs);
    for (const job of [lost, received]) await approvals.approve(job.id, { by: 'alice' });

    // The worker that dies: both jobs marked as leaving; only the second request reaches
    // Cappella, and its answer is never read.
    const claimed = await jobs.claimForExecution({ holder: 'dying', leaseMs: 1_000, limit: 10 });
    expect(claimed.map((job) => job.id).sort()).toEqual([lost.id, received.id].sort());
    for (const job of claimed) expect(await jobs.markSubmissionSent(job.id, 'dying')).toBe(true);
    const plan = claimed.find((job) => job.id === received.id)?.plan;
    if (plan?.kind !== 'resubmit_run') throw new Error('expected a resubmission plan');
    const answer = await fetch(`${pipeline.env.CAPPELLA_URL}/cappella/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline_id: plan.pipeline_id, inputs: plan.inputs }),
      signal: AbortSignal.timeout(10_000),
    });
    const { run_id: createdRunId } = (await answer.json()) as { run_id: string };

    await startRepairProcess({ REPAIR_SUBMISSION_SEARCH_DELAY_MS: '1000' });
    expect((await submitted(jobs, received.id)).submittedRunId).toBe(createdRunId);
    const resent = await submitted(jobs, lost.id);
    expect(resent.submittedRunId).toEqual(expect.any(String));
    expect(resent.submittedRunId).not.toBe(createdRunId);
    // The reruns of a non-idempotent pipeline write new outputs, so both jobs stay unconfirmed.
    await afterTwoMoreLooks([lost.id, received.id]);
    expect(resubmissionsIn(pipeline, runs[0].runId)).toHaveLength(1);
    expect(resubmissionsIn(pipeline, runs[1].runId)).toHaveLength(1);
  });
});

describe('a stale cache evicted on Canon’s next sweep', () => {
  let pipeline: Pipeline;
  let jobs: RepairJobStore;

  beforeAll(async () => {
    pipeline = await startPipeline({
      repair: true,
      env: {
        STRATEGY_STALE_CACHE: 'evict_on_next_sweep',
        ...FAST_REPAIRS,
      },
    });
    jobs = pipeline.repairs[0].get(RepairJobStore);
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('asks Canon to evict on its next sweep, and closes the repair once the sweep reports it', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2 });
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    const deletion = await pipeline.sim.deleteEntities({ keys: run.outputs, leaveArtifactsFor: 2 });
    const stale = await pipeline.finding(deletion.eventId, ['bridge.sync.stale_cache']);
    const requested = await eventually(
      async () => {
        const job = await jobs.findBySyncEventId(stale.id);
        return job?.plan?.kind === 'evict' &&
          job.plan.artifacts.every((item) => item.state === 'requested')
          ? job
          : undefined;
      },
      30_000,
      'the evictions to be requested',
    );
    expect(requested).toMatchObject({ state: 'EXECUTING', plan: { mode: 'next_sweep' } });
    // Until Canon sweeps, the artifacts are still there and the finding stays open.
    await afterRepairPasses(pipeline);
    expect((await jobs.findById(requested.id))?.state).toBe('EXECUTING');
    expect((await pipeline.rows([deletion.eventId]))[0]?.resolved).toBe(false);

    const swept = await pipeline.sim.sweepCanon();
    expect(swept).toEqual(expect.arrayContaining(stale.details.artifact_ids));
    const done = await eventually(
      async () => {
        const job = await jobs.findById(requested.id);
        return job?.state === 'DONE' || job?.state === 'FAILED' ? job : undefined;
      },
      30_000,
      'the repair to close',
    );
    expect(done.state).toBe('DONE');
    await eventually(
      () =>
        pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === stale.id).length > 0
          ? true
          : undefined,
      20_000,
      'bridge.sync.repaired',
    );
    await afterRepairPasses(pipeline);
    expect(
      pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === stale.id),
    ).toHaveLength(1);
  });
});
