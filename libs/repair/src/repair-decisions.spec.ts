import { randomUUID } from 'node:crypto';
import { Topics, validateEvent, type EntityKey } from '@bridge/contracts';
import type { CappellaRun } from '@bridge/components';
import type { EvictPlan, RepairJob, SyncEventOf } from '@bridge/store';
import {
  confirmRepair,
  evictionRequested,
  nextConfirmationInMs,
  operatorRepairJobFor,
  operatorResolutionEvent,
  planRepair,
  repairedEventFor,
  repairJobFor,
  retryAfterFailure,
  revalidatePlan,
  subjectKeysOf,
  submissionSearchDue,
  submittedRunAmong,
} from './repair-decisions';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const sample = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });
const WEIGHTS = { priorityByType: {}, priorityBySource: {} };

const context = {
  check_type: 'post_run' as const,
  pipeline_id: 'align-reads',
  source_event_id: randomUUID(),
  triggered_at: T0,
  attempts: 2,
};

const common = {
  source: 'cappella',
  actor: 'pipeline-bot',
  state: 'open' as const,
  resolved: false,
  resolvedAt: null,
  resolvedBy: null,
  resolutionNote: null,
  createdAt: new Date(T0),
  outboundEventId: randomUUID(),
  publishedAt: new Date(T0),
  recheckCount: 0,
  nextRecheckAt: null,
  lastCheckedAt: null,
  snoozedUntil: null,
  snoozedBy: null,
  snoozeReason: null,
};

function mismatch(
  runId: string,
  overrides: Partial<SyncEventOf<'bridge.sync.mismatch'>> = {},
): SyncEventOf<'bridge.sync.mismatch'> {
  return {
    ...common,
    id: randomUUID(),
    sourceId: runId,
    dedupeKey: `post_run:${runId}`,
    eventType: 'bridge.sync.mismatch',
    mismatchType: 'missing_entity',
    repairStrategy: 'resubmit_run',
    details: {
      ...context,
      run_id: runId,
      checked_count: 3,
      missing_entities: [sample(`${runId}-3`)],
    },
    ...overrides,
  };
}

function staleCache(
  overrides: Partial<SyncEventOf<'bridge.sync.stale_cache'>> = {},
): SyncEventOf<'bridge.sync.stale_cache'> {
  const eventId = randomUUID();
  return {
    ...common,
    id: randomUUID(),
    source: 'hippo',
    sourceId: eventId,
    dedupeKey: `canon_staleness:${eventId}`,
    eventType: 'bridge.sync.stale_cache',
    mismatchType: 'stale_cache',
    repairStrategy: 'evict_immediately',
    details: {
      ...context,
      check_type: 'canon_staleness',
      run_id: null,
      pipeline_id: null,
      change: 'DELETED',
      artifact_ids: ['a-1', 'a-2', 'a-3'],
      entities: [sample('S-1'), sample('S-2')],
    },
    ...overrides,
  };
}

function run(runId: string, outputs: EntityKey[] = [sample(`${runId}-1`)]): CappellaRun {
  return {
    run_id: runId,
    pipeline_id: 'align-reads',
    status: 'COMPLETED',
    inputs: { reads: `${runId}.fastq` },
    outputs,
    updated_at: new Date(T0).toISOString(),
  };
}

describe('which findings get a repair job', () => {
  it('gives a resubmittable mismatch one job on its run, weighted by type and source', () => {
    const finding = mismatch('r1');
    expect(
      repairJobFor(finding, {
        priorityByType: { missing_entity: 5, partial_output: 9 },
        priorityBySource: { cappella: 2 },
      }),
    ).toEqual({
      syncEventId: finding.id,
      mismatchType: 'missing_entity',
      strategy: 'resubmit_run',
      priority: 7,
      subjectKeys: ['run:r1'],
      findingCreatedAt: new Date(T0),
    });
  });

  it('gives none to an alert_only finding, a resolved one, or an ok', () => {
    expect(repairJobFor(mismatch('r2', { repairStrategy: 'alert_only' }), WEIGHTS)).toBeNull();
    expect(repairJobFor(mismatch('r3', { state: 'resolved', resolved: true }), WEIGHTS)).toBeNull();
    expect(
      repairJobFor(
        {
          ...common,
          id: randomUUID(),
          sourceId: 'r4',
          dedupeKey: 'post_run:r4',
          state: 'record',
          eventType: 'bridge.sync.ok',
          mismatchType: null,
          repairStrategy: null,
          details: { ...context, run_id: 'r4', checked_count: 1 },
        },
        WEIGHTS,
      ),
    ).toBeNull();
  });

  it('makes a stale cache wait on every entity it names', () => {
    const keys = subjectKeysOf(staleCache());
    expect(keys).toHaveLength(2);
    expect(keys.every((key) => key.startsWith('entity:'))).toBe(true);
    expect(new Set(keys).size).toBe(2);
  });
});

