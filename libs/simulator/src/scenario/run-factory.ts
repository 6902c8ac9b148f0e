/**
 * Creates runs in the simulated world: the Cappella run, its outputs written to Hippo (all, or
 * all but the missing ones, possibly with lag) with one Canon artifact per written entity, the
 * event Cappella would publish, and the ground truth of what Bridge should find. Publishing is
 * the caller's: a scenario publishes one event, the load generator a chunk at a time.
 */
import { randomUUID } from 'node:crypto';
import { entityKeyId, type EntityKey, type RunCompleted, type RunFailed } from '@bridge/contracts';
import type { PipelineView, RunView } from '../state/cappella-state';
import type { ComponentState } from '../state/component-state';
import { entityRef } from '../state/entity-key';
import type { GroundTruthRecorder, RunOrigin } from './ground-truth';
import type { IdSource } from './id-source';
import { ScenarioError } from './scenario-error';

/** What a run scenario did. */
export interface SimRun {
  runId: string;
  pipelineId: string;
  status: 'COMPLETED' | 'FAILED';
  /** Outputs the run reports (completed) or planned (failed). */
  outputs: EntityKey[];
  /** Outputs Hippo received. */
  written: EntityKey[];
  /** Outputs Hippo never received. */
  missing: EntityKey[];
  lagMs: number;
  actor: string;
  /** `event_id` of the run's event; null when it was not published. */
  eventId: string | null;
  publishedAt: number | null;
}

/** A run Cappella accepted through `POST /cappella/runs`, not yet completed. */
export interface SubmittedRun {
  runId: string;
  pipeline: PipelineView;
  inputs: Record<string, unknown>;
  outputs: EntityKey[];
  actor: string;
}

interface RunRequest {
  runId?: string;
  pipeline: PipelineView;
  inputs?: Record<string, unknown>;
  /** A count of generated outputs, or the exact keys. */
  outputs: number | EntityKey[];
  actor: string;
  origin: RunOrigin;
  publish: boolean;
  now: number;
}

export const DEFAULT_PIPELINES: readonly PipelineView[] = [
  { pipeline_id: 'align-reads', idempotent: true },
  { pipeline_id: 'legacy-import', idempotent: false },
];

const ENTITY_TYPES = ['dataset', 'sample', 'alignment'] as const;

export class RunFactory {
  /**
   * Planned outputs of failed and submitted runs, which their run view does not show (it shows
   * the written ones; a RUNNING run shows none).
   */
  private readonly plannedOutputs = new Map<string, EntityKey[]>();

  constructor(
    private readonly state: ComponentState,
    private readonly recorder: GroundTruthRecorder,
    private readonly ids: IdSource,
  ) {
    this.definePipelines();
  }

  /** A completed run whose `missing` outputs (the last N, or these keys) Hippo never gets. */
  completed(
    request: RunRequest & {
      missing: number | EntityKey[];
      /** Load generation: the index of the one output Hippo never gets. */
      lostIndex?: number;
      lagMs: number;
    },
  ): { run: SimRun; event: RunCompleted } {
    const { pipeline, actor, now, lagMs } = request;
    const runId = this.newRunId(request.runId);
    const outputs = this.outputsOf(runId, request.outputs);
    const missing =
      request.lostIndex !== undefined
        ? [outputs[request.lostIndex]]
        : pick(outputs, request.missing, 'missing', 'last');
    const written = this.writeOutputs(runId, outputs, missing, lagMs, now);
    const inputs = request.inputs ?? { source: runId };
    this.state.cappella.putRun(runView(runId, pipeline, 'COMPLETED', inputs, outputs, now));
    const event: RunCompleted = {
      event_id: randomUUID(),
      occurred_at: now,
      run_id: runId,
      pipeline_id: pipeline.pipeline_id,
      outputs,
      actor,
    };
    const run: SimRun = {
      runId,
      pipelineId: pipeline.pipeline_id,
      status: 'COMPLETED',
      outputs,
      written,
      missing,
      lagMs,
      actor,
      eventId: request.publish ? event.event_id : null,
      publishedAt: request.publish ? now : null,
    };
    const base = truthBase(run, request.origin, outputs.length);
    this.recorder.run(
      missing.length > 0
        ? { ...base, kind: 'missing_entity', lagMs, missing }
        : { ...base, kind: 'ok', lagMs },
    );
    return { run, event };
  }

