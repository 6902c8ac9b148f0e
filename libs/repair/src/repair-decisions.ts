/**
 * The pure core of the repair service: which findings get a job and with what priority, what
 * plan a finding gets, which state a job moves to after each step, and when a repair counts as
 * confirmed. No I/O: the planner, executor and confirmer (`repair-worker.ts`) gather the facts
 * and carry out what these functions decide, so every rule is unit-tested on its own.
 */
import {
  ALLOWED_STRATEGIES,
  entityKeyId,
  evictionModeFor,
  type EntityKey,
  type RepairStrategy,
  type SyncRepaired,
} from '@bridge/contracts';
import type { CappellaRun, Pipeline } from '@bridge/components';
import type { RepairConfig } from '@bridge/config';
import type {
  EvictPlan,
  NewRepairJob,
  ResubmitPlan,
  RepairJob,
  RepairPlan,
  RepairState,
  SyncEvent,
  SyncEventOf,
} from '@bridge/store';
import stableStringify from 'fast-json-stable-stringify';
import type { HealingDecision } from '@bridge/checks';
import { repairedEventIdFor } from '@bridge/contracts';

/** Findings a repair can act on: mismatches and stale caches. */
export type RepairableFinding = SyncEventOf<'bridge.sync.mismatch' | 'bridge.sync.stale_cache'>;

/** Who resolves a finding the repair service confirmed. */
export const REPAIR_RESOLVER = 'bridge-repair';

export function isRepairable(finding: SyncEvent): finding is RepairableFinding {
  return (
    finding.eventType === 'bridge.sync.mismatch' || finding.eventType === 'bridge.sync.stale_cache'
  );
}

/** The runs and entities a finding's repair touches: jobs sharing one run in finding order. */
export function subjectKeysOf(finding: RepairableFinding): string[] {
  if (finding.eventType === 'bridge.sync.mismatch') {
    return finding.details.run_id ? [`run:${finding.details.run_id}`] : [`finding:${finding.id}`];
  }
  // JSON rather than entityKeyId: its NUL separator cannot be stored in a PostgreSQL text.
  return finding.details.entities.map(
    (key) => `entity:${JSON.stringify([key.entity_type, key.external_id])}`,
  );
}

/** Weight of a finding in the queue: its mismatch type's plus its source component's. */
export function priorityOf(
  finding: RepairableFinding,
  weights: Pick<RepairConfig, 'priorityByType' | 'priorityBySource'>,
): number {
  return (
    (weights.priorityByType[finding.mismatchType] ?? 0) +
    (weights.priorityBySource[finding.source] ?? 0)
  );
}

/**
 * The job a finding gets, or null: none for an `alert_only` finding (it waits for an operator)
 * nor for one already resolved.
 */
export function repairJobFor(
  finding: SyncEvent,
  weights: Pick<RepairConfig, 'priorityByType' | 'priorityBySource'>,
): NewRepairJob | null {
  if (!isRepairable(finding) || finding.resolved || finding.repairStrategy === 'alert_only') {
    return null;
  }
  return {
    syncEventId: finding.id,
    mismatchType: finding.mismatchType,
    strategy: finding.repairStrategy,
    priority: priorityOf(finding, weights),
    subjectKeys: subjectKeysOf(finding),
    findingCreatedAt: finding.createdAt,
  };
}

/** What planning found out about the run to resubmit (absent for evictions). */
export interface ResubmitFacts {
  /** The original run as Cappella describes it; null when Cappella does not know it. */
  run: CappellaRun | null;
  /** Its pipeline's metadata; null when Cappella does not know the pipeline. */
  pipeline: Pipeline | null;
}

export type PlanDecision =
  | {
      kind: 'planned';
      plan: RepairPlan;
      next: Extract<RepairState, 'PLANNED' | 'AWAITING_APPROVAL'>;
    }
  | { kind: 'failed'; reason: string };

/**
 * The plan a finding gets under its strategy. A resubmission repeats the original run's pipeline
 * and inputs as Cappella records them, and waits for an operator unless the pipeline is
 * idempotent; an eviction names the finding's artifacts and the mode its strategy asks for.
 */