describe('planning a repair', () => {
  it('resubmits the original pipeline and inputs of an idempotent pipeline at once', () => {
    const finding = mismatch('r1');
    expect(
      planRepair(finding, 'resubmit_run', {
        run: run('r1'),
        pipeline: { pipeline_id: 'align-reads', idempotent: true },
      }),
    ).toEqual({
      kind: 'planned',
      next: 'PLANNED',
      plan: {
        kind: 'resubmit_run',
        run_id: 'r1',
        pipeline_id: 'align-reads',
        inputs: { reads: 'r1.fastq' },
        idempotent: true,
        expected_entities: [sample('r1-3')],
      },
    });
  });

  it('holds the resubmission of a non-idempotent pipeline for approval', () => {
    const decision = planRepair(mismatch('r5'), 'resubmit_run', {
      run: run('r5'),
      pipeline: { pipeline_id: 'align-reads', idempotent: false },
    });
    expect(decision).toMatchObject({ kind: 'planned', next: 'AWAITING_APPROVAL' });
  });

  it('expects the run outputs when the finding names no missing entity', () => {
    const finding = mismatch('r6', { mismatchType: 'partial_output' });
    finding.details.missing_entities = [];
    const decision = planRepair(finding, 'resubmit_run', {
      run: run('r6', [sample('p-1'), sample('p-2')]),
      pipeline: { pipeline_id: 'align-reads', idempotent: true },
    });
    expect(decision.kind === 'planned' && decision.plan).toMatchObject({
      expected_entities: [sample('p-1'), sample('p-2')],
    });
  });

  it('fails a resubmission whose run or pipeline Cappella does not know', () => {
    expect(planRepair(mismatch('r7'), 'resubmit_run', { run: null, pipeline: null })).toEqual({
      kind: 'failed',
      reason: 'Cappella does not know run r7',
    });
    expect(planRepair(mismatch('r8'), 'resubmit_run', { run: run('r8'), pipeline: null })).toEqual({
      kind: 'failed',
      reason: 'Cappella does not know pipeline align-reads',
    });
  });

  it('evicts the artifacts not yet evicted, in the mode of the strategy', () => {
    const finding = staleCache();
    finding.details.evicted_artifact_ids = ['a-2'];
    expect(planRepair(finding, 'evict_on_next_sweep', null)).toEqual({
      kind: 'planned',
      next: 'PLANNED',
      plan: {
        kind: 'evict',
        mode: 'next_sweep',
        artifacts: [
          { artifact_id: 'a-1', state: 'pending', error: null },
          { artifact_id: 'a-3', state: 'pending', error: null },
        ],
        entities: finding.details.entities,
      },
    });
  });

  it('refuses a strategy that does not fit the finding', () => {
    expect(planRepair(staleCache(), 'resubmit_run', null)).toMatchObject({ kind: 'failed' });
    expect(planRepair(mismatch('r9'), 'evict_immediately', null)).toMatchObject({
      kind: 'failed',
    });
  });
});

describe('retrying a failed step', () => {
  const settings = { maxAttempts: 4, retryInitialMs: 1_000, retryMaxMs: 5_000 };

  it('backs off exponentially up to the cap, then gives up', () => {
    const failure = { kind: 'not_processed' as const, error: 'cappella: HTTP 503' };
    expect([1, 2, 3].map((n) => retryAfterFailure(n, failure, settings))).toEqual([
      { kind: 'retry', inMs: 1_000 },
      { kind: 'retry', inMs: 2_000 },
      { kind: 'retry', inMs: 4_000 },
    ]);
    expect(retryAfterFailure(4, failure, settings)).toEqual({
      kind: 'give_up',
      reason: 'gave up after 4 attempt(s): cappella: HTTP 503',
    });
    expect(retryAfterFailure(3, failure, { ...settings, maxAttempts: 9 })).toEqual({
      kind: 'retry',
      inMs: 4_000,
    });
    expect(retryAfterFailure(5, failure, { ...settings, maxAttempts: 9 })).toEqual({
      kind: 'retry',
      inMs: 5_000,
    });
  });

  it('gives up at once on a refusal', () => {
    expect(retryAfterFailure(1, { kind: 'refused', error: 'HTTP 400' }, settings)).toEqual({
      kind: 'give_up',
      reason: 'HTTP 400',
    });
  });
});