  /** A failed run that wrote its first `written` planned outputs before failing. */
  failed(request: RunRequest & { written: number; error: string }): {
    run: SimRun;
    event: RunFailed;
  } {
    const { pipeline, actor, now } = request;
    const runId = this.newRunId(request.runId);
    const planned = this.outputsOf(runId, request.outputs);
    if (request.written > planned.length) {
      throw new ScenarioError(
        `written (${request.written}) exceeds the ${planned.length} planned outputs`,
      );
    }
    const notWritten = planned.slice(request.written);
    const written = this.writeOutputs(runId, planned, notWritten, 0, now);
    this.plannedOutputs.set(runId, planned);
    const inputs = request.inputs ?? { source: runId };
    this.state.cappella.putRun(runView(runId, pipeline, 'FAILED', inputs, written, now));
    const event: RunFailed = {
      event_id: randomUUID(),
      occurred_at: now,
      run_id: runId,
      pipeline_id: pipeline.pipeline_id,
      error: request.error,
      partial_outputs: written,
      actor,
    };
    const run: SimRun = {
      runId,
      pipelineId: pipeline.pipeline_id,
      status: 'FAILED',
      outputs: planned,
      written,
      missing: notWritten,
      lagMs: 0,
      actor,
      eventId: request.publish ? event.event_id : null,
      publishedAt: request.publish ? now : null,
    };
    const base = truthBase(run, request.origin, planned.length);
    this.recorder.run(
      written.length > 0
        ? { ...base, kind: 'partial_output', written, notWritten }
        : { ...base, kind: 'no_finding' },
    );
    return { run, event };
  }

  /**
   * What `POST /cappella/runs` does: Cappella accepts the run, which is RUNNING until
   * `finishSubmitted` completes it. An idempotent pipeline rerun with the inputs of an earlier
   * run will upsert that run's (planned) outputs: same external ids, so the missing ones
   * appear. Otherwise the run produces new entities. Null for an unknown pipeline. The ground
   * truth counts the resubmission now, when Cappella accepted it.
   */
  submitted(
    pipelineId: string,
    inputs: Record<string, unknown>,
    actor: string,
    now: number,
  ): SubmittedRun | null {
    const pipeline = this.state.cappella.pipeline(pipelineId);
    if (!pipeline) return null;
    const previous = this.state.cappella.runWithInputs(pipelineId, inputs);
    const previousOutputs = previous
      ? (this.plannedOutputs.get(previous.run_id) ?? previous.outputs)
      : undefined;
    const runId = this.newRunId();
    const outputs = this.outputsOf(
      runId,
      previousOutputs && pipeline.idempotent ? previousOutputs : (previousOutputs?.length ?? 3),
    );
    this.plannedOutputs.set(runId, outputs);
    this.state.cappella.putRun(runView(runId, pipeline, 'RUNNING', inputs, [], now));
    this.recorder.resubmission({
      runId,
      pipelineId,
      idempotent: pipeline.idempotent,
      repeatsRunId: previous?.run_id ?? null,
      at: now,
    });
    return { runId, pipeline, inputs, outputs, actor };
  }

  /** The submitted run completes: its outputs go to Hippo (after `lagMs`), all of them. */
  finishSubmitted(
    submitted: SubmittedRun,
    lagMs: number,
    now: number,
  ): { run: SimRun; event: RunCompleted } {
    const created = this.completed({
      ...submitted,
      missing: 0,
      lagMs,
      origin: 'resubmission',
      publish: true,
      now,
    });
    return created;
  }

  /** The named pipeline (created, or its flag updated, when asked), or a default one. */
  pipelineFor(pipelineId: string | undefined, idempotent: boolean | undefined): PipelineView {
    if (pipelineId === undefined) {
      return idempotent === false ? DEFAULT_PIPELINES[1] : DEFAULT_PIPELINES[0];
    }
    const existing = this.state.cappella.pipeline(pipelineId);
    if (existing && (idempotent === undefined || existing.idempotent === idempotent)) {
      return existing;
    }
    return this.definePipeline(pipelineId, idempotent ?? true);
  }