export function planRepair(
  finding: RepairableFinding,
  strategy: RepairStrategy,
  facts: ResubmitFacts | null,
): PlanDecision {
  if (strategy === 'resubmit_run') {
    if (finding.eventType !== 'bridge.sync.mismatch') {
      return { kind: 'failed', reason: `a ${finding.mismatchType} finding cannot be resubmitted` };
    }
    const runId = finding.details.run_id;
    if (!runId) return { kind: 'failed', reason: 'the finding names no run to resubmit' };
    if (!facts?.run) return { kind: 'failed', reason: `Cappella does not know run ${runId}` };
    if (!facts.pipeline) {
      return { kind: 'failed', reason: `Cappella does not know pipeline ${facts.run.pipeline_id}` };
    }
    const expected =
      finding.details.missing_entities.length > 0
        ? finding.details.missing_entities
        : facts.run.outputs;
    return {
      kind: 'planned',
      plan: {
        kind: 'resubmit_run',
        run_id: runId,
        pipeline_id: facts.run.pipeline_id,
        inputs: facts.run.inputs,
        idempotent: facts.pipeline.idempotent,
        expected_entities: expected,
      },
      next: facts.pipeline.idempotent ? 'PLANNED' : 'AWAITING_APPROVAL',
    };
  }
  const mode = evictionModeFor(strategy);
  if (mode === 'none') return { kind: 'failed', reason: `strategy ${strategy} repairs nothing` };
  if (finding.eventType !== 'bridge.sync.stale_cache') {
    return {
      kind: 'failed',
      reason: `a ${finding.mismatchType} finding has no artifacts to evict`,
    };
  }
  const evicted = new Set(finding.details.evicted_artifact_ids ?? []);
  return {
    kind: 'planned',
    plan: {
      kind: 'evict',
      mode,
      artifacts: finding.details.artifact_ids
        .filter((id) => !evicted.has(id))
        .map((artifact_id) => ({ artifact_id, state: 'pending', error: null })),
      entities: finding.details.entities,
    },
    next: 'PLANNED',
  };
}

/** Why a step's attempt failed, as the worker classifies the component's error. */
export type StepFailure =
  /** The component certainly did not act (unreachable, 429, 503, circuit open): try again later. */
  | { kind: 'not_processed'; error: string }
  /** The component refused the request (a 4xx): trying again cannot help. */
  | { kind: 'refused'; error: string }
  /** The request may or may not have been acted on (timeout, 5xx, connection lost). */
  | { kind: 'unknown'; error: string };

export type RetryDecision = { kind: 'retry'; inMs: number } | { kind: 'give_up'; reason: string };

/**
 * After a failed attempt of a step: again after an exponential delay (doubling from
 * `retryInitialMs`, capped at `retryMaxMs`), or give up once `maxAttempts` are spent or the
 * failure is a refusal.
 */
export function retryAfterFailure(
  attempts: number,
  failure: StepFailure,
  settings: Pick<RepairConfig, 'maxAttempts' | 'retryInitialMs' | 'retryMaxMs'>,
): RetryDecision {
  if (failure.kind === 'refused') return { kind: 'give_up', reason: failure.error };
  if (attempts >= settings.maxAttempts) {
    return { kind: 'give_up', reason: `gave up after ${attempts} attempt(s): ${failure.error}` };
  }
  const inMs = Math.min(
    settings.retryMaxMs,
    settings.retryInitialMs * 2 ** Math.max(0, attempts - 1),
  );
  return { kind: 'retry', inMs };
}

/** The eviction plan after Canon answered for these artifacts. */
export function evictionRequested(
  plan: EvictPlan,
  outcome: { requested: readonly string[]; refused: ReadonlyMap<string, string> },
): EvictPlan {
  const requested = new Set(outcome.requested);
  return {
    ...plan,
    artifacts: plan.artifacts.map((item) =>
      requested.has(item.artifact_id)
        ? { ...item, state: 'requested', error: null }
        : outcome.refused.has(item.artifact_id)
          ? { ...item, state: 'refused', error: outcome.refused.get(item.artifact_id) ?? null }
          : item,
    ),
  };
}