describe('confirming a repair', () => {
  const resubmit: Pick<RepairJob, 'plan' | 'confirmBy' | 'submittedRunId'> = {
    plan: {
      kind: 'resubmit_run',
      run_id: 'r1',
      pipeline_id: 'align-reads',
      inputs: {},
      idempotent: true,
      expected_entities: [sample('x'), sample('y')],
    },
    confirmBy: new Date(T0 + 60_000),
    submittedRunId: 'r1-again',
  };
  const evictPlan: EvictPlan = {
    kind: 'evict',
    mode: 'immediate',
    artifacts: [
      { artifact_id: 'a-1', state: 'requested', error: null },
      { artifact_id: 'a-2', state: 'requested', error: null },
    ],
    entities: [sample('S-1')],
  };

  it('is done once every expected entity is in Hippo, and waits until then', () => {
    expect(
      confirmRepair(resubmit, { kind: 'entities_present', present: [sample('x')] }, T0),
    ).toEqual({ kind: 'wait' });
    expect(
      confirmRepair(
        resubmit,
        { kind: 'entities_present', present: [sample('y'), sample('x')] },
        T0,
      ),
    ).toEqual({ kind: 'done', announce: true });
  });

  it('fails past the deadline, saying whether the submission outcome is known', () => {
    const late = confirmRepair(
      { ...resubmit, submittedRunId: null },
      { kind: 'entities_present', present: [] },
      T0 + 60_000,
    );
    expect(late).toEqual({
      kind: 'failed',
      reason:
        'not confirmed in time: the outputs of run r1 are still not all in Hippo (the submission outcome is unknown)',
    });
  });

  it('takes a finding settled by Canon as done without announcing it again', () => {
    expect(
      confirmRepair({ ...resubmit, plan: evictPlan }, { kind: 'finding_resolved' }, T0),
    ).toEqual({ kind: 'done', announce: false });
  });

  it('counts an eviction done when Canon holds none of the artifacts, and failed when it refused one', () => {
    const job = { ...resubmit, plan: evictPlan };
    expect(confirmRepair(job, { kind: 'artifacts_left', artifactIds: ['a-2'] }, T0)).toEqual({
      kind: 'wait',
    });
    expect(confirmRepair(job, { kind: 'artifacts_left', artifactIds: [] }, T0)).toEqual({
      kind: 'done',
      announce: true,
    });
    const refused = evictionRequested(
      { ...evictPlan, artifacts: evictPlan.artifacts.map((a) => ({ ...a, state: 'pending' })) },
      { requested: ['a-1'], refused: new Map([['a-2', 'canon: HTTP 422: pinned']]) },
    );
    expect(refused.artifacts).toEqual([
      { artifact_id: 'a-1', state: 'requested', error: null },
      { artifact_id: 'a-2', state: 'refused', error: 'canon: HTTP 422: pinned' },
    ]);
    expect(
      confirmRepair(
        { ...job, plan: refused },
        { kind: 'artifacts_left', artifactIds: ['a-2'] },
        T0,
      ),
    ).toEqual({
      kind: 'failed',
      reason: 'Canon refused to evict a-2 (canon: HTTP 422: pinned)',
    });
  });
});

describe('when an executed repair is checked again', () => {
  const settings = { confirmIntervalMs: 5_000, confirmMaxIntervalMs: 60_000 };
  const executedAt = (ago: number, deadlineIn: number | null = null) => ({
    submissionStartedAt: new Date(T0 - ago),
    confirmBy: deadlineIn === null ? null : new Date(T0 + deadlineIn),
  });

  it('waits as long as the repair has waited, from the interval up to the cap', () => {
    expect(nextConfirmationInMs(executedAt(0), settings, T0)).toBe(5_000);
    expect(nextConfirmationInMs(executedAt(5_000), settings, T0)).toBe(5_000);
    expect(nextConfirmationInMs(executedAt(10_000), settings, T0)).toBe(10_000);
    expect(nextConfirmationInMs(executedAt(40_000), settings, T0)).toBe(40_000);
    expect(nextConfirmationInMs(executedAt(3_600_000), settings, T0)).toBe(60_000);
  });

  it('never waits past the deadline, so a repair that is not confirmed fails on time', () => {
    expect(nextConfirmationInMs(executedAt(40_000, 15_000), settings, T0)).toBe(15_000);
    expect(nextConfirmationInMs(executedAt(40_000, -1_000), settings, T0)).toBe(0);
  });

  it('starts from the interval when the submission time is unknown', () => {
    const job = { submissionStartedAt: null, confirmBy: null };
    expect(nextConfirmationInMs(job, settings, T0)).toBe(5_000);
  });
});