  definePipeline(pipelineId: string, idempotent: boolean): PipelineView {
    const pipeline = { pipeline_id: pipelineId, idempotent };
    this.state.cappella.putPipeline(pipeline);
    return pipeline;
  }

  /** Forgets a run's plan (Cappella deleted the run). */
  forgetRun(runId: string): void {
    this.plannedOutputs.delete(runId);
  }

  /** Forgets the runs' plans and restores the default pipelines (after the state was cleared). */
  reset(): void {
    this.plannedOutputs.clear();
    this.definePipelines();
  }

  private definePipelines(): void {
    for (const pipeline of DEFAULT_PIPELINES) this.state.cappella.putPipeline(pipeline);
  }

  private newRunId(requested?: string): string {
    if (requested === undefined) return this.ids.next('run');
    // A RUNNING run (a submission) may complete; any other known id is a scenario mistake.
    const known = this.state.cappella.run(requested);
    if (known && known.status !== 'RUNNING') {
      throw new ScenarioError(`run ${requested} already exists`);
    }
    return requested;
  }

  private outputsOf(runId: string, outputs: number | EntityKey[]): EntityKey[] {
    return typeof outputs === 'number' ? outputKeys(runId, outputs) : outputs;
  }

  /** Writes all but `skipped` to Hippo (visible after `lagMs`) with Canon artifacts. */
  private writeOutputs(
    runId: string,
    outputs: readonly EntityKey[],
    skipped: readonly EntityKey[],
    lagMs: number,
    now: number,
  ): EntityKey[] {
    const skip = skipped.length > 0 ? new Set(skipped.map(entityKeyId)) : undefined;
    const visibleAt = lagMs > 0 ? now + lagMs : 0;
    const written: EntityKey[] = [];
    for (const key of outputs) {
      if (skip?.has(entityKeyId(key))) continue;
      this.state.hippo.write(key, runId, visibleAt);
      if (!this.state.canon.hasArtifacts(key)) {
        this.state.canon.add({
          artifact_id: this.ids.next('art'),
          entity_type: key.entity_type,
          external_id: key.external_id,
        });
      }
      written.push(key);
    }
    return written;
  }
}

/** The keys of a run's `count` generated outputs: `<runId>-o1`…, entity types in turn. */
export function outputKeys(runId: string, count: number): EntityKey[] {
  const keys = new Array<EntityKey>(count);
  for (let i = 0; i < count; i += 1) {
    const entity_type = ENTITY_TYPES[i % ENTITY_TYPES.length];
    keys[i] = { entity_type, external_id: `${runId}-o${i + 1}` };
  }
  return keys;
}

/** A count (the first or last N of `from`) or explicit keys, which must all be in `from`. */
export function pick(
  from: EntityKey[],
  which: number | EntityKey[],
  name: string,
  end: 'first' | 'last',
): EntityKey[] {
  if (typeof which === 'number') {
    if (which > from.length) {
      throw new ScenarioError(`${name} (${which}) exceeds the ${from.length} entities`);
    }
    if (which === 0) return [];
    return end === 'first' ? from.slice(0, which) : from.slice(from.length - which);
  }
  const ids = new Set(from.map(entityKeyId));
  const outside = which.filter((key) => !ids.has(entityKeyId(key)));
  if (outside.length > 0) {
    throw new ScenarioError(
      `${name} must be among the entities; not: ${outside.map(entityRef).join(', ')}`,
    );
  }
  return which;
}

function runView(
  runId: string,
  pipeline: PipelineView,
  status: RunView['status'],
  inputs: Record<string, unknown>,
  outputs: EntityKey[],
  now: number,
): RunView {
  return {
    run_id: runId,
    pipeline_id: pipeline.pipeline_id,
    status,
    inputs,
    outputs,
    updated_at: new Date(now).toISOString(),
  };
}

function truthBase(run: SimRun, origin: RunOrigin, outputCount: number) {
  return {
    runId: run.runId,
    pipelineId: run.pipelineId,
    actor: run.actor,
    origin,
    eventId: run.eventId,
    publishedAt: run.publishedAt,
    outputCount,
  };
}
