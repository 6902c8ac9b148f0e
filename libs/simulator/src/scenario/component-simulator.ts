/**
 * The scenario API of the simulator: each method changes the simulated components' state the
 * way a real incident would, publishes the inbound event the component would publish (on its
 * inbound topic, see docs/design.md, Topics), and records in the ground truth what Bridge
 * should find.
 *
 * Used in-process by tests (`app.get(ComponentSimulator)`) and over HTTP through the admin API
 * (`/sim/*`). State is always written before the event is published, as a real component
 * would, so a check triggered by the event sees the (possibly faulty) state the scenario meant.
 * Runs are built by `RunFactory`, load by `LoadGenerator`, history that predates Bridge (no
 * events) by `HistorySeeder`; this class composes them with Hippo deletions, Cappella run
 * deletions, Canon evictions, the other inbound topics, faults, the ground truth and the scan
 * oracle (`scanTruth`: what a full scan must report, derived from the state).
 */
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { ComponentName } from '@bridge/config';
import { entityKeyId, Topics, type EntityKey } from '@bridge/contracts';
import { EventPublisher } from '@bridge/messaging';
import { FaultInjector } from '../faults/fault-injector';
import { ComponentFaultsSchema, type ComponentFaults } from '../faults/fault-plan';
import { HitCounter, type HitCounts } from '../faults/hit-counter';
import { deriveSeed, seededRandom } from '../faults/seeded-random';
import { SIM_SETTINGS, type SimSettings } from '../sim-config';
import type { EvictionMode } from '../state/canon-state';
import type { PipelineView } from '../state/cappella-state';
import { ComponentState } from '../state/component-state';
import { entityRef } from '../state/entity-key';
import { GroundTruthRecorder, type GroundTruth, type TruthQuery } from './ground-truth';
import { HistorySeeder, type SeededHistory } from './history-seeder';
import { IdSource } from './id-source';
import { DemoTraffic } from './demo-traffic';
import { LoadGenerator, type GenerationResult } from './load-generator';
import { pick, RunFactory, type SimRun, type SubmittedRun } from './run-factory';
import { RunsInProgress } from './runs-in-progress';
import { ScenarioError } from './scenario-error';
import { ScenarioPublisher } from './scenario-publisher';
import { scanTruth, type ScanTruth } from './scan-truth';
import type {
  BatchCompletedSpec,
  CacheEvictedSpec,
  CompleteRunSpec,
  DeleteEntitiesSpec,
  FailRunSpec,
  GenerateBatchSpec,
  GenerateStreamSpec,
  ReconciliationCompletedSpec,
  SeedHistorySpec,
} from './scenario-specs';

export type { GenerationResult } from './load-generator';
export type { SeededHistory } from './history-seeder';
export type { ScanTruth } from './scan-truth';
export { DEFAULT_PIPELINES, type SimRun } from './run-factory';

export interface SimDeletion {
  eventId: string;
  change: 'DELETED' | 'UNAVAILABLE';
  entities: EntityKey[];
  /** Entities whose artifacts Canon kept, and those artifacts: the stale cache to find. */
  leftBehind: { entities: EntityKey[]; artifactIds: string[] };
  publishedAt: number;
}

export interface RunDeletion {
  /** Runs Cappella forgot. */
  deleted: string[];
  /** Ids Cappella did not know (nothing changed for them). */
  unknown: string[];
}

export interface PublishedEvent {
  eventId: string;
  key: string;
  publishedAt: number;
}

const RUN_ACTOR = 'cappella-scheduler';
const RESUBMIT_ACTOR = 'cappella-api';
const HIPPO_ACTOR = 'hippo-curator';
const DEFAULT_ERROR = 'simulated failure: Hippo refused the rest of the batch';

