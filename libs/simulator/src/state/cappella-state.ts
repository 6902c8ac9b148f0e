/**
 * Cappella's in-memory state: pipelines and runs, in the shapes of its API.
 *
 * Runs are stored as the exact objects the API returns, so `GET /cappella/runs/{id}` and the
 * listing serialise them without copying. A run's pipeline and inputs are also indexed, so a
 * resubmission (`POST /cappella/runs` with the same pipeline and inputs) finds the run it repeats.
 */
import type { DigestBucket, EntityKey, SlotRange } from '@bridge/contracts';
import { ChangeLog, decodeCursor, nextCursor, type ChangePosition } from './change-log';
import { SlotIndex, type FiledPair } from './slot-index';

export type RunStatus = 'COMPLETED' | 'FAILED' | 'RUNNING';

export interface PipelineView {
  pipeline_id: string;
  idempotent: boolean;
}

export interface RunView {
  run_id: string;
  pipeline_id: string;
  status: RunStatus;
  inputs: Record<string, unknown>;
  /** What the run registered: all outputs of a completed run, the partial outputs of a failed one. */
  outputs: EntityKey[];
  /** ISO 8601 time of the run's last change. */
  updated_at: string;
}

/** One output a run registered, as the range-digest listing gives it. */
export interface OutputPairView extends EntityKey {
  run_id: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export class CappellaState {
  private readonly pipelines = new Map<string, PipelineView>();
  private readonly runs = new Map<string, ChangePosition<RunView>>();
  private readonly changes = new ChangeLog<RunView>();
  private readonly runByInputs = new Map<string, string>();
  /** The outputs runs registered, by digest slot, for the range-digest capability. */
  private readonly outputs = new SlotIndex<RunView>();
  private readonly filedOutputs = new Map<string, Array<FiledPair<RunView>>>();

  putPipeline(pipeline: PipelineView): void {
    this.pipelines.set(pipeline.pipeline_id, pipeline);
  }

  pipeline(pipelineId: string): PipelineView | undefined {
    return this.pipelines.get(pipelineId);
  }

  /** Records a new or changed run; it moves to the end of the change order. */
  putRun(run: RunView): void {
    this.runs.set(run.run_id, this.changes.append(run, this.runs.get(run.run_id)));
    this.runByInputs.set(inputsFingerprint(run.pipeline_id, run.inputs), run.run_id);
    this.unfileOutputs(run.run_id);
    if (run.outputs.length > 0) {
      this.filedOutputs.set(
        run.run_id,
        run.outputs.map((key) => this.outputs.add(key, run.run_id, run)),
      );
    }
  }

  run(runId: string): RunView | undefined {
    return this.runs.get(runId)?.item;
  }

  /**
   * Cappella forgets the run, as if an operator deleted it: gone from `run()` and from the
   * listing (its change position is retired). False when Cappella does not know it. Hippo keeps
   * whatever the run wrote, which is how entities with orphaned provenance come about.
   */
  deleteRun(runId: string): boolean {
    const position = this.runs.get(runId);
    if (!position) return false;
    this.changes.retire(position);
    this.runs.delete(runId);
    this.unfileOutputs(runId);
    const fingerprint = inputsFingerprint(position.item.pipeline_id, position.item.inputs);
    if (this.runByInputs.get(fingerprint) === runId) this.runByInputs.delete(fingerprint);
    return true;
  }

  /** Every run, oldest change first: the stored objects, for a reader that needs them all. */
  allRuns(): IterableIterator<RunView> {
    return this.changes.values();
  }

  get runCount(): number {
    return this.runs.size;
  }

  /** The latest run of `pipelineId` with exactly these inputs, if any. */
  runWithInputs(pipelineId: string, inputs: Record<string, unknown>): RunView | undefined {
    const runId = this.runByInputs.get(inputsFingerprint(pipelineId, inputs));
    return runId === undefined ? undefined : this.runs.get(runId)?.item;
  }

  /** @throws InvalidCursorError */
  listRuns(after: string | undefined, limit: number): Page<RunView> {
    const page = this.changes.page(decodeCursor(after), limit);
    return { items: page.items, next_cursor: nextCursor(page) };
  }

  /** The digest of the registered outputs over `range`, in `buckets` buckets. */
  outputDigest(range: SlotRange, buckets: number): DigestBucket[] {
    return this.outputs.digest(range, buckets);
  }

  /** How many registered outputs `range` holds (a listing refuses too many). */
  outputCountIn(range: SlotRange): number {
    return this.outputs.countIn(range);
  }

  /** The registered outputs in `range`. */
  outputsIn(range: SlotRange): OutputPairView[] {
    const views: OutputPairView[] = [];
    for (const { key, item } of this.outputs.pairsIn(range)) {
      views.push({
        entity_type: key.entity_type,
        external_id: key.external_id,
        run_id: item.run_id,
      });
    }
    return views;
  }

  clear(): void {
    this.pipelines.clear();
    this.runs.clear();
    this.changes.clear();
    this.runByInputs.clear();
    this.outputs.clear();
    this.filedOutputs.clear();
  }

  private unfileOutputs(runId: string): void {
    const filed = this.filedOutputs.get(runId);
    if (!filed) return;
    for (const pair of filed) this.outputs.remove(pair);
    this.filedOutputs.delete(runId);
  }
}

/** Pipeline plus inputs as a string that ignores key order, so equal inputs match. */
function inputsFingerprint(pipelineId: string, inputs: Record<string, unknown>): string {
  return `${pipelineId}\u0000${canonicalJson(inputs)}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