/** What the confirmer observed about an executed repair. */
export type ConfirmationObservation =
  /** Resubmission: the expected entities Hippo has now. */
  | { kind: 'entities_present'; present: readonly EntityKey[] }
  /** Eviction: the finding was settled (by Canon's eviction events) already. */
  | { kind: 'finding_resolved' }
  /** Eviction: the planned artifacts Canon still holds. */
  | { kind: 'artifacts_left'; artifactIds: readonly string[] };

export type ConfirmationDecision =
  { kind: 'done'; announce: boolean } | { kind: 'wait' } | { kind: 'failed'; reason: string };

/**
 * Whether an executed repair is confirmed. A resubmission is done when every expected entity is
 * in Hippo; an eviction when its finding was settled or Canon holds none of the artifacts any
 * more (the eviction may have been reported before the finding existed). Past `confirmBy`, a
 * repair the world does not agree with ends FAILED.
 */
export function confirmRepair(
  job: Pick<RepairJob, 'plan' | 'confirmBy' | 'submittedRunId'>,
  observation: ConfirmationObservation,
  now: number,
): ConfirmationDecision {
  const plan = job.plan;
  if (!plan) return { kind: 'failed', reason: 'the job has no plan' };
  if (observation.kind === 'finding_resolved') return { kind: 'done', announce: false };
  if (plan.kind === 'resubmit_run' && observation.kind === 'entities_present') {
    const present = new Set(observation.present.map(entityKeyId));
    if (plan.expected_entities.every((key) => present.has(entityKeyId(key)))) {
      return { kind: 'done', announce: true };
    }
  }
  if (plan.kind === 'evict' && observation.kind === 'artifacts_left') {
    const left = new Set(observation.artifactIds);
    const pending = plan.artifacts.filter((item) => item.state !== 'refused');
    if (pending.every((item) => !left.has(item.artifact_id))) {
      const refused = plan.artifacts.filter((item) => item.state === 'refused');
      return refused.length === 0
        ? { kind: 'done', announce: true }
        : {
            kind: 'failed',
            reason: `Canon refused to evict ${refused.map((item) => `${item.artifact_id} (${item.error ?? 'refused'})`).join(', ')}`,
          };
    }
  }
  if (job.confirmBy !== null && now >= job.confirmBy.getTime()) {
    const what =
      plan.kind === 'resubmit_run'
        ? `the outputs of run ${plan.run_id} are still not all in Hippo${job.submittedRunId ? ` after resubmission as ${job.submittedRunId}` : ' (the submission outcome is unknown)'}`
        : 'Canon still holds artifacts it was asked to evict';
    return { kind: 'failed', reason: `not confirmed in time: ${what}` };
  }
  return { kind: 'wait' };
}

/**
 * Whether a resubmission whose outcome is unknown is looked for in Cappella's run listing now:
 * it was marked sent, no run id came back (no answer, or its worker died as the request left),
 * and it left at least `submissionSearchDelayMs` ago, longer than Cappella takes to create a
 * run it received, so that a run not in the listing then was never asked for.
 */
export function submissionSearchDue(
  job: Pick<RepairJob, 'plan' | 'submissionStartedAt' | 'submittedRunId'>,
  settings: Pick<RepairConfig, 'submissionSearchDelayMs'>,
  now: number,
): boolean {
  return (
    job.plan?.kind === 'resubmit_run' &&
    job.submissionStartedAt !== null &&
    job.submittedRunId === null &&
    now - job.submissionStartedAt.getTime() >= settings.submissionSearchDelayMs
  );
}

/**
 * The run among `runs` (read from Cappella's listing after the submission's search cursor)
 * that the resubmission of `plan` created: the same pipeline with the same inputs, other than
 * the run being repaired. Null when none is.
 */