describe('finding out what became of a submission with an unknown outcome', () => {
  const plan = {
    kind: 'resubmit_run' as const,
    run_id: 'run-1',
    pipeline_id: 'align-reads',
    inputs: { reads: 'run-1.fastq', reference: { build: 'GRCh38', patch: 14 } },
    idempotent: true,
    expected_entities: [sample('s-1')],
  };
  const settings = { submissionSearchDelayMs: 60_000 };
  const sent = (ago: number | null, submittedRunId: string | null = null) => ({
    plan,
    submissionStartedAt: ago === null ? null : new Date(T0 - ago),
    submittedRunId,
  });

  it('searches once the submission left longer ago than the delay, and not before', () => {
    expect(submissionSearchDue(sent(60_000), settings, T0)).toBe(true);
    expect(submissionSearchDue(sent(59_999), settings, T0)).toBe(false);
  });

  it('never searches for a submission that was not sent or whose run is known', () => {
    expect(submissionSearchDue(sent(null), settings, T0)).toBe(false);
    expect(submissionSearchDue(sent(120_000, 'run-2'), settings, T0)).toBe(false);
    const evicting = { ...sent(120_000), plan: samplePlanOfEviction() };
    expect(submissionSearchDue(evicting, settings, T0)).toBe(false);
  });

  const run = (runId: string, pipelineId: string, inputs: Record<string, unknown>) => ({
    run_id: runId,
    pipeline_id: pipelineId,
    inputs,
  });

  it('takes the run of the same pipeline with the same inputs, whatever their key order', () => {
    const runs = [
      run('run-7', 'align-reads', { reads: 'run-7.fastq' }),
      run('run-8', 'align-reads', {
        reference: { patch: 14, build: 'GRCh38' },
        reads: 'run-1.fastq',
      }),
    ];
    expect(submittedRunAmong(plan, runs)).toBe('run-8');
  });

  it('never takes the run being repaired, another pipeline or inputs that differ in a value', () => {
    const runs = [
      run('run-1', 'align-reads', plan.inputs),
      run('run-9', 'call-variants', plan.inputs),
      run('run-10', 'align-reads', { ...plan.inputs, reference: { build: 'GRCh38', patch: '14' } }),
    ];
    expect(submittedRunAmong(plan, runs)).toBeNull();
  });
});

function samplePlanOfEviction(): EvictPlan {
  return {
    kind: 'evict',
    mode: 'immediate',
    entities: [sample('s-1')],
    artifacts: [{ artifact_id: 'a-1', state: 'pending', error: null }],
  };
}

describe('announcing a repair', () => {
  it('builds a valid bridge.sync.repaired whose id and time do not change when re-sent', () => {
    const job = {
      syncEventId: randomUUID(),
      mismatchType: 'missing_entity' as const,
      plan: {
        kind: 'resubmit_run' as const,
        run_id: 'r1',
        pipeline_id: 'align-reads',
        inputs: {},
        idempotent: true,
        expected_entities: [],
      },
      submittedRunId: 'r1-again',
      finishedAt: new Date(T0),
    };
    const event = repairedEventFor(job, T0 + 5_000);
    validateEvent(Topics.BridgeSyncRepaired, event);
    expect(event).toMatchObject({
      sync_event_id: job.syncEventId,
      run_id: 'r1',
      resolution: 'resubmitted',
      resolved_by: 'bridge-repair',
      new_run_id: 'r1-again',
      occurred_at: T0,
    });
    expect(repairedEventFor(job, T0 + 9_000)).toEqual(event);
  });

  it('announces a resolution by hand with who and why, under the same id as any repair of it', () => {
    const finding = mismatch('r5', {
      state: 'resolved',
      resolved: true,
      resolvedBy: 'alice',
      resolutionNote: 'rerun by hand',
    });
    const event = operatorResolutionEvent(finding, T0);
    validateEvent(Topics.BridgeSyncRepaired, event);
    expect(event).toMatchObject({
      sync_event_id: finding.id,
      mismatch_type: 'missing_entity',
      run_id: 'r5',
      resolution: 'operator',
      resolved_by: 'alice',
      reason: 'rerun by hand',
      new_run_id: null,
    });
    const job = {
      syncEventId: finding.id,
      mismatchType: 'missing_entity' as const,
      plan: null,
      submittedRunId: null,
      finishedAt: new Date(T0),
    };
    expect(event.event_id).toBe(repairedEventFor(job, T0).event_id);
    expect(operatorResolutionEvent({ ...finding, resolutionNote: null }, T0).reason).toBeNull();
  });
});