@Injectable()
export class ComponentSimulator implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ComponentSimulator');
  /** Ends the retries of events still waiting for the broker when the simulator stops. */
  private readonly stopping = new AbortController();
  private readonly recorder: GroundTruthRecorder;
  private readonly ids: IdSource;
  private readonly events: ScenarioPublisher;
  private readonly runs: RunFactory;
  private readonly load: LoadGenerator;
  private readonly history: HistorySeeder;
  private readonly demo: DemoTraffic;
  private readonly runsInProgress: RunsInProgress<SubmittedRun>;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly state: ComponentState,
    publisher: EventPublisher,
    private readonly faults: FaultInjector,
    private readonly hits: HitCounter,
    @Inject(SIM_SETTINGS) private readonly settings: SimSettings,
  ) {
    this.recorder = new GroundTruthRecorder(settings.seed);
    this.ids = new IdSource(settings.idPrefix);
    this.events = new ScenarioPublisher(publisher, this.recorder);
    this.runs = new RunFactory(state, this.recorder, this.ids);
    this.load = new LoadGenerator(this.runs, this.events, () => faults.lagMs(), settings.seed);
    this.history = new HistorySeeder(state, this.ids, settings.seed);
    this.runsInProgress = new RunsInProgress((submitted) =>
      this.finishSubmitted(submitted).catch((error: unknown) =>
        this.logger.warn(
          `run ${submitted.runId} completed, but its event failed: ${String(error)}`,
        ),
      ),
    );
    this.demo = new DemoTraffic(
      this,
      seededRandom(deriveSeed(settings.seed, 'demo')),
      settings.demo,
    );
  }

  onModuleInit(): void {
    if (this.settings.canonSweepIntervalMs <= 0) return;
    this.sweepTimer = setInterval(() => {
      this.sweepCanon().catch((error: unknown) =>
        this.logger.warn(`Canon sweep failed: ${String(error)}`),
      );
    }, this.settings.canonSweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Demo traffic starts once the whole application (Bridge's consumers included) is up. */
  onApplicationBootstrap(): void {
    this.demo.start();
  }

  /** First in a graceful stop: no new events while Bridge finishes what it has. */
  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.sweepTimer);
    this.load.reset();
    this.runsInProgress.clear();
    await this.demo.stop();
  }

  // ---- Cappella -----------------------------------------------------------------------------

  /**
   * A completed run: Hippo receives all outputs but the `missing` ones (after `lagMs`, default
   * Hippo's lag fault); publishes `cappella.run.completed` listing every output.
   */
  async completeRun(spec: CompleteRunSpec = {}): Promise<SimRun> {
    const publish = spec.publish !== false;
    const { run, event } = this.runs.completed({
      runId: spec.runId,
      pipeline: this.runs.pipelineFor(spec.pipelineId, spec.idempotent),
      inputs: spec.inputs,
      outputs: spec.outputs ?? 3,
      missing: spec.missing ?? 0,
      lagMs: spec.lagMs ?? this.faults.lagMs(),
      actor: spec.actor ?? RUN_ACTOR,
      origin: 'scenario',
      publish,
      now: Date.now(),
    });
    if (publish)
      await this.events.publishRuns(Topics.CappellaRunCompleted, [{ event, key: run.runId }]);
    return run;
  }

  /**
   * Hippo receives these entities now, as outputs of `runId`: a write that was lost or late
   * catching up. Publishes nothing (Hippo announces batches, not single writes), so only a
   * re-check or a scan can notice.
   */
  writeEntities(keys: readonly EntityKey[], runId: string): void {
    for (const key of keys) this.state.hippo.write(key, runId);
  }

  /** A failed run that wrote its first `written` (default 1) outputs; publishes `cappella.run.failed`. */
  async failRun(spec: FailRunSpec = {}): Promise<SimRun> {
    const publish = spec.publish !== false;
    const outputs = spec.outputs ?? 3;
    const planned = typeof outputs === 'number' ? outputs : outputs.length;
    const { run, event } = this.runs.failed({
      runId: spec.runId,
      pipeline: this.runs.pipelineFor(spec.pipelineId, spec.idempotent),
      inputs: spec.inputs,
      outputs,
      written: spec.written ?? Math.min(1, planned),
      error: spec.error ?? DEFAULT_ERROR,
      actor: spec.actor ?? RUN_ACTOR,
      origin: 'scenario',
      publish,
      now: Date.now(),
    });
    if (publish)
      await this.events.publishRuns(Topics.CappellaRunFailed, [{ event, key: run.runId }]);
    return run;
  }

  /**
   * `POST /cappella/runs` (Bridge's `resubmit_run` repair): Cappella accepts the run, which
   * stays RUNNING for `SIM_RUN_DURATION_MS` (pipelines take time; 0 completes it at once), then
   * completes: an idempotent pipeline rerun with an earlier run's inputs rewrites that run's
   * outputs, so its missing ones appear, and `cappella.run.completed` is published. Null for
   * an unknown pipeline.
   */
  async submitRun(pipelineId: string, inputs: Record<string, unknown>): Promise<string | null> {
    const submitted = this.runs.submitted(pipelineId, inputs, RESUBMIT_ACTOR, Date.now());
    if (!submitted) return null;
    if (this.settings.runDurationMs === 0) {
      await this.finishSubmitted(submitted);
    } else {
      this.runsInProgress.add(submitted, Date.now() + this.settings.runDurationMs);
    }
    return submitted.runId;
  }

  /** Resubmitted runs still RUNNING: each completes (or, deleted meanwhile, ends) when due. */
  get runsInProgressCount(): number {
    return this.runsInProgress.size;
  }

  private async finishSubmitted(submitted: SubmittedRun): Promise<void> {
    // A run deleted from Cappella while it was RUNNING never completes.
    if (!this.state.cappella.run(submitted.runId)) return;
    const { run, event } = this.runs.finishSubmitted(submitted, this.faults.lagMs(), Date.now());
    // Like a component with an outbox, Cappella keeps a finished run's event until its broker
    // takes it: a broker outage delays the event, it does not lose it.
    await this.events.publishRunsUntilSent(
      Topics.CappellaRunCompleted,
      [{ event, key: run.runId }],
      this.stopping.signal,
    );
  }

  /**
   * History that predates Bridge: `runs` COMPLETED runs written straight into Cappella and
   * Hippo, no event published, each `ageMs` (default 60 s) old, with exact counts of
   * `missing_entity`, `dangling_reference` and `orphan_provenance` injected, and optionally
   * artifacts in Canon, some left behind by deletions (see `HistorySeeder`). A second call appends more runs. `scanTruth` says what a scan must find.
   * @throws ScenarioError when the rates ask for more injections than runs
   */
  seedHistory(spec: SeedHistorySpec): SeededHistory {
    return this.history.seedHistory({
      runs: spec.runs,
      outputsPerRun: spec.outputsPerRun ?? 10,
      missingEntityRate: spec.missingEntityRate ?? 0,
      danglingReferenceRate: spec.danglingReferenceRate ?? 0,
      orphanProvenanceRate: spec.orphanProvenanceRate ?? 0,
      cachedOutputRate: spec.cachedOutputRate ?? 0,
      staleCacheRate: spec.staleCacheRate ?? 0,
      ageMs: spec.ageMs ?? 60_000,
      pipeline: this.runs.pipelineFor(spec.pipelineId, undefined),
      now: Date.now(),
    });
  }

  /**
   * Cappella deletes runs (no event: Cappella publishes none for it). Hippo keeps what they
   * wrote, so those entities' provenance now names runs that do not exist: orphans for a scan.
   * A RUNNING run deleted this way never completes.
   */
  deleteRuns(runIds: readonly string[]): RunDeletion {
    const deleted: string[] = [];
    const unknown: string[] = [];
    for (const runId of new Set(runIds)) {
      if (this.state.cappella.deleteRun(runId)) {
        this.runs.forgetRun(runId);
        deleted.push(runId);
      } else {
        unknown.push(runId);
      }
    }
    return { deleted, unknown };
  }

  /** Declares (or updates) a Cappella pipeline. */
  definePipeline(pipelineId: string, idempotent: boolean): PipelineView {
    return this.runs.definePipeline(pipelineId, idempotent);
  }

  // ---- Hippo and Canon ----------------------------------------------------------------------

  /**
   * Hippo deletes entities (or makes them unavailable); Canon drops their artifacts except for
   * `leaveArtifactsFor`, which is the stale cache Bridge should find. Publishes
   * `hippo.entities.availability_changed` naming every entity.
   */
  async deleteEntities(spec: DeleteEntitiesSpec = {}): Promise<SimDeletion> {
    const { hippo, canon } = this.state;
    const keys = spec.keys ?? hippo.availableEntities(spec.count ?? 1);
    if (keys.length === 0) throw new ScenarioError('Hippo has no available entity to delete');
    const unknown = keys.filter((key) => !hippo.has(key));
    if (unknown.length > 0) {
      throw new ScenarioError(`Hippo has no entity ${unknown.map(entityRef).join(', ')}`);
    }
    const left = pick(keys, spec.leaveArtifactsFor ?? 0, 'leaveArtifactsFor', 'first');
    const leave = new Set(left.map(entityKeyId));
    const change = spec.change ?? 'DELETED';
    const stale: EntityKey[] = [];
    const artifactIds: string[] = [];
    for (const key of keys) {
      hippo.changeAvailability(key, change);
      if (!leave.has(entityKeyId(key))) {
        canon.removeFor(key);
        continue;
      }
      const artifacts = canon.artifactsOf(key);
      if (artifacts.length === 0) continue;
      stale.push(key);
      for (const artifact of artifacts) artifactIds.push(artifact.artifact_id);
    }
    const actor = spec.actor ?? HIPPO_ACTOR;
    const now = Date.now();
    const eventId = randomUUID();
    const base = { eventId, change, actor, changed: keys, publishedAt: now };
    this.recorder.availabilityChange(
      stale.length > 0
        ? { ...base, kind: 'stale_cache', entities: stale, artifactIds }
        : { ...base, kind: 'clean' },
    );
    await this.events.publish(
      Topics.HippoEntitiesAvailabilityChanged,
      { event_id: eventId, occurred_at: now, change, entities: keys, actor },
      entityRef(keys[0]),
    );
    const leftBehind = { entities: stale, artifactIds };
    return { eventId, change, entities: keys, leftBehind, publishedAt: now };
  }

  /** `POST /canon/artifacts/evict`: returns how many artifacts were accepted. */
  async evictArtifacts(artifactIds: readonly string[], mode: EvictionMode): Promise<number> {
    const outcome = this.state.canon.evict(artifactIds, mode);
    this.recorder.eviction({ mode, artifactIds: outcome.accepted, at: Date.now() });
    const removed = outcome.removed.map((artifact) => artifact.artifact_id);
    if (removed.length > 0) await this.announceEviction(removed, 'evict_immediately');
    return outcome.accepted.length;
  }

  /** Canon's sweep: removes what was scheduled with `next_sweep`; returns the removed ids. */
  async sweepCanon(): Promise<string[]> {
    const removed = this.state.canon.sweep().map((artifact) => artifact.artifact_id);
    this.recorder.eviction({ mode: 'sweep', artifactIds: removed, at: Date.now() });
    if (removed.length > 0) await this.announceEviction(removed, 'sweep');
    return removed;
  }

  // ---- the other inbound topics -------------------------------------------------------------

  async publishBatchCompleted(spec: BatchCompletedSpec = {}): Promise<PublishedEvent> {
    const batchId = spec.batchId ?? this.ids.next('batch');
    const event = {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      batch_id: batchId,
      entity_type: spec.entityType ?? 'dataset',
      count: spec.count ?? 0,
      actor: spec.actor ?? 'hippo-loader',
    };
    await this.events.publish(Topics.HippoIngestBatchCompleted, event, batchId);
    return { eventId: event.event_id, key: batchId, publishedAt: event.occurred_at };
  }

  async publishReconciliationCompleted(
    spec: ReconciliationCompletedSpec = {},
  ): Promise<PublishedEvent> {
    const scanId = spec.scanId ?? this.ids.next('scan');
    const event = {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      scan_id: scanId,
      discrepancy_count: spec.discrepancyCount ?? 0,
      resolved_count: spec.resolvedCount ?? 0,
    };
    await this.events.publish(Topics.CappellaReconciliationCompleted, event, scanId);
    return { eventId: event.event_id, key: scanId, publishedAt: event.occurred_at };
  }

  /** Publishes `canon.cache.evicted`; Canon drops those artifacts too, to stay truthful. */
  async publishCacheEvicted(spec: CacheEvictedSpec): Promise<PublishedEvent> {
    const outcome = this.state.canon.evict(spec.artifactIds, 'immediate');
    this.recorder.eviction({ mode: 'event', artifactIds: outcome.accepted, at: Date.now() });
    return this.publishEvicted(spec.artifactIds, spec.reason ?? 'manual');
  }

  // ---- load ---------------------------------------------------------------------------------

  /** `count` completed runs, published with `publishMany` as fast as the transport takes them. */
  generateBatch(spec: GenerateBatchSpec): Promise<GenerationResult> {
    return this.load.batch(spec);
  }

  /** Completed runs paced at `ratePerSecond`, for `count` runs or `durationMs`. */
  generateStream(spec: GenerateStreamSpec): Promise<GenerationResult> {
    return this.load.stream(spec);
  }

  // ---- faults, truth, reset -----------------------------------------------------------------

  /** Replaces one component's faults; throws `ScenarioError` for invalid ones. */
  setFaults(component: ComponentName, faults: ComponentFaults): void {
    const parsed = ComponentFaultsSchema.safeParse(faults);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(faults)'}: ${issue.message}`,
      );
      throw new ScenarioError(`invalid faults for ${component}: ${problems.join('; ')}`);
    }
    this.faults.set(component, faults);
  }

  /** Clears the faults (of one component, or all) and answers held requests now. */
  clearFaults(component?: ComponentName): void {
    this.faults.clear(component);
  }

  faultsInEffect(): ReturnType<FaultInjector['snapshot']> {
    return this.faults.snapshot();
  }

  truth(query: TruthQuery = {}): GroundTruth {
    return this.recorder.snapshot(query);
  }

  /** What a correct full scan must report now (`scan-truth.ts` defines it). */
  scanTruth(graceMs = 0): ScanTruth {
    return scanTruth(this.state, this.state.now(), graceMs);
  }

  hitCounts(): HitCounts {
    return this.hits.snapshot();
  }

  /**
   * Empties every component (default pipelines restored), the truth, the hit counts and the
   * faults, restarts the seeded choices, and stops running generations. Ids keep counting.
   */
  reset(): void {
    this.load.reset();
    this.runsInProgress.clear();
    this.state.clear();
    this.runs.reset();
    this.history.reset();
    this.recorder.clear();
    this.faults.reset();
    this.hits.reset();
  }

  /** Canon announces artifacts it removed (unless `SIM_CANON_PUBLISH_EVICTIONS=false`). */
  private async announceEviction(artifactIds: string[], reason: string): Promise<void> {
    if (this.settings.canonPublishEvictions) await this.publishEvicted(artifactIds, reason);
  }

  private async publishEvicted(artifactIds: string[], reason: string): Promise<PublishedEvent> {
    const event = {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      artifact_ids: artifactIds,
      reason,
    };
    await this.events.publish(Topics.CanonCacheEvicted, event, artifactIds[0]);
    return { eventId: event.event_id, key: artifactIds[0], publishedAt: event.occurred_at };
  }
}