export function submittedRunAmong(
  plan: Pick<ResubmitPlan, 'run_id' | 'pipeline_id' | 'inputs'>,
  runs: ReadonlyArray<Pick<CappellaRun, 'run_id' | 'pipeline_id' | 'inputs'>>,
): string | null {
  // Compared as JSON with sorted keys: the inputs are JSON on both sides, in any key order.
  const inputs = stableStringify(plan.inputs);
  const run = runs.find(
    (candidate) =>
      candidate.run_id !== plan.run_id &&
      candidate.pipeline_id === plan.pipeline_id &&
      stableStringify(candidate.inputs) === inputs,
  );
  return run?.run_id ?? null;
}

/**
 * How long an executed repair waits before it is checked again: as long as it has waited
 * since execution (so checks thin out geometrically: a rerun that takes an hour costs about a
 * dozen checks, not one every interval), at least `confirmIntervalMs`, at most
 * `confirmMaxIntervalMs`, and never past its deadline, which must be decided on time. The
 * new run's `bridge.sync.ok` makes the check due at once whatever this says.
 */
export function nextConfirmationInMs(
  job: Pick<RepairJob, 'submissionStartedAt' | 'confirmBy'>,
  settings: Pick<RepairConfig, 'confirmIntervalMs' | 'confirmMaxIntervalMs'>,
  now: number,
): number {
  const waited = job.submissionStartedAt ? now - job.submissionStartedAt.getTime() : 0;
  const wait = Math.min(
    Math.max(waited, settings.confirmIntervalMs),
    settings.confirmMaxIntervalMs,
  );
  if (job.confirmBy === null) return wait;
  return Math.max(0, Math.min(wait, job.confirmBy.getTime() - now));
}

/**
 * The `bridge.sync.repaired` of a confirmed repair. Its event id is derived from the finding, as
 * the ingestor's for a stale cache Canon settled, so whichever announces a repair, consumers
 * see one event.
 */
export function repairedEventFor(
  job: Pick<RepairJob, 'syncEventId' | 'mismatchType' | 'plan' | 'submittedRunId' | 'finishedAt'>,
  now: number,
): SyncRepaired {
  const plan = job.plan;
  return {
    event_id: repairedEventIdFor(job.syncEventId),
    // When the job closed, so that a re-sent event is the same event.
    occurred_at: job.finishedAt?.getTime() ?? now,
    sync_event_id: job.syncEventId,
    mismatch_type: job.mismatchType,
    run_id: plan?.kind === 'resubmit_run' ? plan.run_id : null,
    resolution: plan?.kind === 'resubmit_run' ? 'resubmitted' : 'evicted',
    resolved_by: REPAIR_RESOLVER,
    new_run_id: job.submittedRunId,
  };
}

/**
 * The `bridge.sync.repaired` announcing a finding an operator resolved by hand: who, and why
 * when they said. Its event id is derived from the finding, like every announcement of a
 * finding's closing, so an answer lost and the resolution sent again is still one event.
 */
export function operatorResolutionEvent(
  finding: Pick<SyncEvent, 'id' | 'mismatchType' | 'details' | 'resolvedBy' | 'resolutionNote'>,
  now: number,
): SyncRepaired {
  const runId = 'run_id' in finding.details ? finding.details.run_id : null;
  return {
    event_id: repairedEventIdFor(finding.id),
    occurred_at: now,
    sync_event_id: finding.id,
    // A check that failed has no mismatch type; its announcement says what it was.
    mismatch_type: finding.mismatchType ?? 'check_failed',
    run_id: runId,
    resolution: 'operator',
    resolved_by: finding.resolvedBy ?? 'operator',
    new_run_id: null,
    reason: finding.resolutionNote,
  };
}

/**
 * Moves an operator may make, and the states they start from. An approval that expired may
 * still be given: the worker checks the plan against the components again before it acts.
 */
export const APPROVAL_MOVES = {
  approve: { from: ['AWAITING_APPROVAL', 'EXPIRED'], to: 'PLANNED' },
  reject: { from: ['AWAITING_APPROVAL', 'EXPIRED'], to: 'REJECTED' },
} as const satisfies Record<string, { from: readonly RepairState[]; to: RepairState }>;

