import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { RepairConfig } from '@bridge/config';
import type { Artifact, CappellaRun, Pipeline } from '@bridge/components';
import { entityKeyId, Topics, type EntityKey } from '@bridge/contracts';
import {
  ComponentRequestError,
  ComponentUnavailableError,
  StateConflictError,
} from '@bridge/errors';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import {
  RepairJobStore,
  StoreTransactions,
  SyncEventLog,
  type RepairJob,
  type SyncEvent,
  FindingOperatorActions,
} from '@bridge/store';
import {
  sampleMismatchFinding,
  sampleStaleCacheFinding,
  openEmbeddedStore,
} from '@bridge/store/testing';
import type { ComponentReader } from '@bridge/checks';
import { RepairApprovals } from './repair-approvals';
import { repairJobFor } from './repair-decisions';
import { RepairWorker, type RepairComponents } from './repair-worker';

const SETTINGS: RepairConfig = {
  batchSize: 50,
  intervalMs: 10,
  leaseMs: 60_000,
  maxAttempts: 3,
  retryInitialMs: 1,
  retryMaxMs: 5,
  confirmIntervalMs: 1,
  confirmMaxIntervalMs: 1,
  confirmDeadlineMs: 60_000,
  submissionSearchDelayMs: 60_000,
  approvalTimeoutMs: 60_000,
  priorityByType: {},
  priorityBySource: {},
};

const sample = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

/** Cappella, Hippo and Canon as the repair sees them, in memory, counting what was asked. */
class FakeComponents implements RepairComponents {
  readonly runs = new Map<string, CappellaRun>();
  readonly pipelines = new Map<string, Pipeline>();
  readonly present = new Set<string>();
  readonly artifacts = new Map<string, Artifact>();
  readonly submissions: Array<{ pipelineId: string; inputs: Record<string, unknown> }> = [];
  /** Thrown, in order, by the next submissions instead of accepting them. */
  readonly submitFailures: Error[] = [];
  /** Accepted but answered with this error (the run starts, the caller does not learn it). */
  readonly submitLostAnswers: Error[] = [];
  readonly evictCalls: string[][] = [];
  readonly unevictable = new Set<string>();
  /** Runs per page of Cappella's listing. */
  pageSize = 100;
  /** Pages of Cappella's listing read. */
  listedPages = 0;

  readonly cappella: RepairComponents['cappella'] = {
    getRun: (runId) => Promise.resolve(this.runs.get(runId) ?? null),
    getPipeline: (pipelineId) => Promise.resolve(this.pipelines.get(pipelineId) ?? null),
    submitRun: async (pipelineId, inputs, options = {}) => {
      await options.beforeSend?.(); // as the HTTP client does before the request leaves
      const failure = this.submitFailures.shift();
      if (failure) throw failure;
      this.submissions.push({ pipelineId, inputs });
      const runId = `resubmitted-${this.submissions.length}`;
      this.runs.set(runId, {
        run_id: runId,
        pipeline_id: pipelineId,
        status: 'RUNNING',
        inputs: structuredClone(inputs),
        outputs: [],
        updated_at: new Date().toISOString(),
      });
      const lost = this.submitLostAnswers.shift();
      if (lost) throw lost;
      return { run_id: runId };
    },
    // In the order runs were added; the cursor is the position after the page.
    listRuns: (after, limit) => {
      this.listedPages += 1;
      const start = after ? Number(after) : 0;
      const end = start + (limit ?? this.pageSize);
      const all = [...this.runs.values()];
      return Promise.resolve({
        items: all.slice(start, end),
        next_cursor: end < all.length ? String(end) : null,
      });
    },
  };

  readonly hippo: RepairComponents['hippo'] = {
    lookup: (keys) =>
      Promise.resolve(
        keys.map((key) => ({
          ...key,
          exists: this.present.has(entityKeyId(key)),
          available: this.present.has(entityKeyId(key)),
          provenance: null,
        })),
      ),
  };

  readonly canon: RepairComponents['canon'] = {
    evict: (ids) => {
      this.evictCalls.push([...ids]);
      const refused = ids.filter((id) => this.unevictable.has(id));
      if (refused.length > 0) {
        return Promise.reject(
          new ComponentRequestError('canon', 422, `cannot evict ${refused.join(', ')}`),
        );
      }
      for (const id of ids) this.artifacts.delete(id);
      return Promise.resolve(ids.length);
    },
    artifactsFor: (keys) => {
      const wanted = new Set(keys.map(entityKeyId));
      return Promise.resolve(
        [...this.artifacts.values()].filter((a) => wanted.has(entityKeyId(a))),
      );
    },
  };