describe('looking again before acting', () => {
  const resubmit = (idempotent: boolean) => ({
    kind: 'resubmit_run' as const,
    run_id: 'r1',
    pipeline_id: 'p1',
    inputs: {},
    idempotent,
    expected_entities: [sample('r1-3')],
  });
  const holds = { kind: 'holds' } as const;
  const open = { state: 'open' as const, resolvedBy: null };

  it('acts when the finding is open, the discrepancy holds and the pipeline is as planned', () => {
    const job = { plan: resubmit(true), decidedBy: null };
    expect(revalidatePlan(job, open, holds, { pipeline_id: 'p1', idempotent: true })).toEqual({
      kind: 'act',
    });
  });

  it('does nothing for a finding closed meanwhile, and closes a healed one', () => {
    const job = { plan: resubmit(true), decidedBy: null };
    expect(revalidatePlan(job, { state: 'resolved', resolvedBy: 'ann' }, holds, null)).toEqual({
      kind: 'closed',
      note: 'not needed: the finding was resolved by ann before the repair acted',
    });
    expect(revalidatePlan(job, undefined, holds, null).kind).toBe('closed');
    expect(revalidatePlan(job, open, { kind: 'healed', reason: 'Hippo has it' }, null)).toEqual({
      kind: 'healed',
      reason: 'Hippo has it',
    });
  });

  it('sends an unapproved plan back to approval when the pipeline is no longer idempotent', () => {
    const job = { plan: resubmit(true), decidedBy: null };
    expect(revalidatePlan(job, open, holds, { pipeline_id: 'p1', idempotent: false })).toEqual({
      kind: 'needs_approval',
      reason: 'pipeline p1 is no longer idempotent: an operator must approve the resubmission',
    });
    expect(revalidatePlan(job, open, holds, null).kind).toBe('needs_approval');
    // An operator approved it knowing the pipeline was not idempotent: it acts.
    const approved = { plan: resubmit(false), decidedBy: 'bob' };
    expect(revalidatePlan(approved, open, holds, { pipeline_id: 'p1', idempotent: false })).toEqual(
      { kind: 'act' },
    );
  });
});

describe("an operator's repair", () => {
  it('starts a job with a strategy the mismatch type allows, on an alert_only finding too', () => {
    const finding = mismatch('r9', { repairStrategy: 'alert_only' });
    expect(repairJobFor(finding, WEIGHTS)).toBeNull();
    const started = operatorRepairJobFor(
      finding,
      { strategy: 'resubmit_run', by: 'gina', priority: 5 },
      WEIGHTS,
    );
    expect(started).toEqual({
      kind: 'job',
      job: expect.objectContaining({
        syncEventId: finding.id,
        strategy: 'resubmit_run',
        priority: 5,
        requestedBy: 'gina',
        retryOf: null,
        subjectKeys: ['run:r9'],
      }),
    });
  });

  it('refuses a strategy the type does not allow, alert_only, a closed finding and a record', () => {
    const finding = mismatch('r10');
    const refused = (result: ReturnType<typeof operatorRepairJobFor>) =>
      result.kind === 'refused' ? result.reason : null;
    expect(
      refused(operatorRepairJobFor(finding, { strategy: 'evict_immediately', by: 'x' }, WEIGHTS)),
    ).toBe('a missing_entity finding can be repaired with resubmit_run, not evict_immediately');
    expect(
      refused(operatorRepairJobFor(finding, { strategy: 'alert_only', by: 'x' }, WEIGHTS)),
    ).toMatch(/not alert_only/);
    const dangling = mismatch('r11', { mismatchType: 'dangling_reference' });
    expect(
      refused(operatorRepairJobFor(dangling, { strategy: 'resubmit_run', by: 'x' }, WEIGHTS)),
    ).toBe('a dangling_reference finding has no repair strategy: it can only be resolved by hand');
    const closed = mismatch('r12', { state: 'healed', resolved: true });
    expect(
      refused(operatorRepairJobFor(closed, { strategy: 'resubmit_run', by: 'x' }, WEIGHTS)),
    ).toBe('the finding is healed: there is nothing to repair');
  });
});
