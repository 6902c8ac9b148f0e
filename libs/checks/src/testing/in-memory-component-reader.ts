/**
 * An in-memory `ComponentReader` for unit tests: the check runner's specs now, the repair and
 * scanner specs later. It holds what the three components would answer — Cappella runs (run id
 * → outputs; a run never added is unknown), Hippo entities (present or not, available or not)
 * and Canon artifacts — and can be told to fail a component: unreachable
 * (`ComponentUnavailableError`) for the next N calls or until cleared, or refusing the request
 * (`ComponentRequestError`). Every call is recorded in `calls`, so a spec can count reads (one
 * bulk Hippo lookup per batch, one Cappella call per run).
 */
import type { ComponentName } from '@bridge/config';
import { entityKeyId, type EntityKey } from '@bridge/contracts';
import { ComponentRequestError, ComponentUnavailableError } from '@bridge/errors';
import type { Artifact } from '@bridge/components';
import { ComponentReader } from '../component-reader';

interface Failure {
  kind: 'unavailable' | 'refused';
  /** Calls still to fail; `Infinity` until `recover` is called. */
  remaining: number;
  status: number;
  message: string;
}

export class InMemoryComponentReader extends ComponentReader {
  /** The arguments of every call, in order (failed calls included). */
  readonly calls = {
    runOutputs: [] as string[],
    existingEntities: [] as EntityKey[][],
    unavailableEntities: [] as EntityKey[][],
    artifactsFor: [] as EntityKey[][],
  };

  private readonly runs = new Map<string, EntityKey[]>();
  /** Hippo entities by `entityKeyId`: present when in the map, offered when `available`. */
  private readonly entities = new Map<string, { available: boolean }>();
  private readonly artifacts = new Map<string, Artifact>();
  private readonly failures = new Map<ComponentName, Failure>();
  private latencyMs = 0;
  private lookupRefusal?: { refuses: (keys: EntityKey[]) => boolean; status: number };

  /** Cappella knows the run and lists these outputs. */
  addRun(runId: string, outputs: EntityKey[]): this {
    this.runs.set(runId, [...outputs]);
    return this;
  }

  /** Cappella no longer knows the run (as after losing its state). */
  forgetRun(runId: string): this {
    this.runs.delete(runId);
    return this;
  }

  /** Hippo holds the entities (available unless told otherwise). */
  addEntities(keys: EntityKey[], options: { available?: boolean } = {}): this {
    for (const key of keys) {
      this.entities.set(entityKeyId(key), { available: options.available ?? true });
    }
    return this;
  }

  /** Hippo no longer holds the entities. */
  deleteEntities(keys: EntityKey[]): this {
    for (const key of keys) this.entities.delete(entityKeyId(key));
    return this;
  }

  /** Canon holds the artifacts. */
  addArtifacts(artifacts: Artifact[]): this {
    for (const artifact of artifacts) this.artifacts.set(artifact.artifact_id, { ...artifact });
    return this;
  }

  /**
   * The component cannot be reached: its calls throw `ComponentUnavailableError` for the next
   * `times` calls, or until `recover` when `times` is left out.
   */
  failUnavailable(component: ComponentName, times = Infinity): this {
    this.failures.set(component, {
      kind: 'unavailable',
      remaining: times,
      status: 503,
      message: 'unreachable',
    });
    return this;
  }

  /** The component refuses the request: `ComponentRequestError` (a 4xx), like `failUnavailable`. */
  refuse(component: ComponentName, status = 400, times = Infinity): this {
    this.failures.set(component, { kind: 'refused', remaining: times, status, message: 'refused' });
    return this;
  }

  /**
   * Hippo refuses (`ComponentRequestError` with `status`) every bulk request whose keys make
   * `refuses` true: a lookup too large (413), or one holding a key it rejects (400).
   */
  refuseLookupsWhen(refuses: (keys: EntityKey[]) => boolean, status = 413): this {
    this.lookupRefusal = { refuses, status };
    return this;
  }

  /** The component answers again. */
  recover(component: ComponentName): this {
    this.failures.delete(component);
    return this;
  }

  runOutputs(runId: string): Promise<EntityKey[] | null> {
    this.calls.runOutputs.push(runId);
    return this.answer('cappella', () => {
      const outputs = this.runs.get(runId);
      return outputs ? outputs.map((key) => ({ ...key })) : null;
    });
  }

  existingEntities(keys: EntityKey[]): Promise<Set<string>> {
    this.calls.existingEntities.push([...keys]);
    if (this.lookupRefusal?.refuses(keys)) {
      return Promise.reject(
        new ComponentRequestError('hippo', this.lookupRefusal.status, 'lookup refused'),
      );
    }
    return this.answer(
      'hippo',
      () => new Set(keys.map(entityKeyId).filter((key) => this.entities.has(key))),
    );
  }

  unavailableEntities(keys: EntityKey[]): Promise<Set<string>> {
    this.calls.unavailableEntities.push([...keys]);
    return this.answer(
      'hippo',
      () =>
        new Set(keys.map(entityKeyId).filter((key) => this.entities.get(key)?.available !== true)),
    );
  }

  artifactsFor(keys: EntityKey[]): Promise<Artifact[]> {
    this.calls.artifactsFor.push([...keys]);
    return this.answer('canon', () => {
      const wanted = new Set(keys.map(entityKeyId));
      return [...this.artifacts.values()]
        .filter((artifact) => wanted.has(entityKeyId(artifact)))
        .map((artifact) => ({ ...artifact }));
    });
  }

  /** Every call answers only after `ms` (a slow component; 0 for an immediate answer). */
  slowDown(ms: number): this {
    this.latencyMs = ms;
    return this;
  }

  /** Fails the call if the component is set to fail, otherwise answers it. */
  private async answer<T>(component: ComponentName, read: () => T): Promise<T> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return this.answerNow(component, read);
  }

  private answerNow<T>(component: ComponentName, read: () => T): Promise<T> {
    const failure = this.failures.get(component);
    if (!failure) return Promise.resolve(read());
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures.delete(component);
    return Promise.reject(
      failure.kind === 'unavailable'
        ? new ComponentUnavailableError(component, failure.message)
        : new ComponentRequestError(component, failure.status, failure.message),
    );
  }
}