  /** The same state as the checks read it (what the worker looks at again before acting). */
  readonly reader: ComponentReader = {
    runOutputs: (runId) => Promise.resolve(this.runs.get(runId)?.outputs ?? null),
    existingEntities: (keys) =>
      Promise.resolve(new Set(keys.map(entityKeyId).filter((id) => this.present.has(id)))),
    unavailableEntities: (keys) =>
      Promise.resolve(new Set(keys.map(entityKeyId).filter((id) => !this.present.has(id)))),
    artifactsFor: (keys) => this.canon.artifactsFor(keys),
  };

  /** A run of `pipelineId` whose last output is missing from Hippo. */
  addRun(runId: string, idempotent: boolean): EntityKey[] {
    const pipelineId = idempotent ? 'align-reads' : 'legacy-import';
    this.pipelines.set(pipelineId, { pipeline_id: pipelineId, idempotent });
    const outputs = [sample(`${runId}-1`), sample(`${runId}-2`)];
    this.runs.set(runId, {
      run_id: runId,
      pipeline_id: pipelineId,
      status: 'COMPLETED',
      inputs: { reads: `${runId}.fastq` },
      outputs,
      updated_at: new Date().toISOString(),
    });
    this.present.add(entityKeyId(outputs[0]));
    return [outputs[1]];
  }
}