/** What the worker found when it looked again just before acting on a plan. */
export type Revalidation =
  /** The discrepancy holds and the plan is still right: act. */
  | { kind: 'act' }
  /** The finding was closed meanwhile (resolved or healed): nothing to do. */
  | { kind: 'closed'; note: string }
  /** The discrepancy went away by itself: close the finding as healed, do not act. */
  | { kind: 'healed'; reason: string }
  /** The pipeline is no longer idempotent: the resubmission needs an operator's approval. */
  | { kind: 'needs_approval'; reason: string };

/**
 * Whether a planned repair may act now, given the finding as stored, whether its discrepancy
 * still holds (`decideHealing` on what the components show now) and, for a resubmission, the
 * pipeline as Cappella describes it now. A plan made for an idempotent pipeline goes back to
 * approval if the pipeline stopped being idempotent; one an operator approved does not (they
 * approved a non-idempotent run).
 */
export function revalidatePlan(
  job: Pick<RepairJob, 'plan' | 'decidedBy'>,
  finding: Pick<SyncEvent, 'state' | 'resolvedBy'> | undefined,
  healing: HealingDecision,
  pipeline: Pipeline | null,
): Revalidation {
  if (!finding) return { kind: 'closed', note: 'not needed: the finding no longer exists' };
  if (finding.state !== 'open') {
    return {
      kind: 'closed',
      note: `not needed: the finding was ${finding.state} by ${finding.resolvedBy ?? 'someone'} before the repair acted`,
    };
  }
  if (healing.kind === 'healed') return { kind: 'healed', reason: healing.reason };
  const plan = job.plan;
  if (plan?.kind === 'resubmit_run' && plan.idempotent && job.decidedBy === null) {
    if (pipeline === null || !pipeline.idempotent) {
      return {
        kind: 'needs_approval',
        reason:
          pipeline === null
            ? `Cappella no longer knows pipeline ${plan.pipeline_id}: an operator must approve the resubmission`
            : `pipeline ${plan.pipeline_id} is no longer idempotent: an operator must approve the resubmission`,
      };
    }
  }
  return { kind: 'act' };
}

/**
 * The job an operator starts on an open finding, with a strategy its mismatch type allows
 * (not `alert_only`, which repairs nothing), or the reason it cannot be started.
 */
export function operatorRepairJobFor(
  finding: SyncEvent,
  request: { strategy: RepairStrategy; priority?: number; by: string; retryOf?: string | null },
  weights: Pick<RepairConfig, 'priorityByType' | 'priorityBySource'>,
): { kind: 'job'; job: NewRepairJob } | { kind: 'refused'; reason: string } {
  if (!isRepairable(finding)) {
    return { kind: 'refused', reason: `a ${finding.eventType} row has nothing to repair` };
  }
  if (finding.state !== 'open') {
    return {
      kind: 'refused',
      reason: `the finding is ${finding.state}: there is nothing to repair`,
    };
  }
  const allowed: readonly RepairStrategy[] = ALLOWED_STRATEGIES[finding.mismatchType].filter(
    (strategy) => strategy !== 'alert_only',
  );
  if (!allowed.includes(request.strategy)) {
    return {
      kind: 'refused',
      reason:
        allowed.length === 0
          ? `a ${finding.mismatchType} finding has no repair strategy: it can only be resolved by hand`
          : `a ${finding.mismatchType} finding can be repaired with ${allowed.join(' or ')}, not ${request.strategy}`,
    };
  }
  return {
    kind: 'job',
    job: {
      syncEventId: finding.id,
      mismatchType: finding.mismatchType,
      strategy: request.strategy,
      priority: request.priority ?? priorityOf(finding, weights),
      subjectKeys: subjectKeysOf(finding),
      findingCreatedAt: finding.createdAt,
      retryOf: request.retryOf ?? null,
      requestedBy: request.by,
    },
  };
}