describe('RepairWorker (in-memory components, embedded PGlite)', () => {
  let dataSource: DataSource;
  let log: SyncEventLog;
  let jobs: RepairJobStore;
  let components: FakeComponents;
  let publisher: RecordingEventPublisher;
  let worker: RepairWorker;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
    log = new SyncEventLog(dataSource);
    jobs = new RepairJobStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const newWorker = (holder: string, settings: RepairConfig = SETTINGS) =>
    new RepairWorker({
      jobs,
      log,
      transactions: new StoreTransactions(dataSource),
      components,
      reader: components.reader,
      publisher,
      settings,
      holder,
    });

  beforeEach(() => {
    components = new FakeComponents();
    publisher = new RecordingEventPublisher();
    worker = newWorker(`worker-${randomUUID()}`);
  });

  /** Records a mismatch of `runId` and gives it its job, as the repair consumer does. */
  async function mismatchWithJob(
    runId: string,
    missing: EntityKey[],
  ): Promise<{ finding: SyncEvent; job: RepairJob }> {
    const { event: finding } = await log.record(
      sampleMismatchFinding(runId, { repairStrategy: 'resubmit_run', missing, publishes: true }),
    );
    const entry = repairJobFor(finding, SETTINGS);
    if (!entry) throw new Error('expected a repair job');
    const [job] = await jobs.create([entry]);
    return { finding, job };
  }

  /** Passes until nothing is left to do now (bounded, so a bug cannot spin forever). */
  async function settle(...workers: RepairWorker[]): Promise<void> {
    for (let round = 0; round < 20; round += 1) {
      const done = await Promise.all(
        (workers.length > 0 ? workers : [worker]).map((w) => w.pass()),
      );
      if (done.every((summary) => summary.total === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('resubmits an idempotent run once, waits for Hippo, then resolves the finding and announces it once', async () => {
    const missing = components.addRun('run-idem', true);
    const { finding, job } = await mismatchWithJob('run-idem', missing);

    await settle();
    expect(components.submissions).toEqual([
      { pipelineId: 'align-reads', inputs: { reads: 'run-idem.fastq' } },
    ]);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'EXECUTING',
      submittedRunId: 'resubmitted-1',
      plan: { kind: 'resubmit_run', run_id: 'run-idem', expected_entities: missing },
    });
    expect((await log.findById(finding.id))?.resolved).toBe(false);

    components.present.add(entityKeyId(missing[0]));
    await settle();
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'DONE', lastError: null });
    expect(await log.findById(finding.id)).toMatchObject({
      resolved: true,
      resolvedBy: 'bridge-repair',
    });
    expect(publisher.on(Topics.BridgeSyncRepaired)).toEqual([
      expect.objectContaining({
        sync_event_id: finding.id,
        run_id: 'run-idem',
        resolution: 'resubmitted',
        new_run_id: 'resubmitted-1',
      }),
    ]);
    await settle();
    expect(components.submissions).toHaveLength(1);
    expect(publisher.on(Topics.BridgeSyncRepaired)).toHaveLength(1);
  });

  it('holds a non-idempotent resubmission until an operator approves it, and records who did', async () => {
    const missing = components.addRun('run-manual', false);
    const { job } = await mismatchWithJob('run-manual', missing);
    await settle();
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'AWAITING_APPROVAL' });
    expect(components.submissions).toEqual([]);

    const approvals = new RepairApprovals(jobs);
    await expect(
      approvals.approve(job.id, { by: 'alice', reason: 'checked the inputs' }),
    ).resolves.toMatchObject({
      state: 'PLANNED',
      decidedBy: 'alice',
      decisionReason: 'checked the inputs',
    });
    await expect(approvals.reject(job.id, { by: 'bob' })).rejects.toBeInstanceOf(
      StateConflictError,
    );
    await settle();
    expect(components.submissions).toHaveLength(1);
  });

  it('leaves a rejected repair REJECTED and its finding open', async () => {
    const missing = components.addRun('run-no', false);
    const { finding, job } = await mismatchWithJob('run-no', missing);
    await settle();
    await new RepairApprovals(jobs).reject(job.id, { by: 'bob', reason: 'not now' });
    await settle();
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'REJECTED', decidedBy: 'bob' });
    expect((await log.findById(finding.id))?.resolved).toBe(false);
    expect(components.submissions).toEqual([]);
  });

  it('tries a submission Cappella certainly did not take again later, and submits once in all', async () => {
    const missing = components.addRun('run-503', true);
    const { job } = await mismatchWithJob('run-503', missing);
    components.submitFailures.push(
      new ComponentUnavailableError('cappella', 'HTTP 503', { unprocessed: true }),
    );
    // Planned in one pass, executed in the next: there Cappella answers 503.
    for (let pass = 0; pass < 5 && !(await jobs.findById(job.id))?.lastError; pass += 1) {
      await worker.pass();
    }
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'PLANNED',
      lastError: 'cappella: HTTP 503',
      submissionStartedAt: null,
    });
    await settle();
    expect(components.submissions).toHaveLength(1);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'EXECUTING',
      submittedRunId: 'resubmitted-1',
    });
  });

  it('never submits again after an answer that leaves the outcome open; Hippo decides', async () => {
    const missing = components.addRun('run-timeout', true);
    const { job } = await mismatchWithJob('run-timeout', missing);
    components.submitLostAnswers.push(
      new ComponentUnavailableError('cappella', 'no answer within 5000 ms'),
    );
    await settle();
    expect(components.submissions).toHaveLength(1);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'EXECUTING',
      submittedRunId: null,
      lastError: expect.stringMatching(/^submission outcome unknown/),
    });
    components.present.add(entityKeyId(missing[0]));
    await settle();
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'DONE' });
    expect(components.submissions).toHaveLength(1);
  });

  it('submits, once, a job whose worker was killed after claiming it but before sending it', async () => {
    const missing = components.addRun('run-unsent', true);
    const { job } = await mismatchWithJob('run-unsent', missing);
    await settle(); // planned, and submitted
    expect(components.submissions).toHaveLength(1);

    // A second job of another run: claimed for execution by a worker that dies at once.
    const unsentMissing = components.addRun('run-claimed', true);
    const claimed = await mismatchWithJob('run-claimed', unsentMissing);
    await worker.planDue();
    const [taken] = await jobs.claimForExecution({ holder: 'killed', leaseMs: 1, limit: 10 });
    expect(taken).toMatchObject({
      id: claimed.job.id,
      state: 'EXECUTING',
      submissionStartedAt: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 5)); // its lease runs out

    await settle();
    expect(components.submissions.map((s) => s.inputs.reads)).toEqual([
      'run-unsent.fastq',
      'run-claimed.fastq',
    ]);
    expect(await jobs.findById(claimed.job.id)).toMatchObject({
      state: 'EXECUTING',
      submittedRunId: 'resubmitted-2',
    });
    expect((await jobs.findById(claimed.job.id))?.submissionStartedAt).toBeInstanceOf(Date);
    expect(await jobs.findById(job.id)).toMatchObject({ submittedRunId: 'resubmitted-1' });
  });

  /** A worker that looks for submissions with an unknown outcome at once. */
  const searchingWorker = (holder: string) =>
    newWorker(holder, { ...SETTINGS, submissionSearchDelayMs: 0 });

  /** A job planned, then taken by a worker that marks its submission sent and dies. */
  async function killedAsItLeft(runId: string): Promise<{ job: RepairJob; missing: EntityKey[] }> {
    const missing = components.addRun(runId, true);
    const { job } = await mismatchWithJob(runId, missing);
    await worker.planDue();
    await jobs.claimForExecution({ holder: 'killed', leaseMs: 300, limit: 10 });
    expect(await jobs.markSubmissionSent(job.id, 'killed')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 350)); // its lease runs out
    return { job, missing };
  }

  /**
   * The job holds the run of Cappella's one submission; once Hippo shows the missing output it
   * is DONE, and nothing was submitted again.
   */
  async function confirmsTheOneSubmission(
    job: RepairJob,
    missing: EntityKey[],
    searching: RepairWorker,
  ): Promise<void> {
    expect(components.submissions).toHaveLength(1);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'EXECUTING',
      submittedRunId: 'resubmitted-1',
    });
    components.present.add(entityKeyId(missing[0]));
    await settle(searching);
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'DONE' });
    expect(components.submissions).toHaveLength(1);
  }

  it('submits again, once, a resubmission whose worker died as it left and that Cappella never got', async () => {
    const { job, missing } = await killedAsItLeft('run-never-sent');
    await settle(); // before the search delay: it waits for Hippo, sending nothing
    expect(components.submissions).toHaveLength(0);
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'EXECUTING', submittedRunId: null });

    const searching = searchingWorker('searching');
    await settle(searching);
    await confirmsTheOneSubmission(job, missing, searching);
  });

  it('adopts the run a submission with a lost answer created, and never sends it again', async () => {
    const missing = components.addRun('run-answer-lost', true);
    const { job } = await mismatchWithJob('run-answer-lost', missing);
    components.submitLostAnswers.push(
      new ComponentUnavailableError('cappella', 'no answer within 5000 ms'),
    );
    const searching = searchingWorker('searching');
    await settle(searching);
    expect(await jobs.findById(job.id)).toMatchObject({ lastError: null });
    await confirmsTheOneSubmission(job, missing, searching);
  });

  it('searches a long listing a bounded number of pages per pass, going on where it stopped', async () => {
    for (let n = 0; n < 30; n += 1) components.addRun(`run-earlier-${n}`, true);
    components.pageSize = 1;
    const { job } = await killedAsItLeft('run-long-listing');
    const searching = searchingWorker('searching');
    await searching.pass();
    const partway = await jobs.findById(job.id);
    expect(partway).toMatchObject({ state: 'EXECUTING', submittedRunId: null });
    expect(Number(partway?.submissionSearchAfter)).toBeGreaterThan(0);
    expect(components.listedPages).toBeLessThan(31);

    await settle(searching);
    expect(components.submissions).toHaveLength(1);
    expect(await jobs.findById(job.id)).toMatchObject({ submittedRunId: 'resubmitted-1' });
    expect(components.listedPages).toBeLessThan(31 + 5); // read on, not again from the start
  });

  it('sends nothing for a job whose lease was lost before its submission left', async () => {
    const missing = components.addRun('run-lost-lease', true);
    const { job } = await mismatchWithJob('run-lost-lease', missing);
    await worker.planDue();
    await jobs.claimForExecution({ holder: 'other', leaseMs: 60_000, limit: 10 });
    expect(await jobs.markSubmissionSent(job.id, 'not-the-holder')).toBe(false);
    expect(await jobs.markSubmissionSent(job.id, 'other')).toBe(true);
    expect(await jobs.markSubmissionSent(job.id, 'other')).toBe(false); // sent once only
    expect(components.submissions).toHaveLength(0);
  });

  it('ends a repair FAILED when Cappella refuses the submission, and after the deadline when Hippo never agrees', async () => {
    const refusedMissing = components.addRun('run-refused', true);
    const refused = await mismatchWithJob('run-refused', refusedMissing);
    components.submitFailures.push(new ComponentRequestError('cappella', 400, 'bad inputs'));
    await settle();
    expect(await jobs.findById(refused.job.id)).toMatchObject({
      state: 'FAILED',
      lastError: 'cappella: HTTP 400: bad inputs',
    });

    const lateMissing = components.addRun('run-late', true);
    const late = await mismatchWithJob('run-late', lateMissing);
    const hurried = newWorker('hurried', { ...SETTINGS, confirmDeadlineMs: 1 });
    await settle(hurried);
    expect(await jobs.findById(late.job.id)).toMatchObject({
      state: 'FAILED',
      lastError: expect.stringMatching(/^not confirmed in time: the outputs of run run-late/),
    });
    expect((await log.findById(late.finding.id))?.resolved).toBe(false);
  });

  it('resubmits once with two workers taking jobs at the same time', async () => {
    const runIds = Array.from({ length: 12 }, (_, n) => `run-pair-${n}`);
    for (const runId of runIds) await mismatchWithJob(runId, components.addRun(runId, true));
    await settle(worker, newWorker('second'));
    expect(components.submissions.map((s) => s.inputs.reads).sort()).toEqual(
      runIds.map((runId) => `${runId}.fastq`).sort(),
    );
  });

  it('starts a later repair of the same run only once the earlier one is finished, and then only if still needed', async () => {
    const missing = components.addRun('run-twice', true);
    const first = await mismatchWithJob('run-twice', missing);
    const { event: secondFinding } = await log.record(
      sampleMismatchFinding('run-twice', {
        dedupeKey: `scan:run-twice`,
        repairStrategy: 'resubmit_run',
        missing,
      }),
    );
    const entry = repairJobFor(secondFinding, SETTINGS);
    if (!entry) throw new Error('expected a repair job');
    const [second] = await jobs.create([entry]);
    await settle();
    expect(components.submissions).toHaveLength(1);
    expect(await jobs.findById(second.id)).toMatchObject({ state: 'PLANNED' });

    components.present.add(entityKeyId(missing[0]));
    await settle();
    expect(await jobs.findById(first.job.id)).toMatchObject({ state: 'DONE' });
    // Then the second repair looks again before acting: the first one wrote the outputs, so it
    // resubmits nothing and its finding closes as healed.
    expect(components.submissions).toHaveLength(1);
    expect(await jobs.findById(second.id)).toMatchObject({
      state: 'DONE',
      lastError: expect.stringMatching(/^not needed: the finding healed/),
    });
    expect(await log.findById(secondFinding.id)).toMatchObject({
      state: 'healed',
      resolvedBy: 'bridge',
    });
  });

  it('evicts a stale cache, isolating the artifact Canon refuses, and fails the job naming it', async () => {
    const entities = [sample('gone-1'), sample('gone-2'), sample('gone-3')];
    for (const [n, key] of entities.entries()) {
      components.artifacts.set(`art-${n}`, { artifact_id: `art-${n}`, ...key });
    }
    components.unevictable.add('art-1');
    const { event: finding } = await log.record(
      sampleStaleCacheFinding({
        artifactIds: ['art-0', 'art-1', 'art-2'],
        entities,
        repairStrategy: 'evict_immediately',
      }),
    );
    const entry = repairJobFor(finding, SETTINGS);
    if (!entry) throw new Error('expected a repair job');
    const [job] = await jobs.create([entry]);
    await settle();
    expect(components.evictCalls).toEqual([
      ['art-0', 'art-1', 'art-2'],
      ['art-0'],
      ['art-1'],
      ['art-2'],
    ]);
    expect([...components.artifacts.keys()]).toEqual(['art-1']);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'FAILED',
      lastError: 'Canon refused to evict art-1 (canon: HTTP 422: cannot evict art-1)',
    });
  });

  it('evicts nothing for a stale cache whose artifacts Canon had already dropped: the finding healed, announced once', async () => {
    const entities = [sample('early-1')];
    const { event: finding } = await log.record(
      sampleStaleCacheFinding({
        artifactIds: ['early-art'],
        entities,
        repairStrategy: 'evict_on_next_sweep',
      }),
    );
    const entry = repairJobFor(finding, SETTINGS);
    if (!entry) throw new Error('expected a repair job');
    const [job] = await jobs.create([entry]);
    await settle();
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'DONE' });
    expect(components.evictCalls).toEqual([]);
    expect(await log.findById(finding.id)).toMatchObject({
      state: 'healed',
      resolvedBy: 'bridge',
      resolutionNote: 'Canon no longer holds the stale artifact',
    });
    expect(publisher.on(Topics.BridgeSyncRepaired)).toEqual([
      expect.objectContaining({ sync_event_id: finding.id, resolution: 'healed' }),
    ]);
  });

  it('lets an approval wait expire, and still acts once an operator approves the expired job', async () => {
    const missing = components.addRun('run-expiring', false);
    const { job } = await mismatchWithJob('run-expiring', missing);
    const impatient = newWorker('impatient', { ...SETTINGS, approvalTimeoutMs: 1 });
    await settle(impatient);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await settle(impatient);
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'EXPIRED' });
    expect(components.submissions).toEqual([]);

    await new RepairApprovals(jobs).approve(job.id, { by: 'carol', reason: 'late, but yes' });
    await settle(impatient);
    expect(components.submissions).toHaveLength(1);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'EXECUTING',
      decidedBy: 'carol',
      expiresAt: null,
    });
  });

  it('sends a planned resubmission back to approval when its pipeline stopped being idempotent', async () => {
    const missing = components.addRun('run-turned', true);
    const { job } = await mismatchWithJob('run-turned', missing);
    await worker.planDue();
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'PLANNED' });
    components.pipelines.set('align-reads', { pipeline_id: 'align-reads', idempotent: false });
    await settle();
    expect(components.submissions).toEqual([]);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'AWAITING_APPROVAL',
      plan: { idempotent: false },
      lastError:
        'pipeline align-reads is no longer idempotent: an operator must approve the resubmission',
      expiresAt: expect.any(Date),
    });
  });

  it('acts on nothing when the finding was resolved by hand while its repair waited', async () => {
    const missing = components.addRun('run-by-hand', false);
    const { finding, job } = await mismatchWithJob('run-by-hand', missing);
    await settle();
    await new RepairApprovals(jobs).approve(job.id, { by: 'dave' });
    await new FindingOperatorActions(dataSource).resolveByOperator(
      finding.id,
      'erin',
      'fixed in Hippo by hand',
    );
    await settle();
    expect(components.submissions).toEqual([]);
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'DONE',
      lastError: 'not needed: the finding was resolved by erin before the repair acted',
    });
  });

  it('keeps every job of a finding, retries one that failed, and never runs two at once', async () => {
    const missing = components.addRun('run-retried', true);
    const { finding, job } = await mismatchWithJob('run-retried', missing);
    components.submitFailures.push(new ComponentRequestError('cappella', 400, 'bad inputs'));
    await settle();
    expect(await jobs.findById(job.id)).toMatchObject({ state: 'FAILED' });

    const retry = { ...repairJobFor(finding, SETTINGS)!, retryOf: job.id, requestedBy: 'frank' };
    const [second] = await jobs.createAnother([retry]);
    expect(second).toMatchObject({ retryOf: job.id, requestedBy: 'frank', state: 'PENDING' });
    // One active job per finding: another retry now creates nothing, nor does a redelivery.
    await expect(jobs.createAnother([retry])).resolves.toEqual([]);
    await expect(jobs.create([retry])).resolves.toEqual([]);
    expect(await jobs.findBySyncEventId(finding.id)).toMatchObject({ id: second.id });

    await settle();
    expect(components.submissions).toHaveLength(1);
    components.present.add(entityKeyId(missing[0]));
    await settle();
    expect(await jobs.findById(second.id)).toMatchObject({ state: 'DONE' });
    expect((await jobs.listBySyncEventId(finding.id)).map((j) => j.state)).toEqual([
      'FAILED',
      'DONE',
    ]);
    expect(await log.findById(finding.id)).toMatchObject({ state: 'resolved' });
  });

  it('gives a finding one job however often it is delivered', async () => {
    const missing = components.addRun('run-dup', true);
    const { finding } = await mismatchWithJob('run-dup', missing);
    const entry = repairJobFor(finding, SETTINGS);
    if (!entry) throw new Error('expected a repair job');
    await expect(jobs.create([entry, entry])).resolves.toEqual([]);
    const all = await jobs.list();
    expect(all.filter((j) => j.syncEventId === finding.id)).toHaveLength(1);
  });
});
