/**
 * The ground truth: which discrepancies the simulator injected, so that tests and benchmarks can
 * score Bridge's findings exactly (nothing missed, nothing extra, nothing wrong).
 *
 * Every scenario records here what Bridge should conclude: per run the expected finding of the
 * post-run or failed-run check and the exact entities, per availability event whether Canon was
 * left holding artifacts. The snapshot is plain JSON (records, not Maps) so that
 * `GET /sim/truth` serves it as is.
 */
import type { EntityKey, Topic } from '@bridge/contracts';

/** How a run came to exist. */
export type RunOrigin = 'scenario' | 'batch' | 'stream' | 'resubmission';

interface RunTruthBase {
  runId: string;
  pipelineId: string;
  actor: string;
  origin: RunOrigin;
  /** `event_id` of the published run event; null when the scenario did not publish it. */
  eventId: string | null;
  publishedAt: number | null;
  outputCount: number;
}

/**
 * The expected finding for one run:
 * - `ok`: every output is in Hippo (possibly after `lagMs`, which a grace delay must absorb);
 * - `missing_entity`: a completed run whose `missing` outputs Hippo never received;
 * - `partial_output`: a failed run that registered `written` before failing;
 * - `no_finding`: a failed run that wrote nothing, so there is nothing to flag.
 */
export type RunTruth = RunTruthBase &
  (
    | { kind: 'ok'; lagMs: number }
    | { kind: 'missing_entity'; lagMs: number; missing: EntityKey[] }
    | { kind: 'partial_output'; written: EntityKey[]; notWritten: EntityKey[] }
    | { kind: 'no_finding' }
  );

interface AvailabilityTruthBase {
  eventId: string;
  change: 'DELETED' | 'UNAVAILABLE';
  actor: string;
  /** Every entity the event names. */
  changed: EntityKey[];
  publishedAt: number | null;
}

/** Expected outcome of the Canon staleness check for one availability event. */
export type AvailabilityTruth = AvailabilityTruthBase &
  ({ kind: 'stale_cache'; entities: EntityKey[]; artifactIds: string[] } | { kind: 'clean' });

export interface ResubmissionTruth {
  runId: string;
  pipelineId: string;
  idempotent: boolean;
  /** The earlier run with the same pipeline and inputs, whose outputs were rewritten. */
  repeatsRunId: string | null;
  at: number;
}

export interface EvictionTruth {
  mode: 'immediate' | 'next_sweep' | 'sweep' | 'event';
  artifactIds: string[];
  at: number;
}

export interface TruthCounters {
  runs: number;
  ok: number;
  missingEntityRuns: number;
  missingEntities: number;
  laggedRuns: number;
  partialOutputRuns: number;
  failedRunsWithoutOutput: number;
  availabilityEvents: number;
  staleCacheEvents: number;
  staleArtifacts: number;
  resubmissions: number;
  evictedArtifacts: number;
  published: Partial<Record<Topic, number>>;
}

export interface GroundTruth {
  seed: number;
  runs: Record<string, RunTruth>;
  /** Keyed by the `event_id` of the `hippo.entities.availability_changed` event. */
  availability: Record<string, AvailabilityTruth>;
  resubmissions: ResubmissionTruth[];
  evictions: EvictionTruth[];
  counters: TruthCounters;
}

export interface TruthQuery {
  /** Leave out runs expected to be `ok` (large benchmarks have mostly those). */
  findingsOnly?: boolean;
}

export class GroundTruthRecorder {
  private readonly runs = new Map<string, RunTruth>();
  private readonly availability = new Map<string, AvailabilityTruth>();
  private resubmissions: ResubmissionTruth[] = [];
  private evictions: EvictionTruth[] = [];
  private published: Partial<Record<Topic, number>> = {};

  constructor(private readonly seed: number) {}

  run(truth: RunTruth): void {
    this.runs.set(truth.runId, truth);
  }

  runTruth(runId: string): RunTruth | undefined {
    return this.runs.get(runId);
  }

  /** Marks a recorded run as published (or not) once the transport has taken its event. */
  runPublished(runId: string, eventId: string | null, at: number | null): void {
    const truth = this.runs.get(runId);
    if (truth) {
      truth.eventId = eventId;
      truth.publishedAt = at;
    }
  }

  availabilityChange(truth: AvailabilityTruth): void {
    this.availability.set(truth.eventId, truth);
  }

  resubmission(truth: ResubmissionTruth): void {
    this.resubmissions.push(truth);
  }

  eviction(truth: EvictionTruth): void {
    if (truth.artifactIds.length > 0) this.evictions.push(truth);
  }

  publishedEvents(topic: Topic, count: number): void {
    this.published[topic] = (this.published[topic] ?? 0) + count;
  }

  snapshot(query: TruthQuery = {}): GroundTruth {
    const runs: Record<string, RunTruth> = {};
    const counters: TruthCounters = {
      runs: this.runs.size,
      ok: 0,
      missingEntityRuns: 0,
      missingEntities: 0,
      laggedRuns: 0,
      partialOutputRuns: 0,
      failedRunsWithoutOutput: 0,
      availabilityEvents: this.availability.size,
      staleCacheEvents: 0,
      staleArtifacts: 0,
      resubmissions: this.resubmissions.length,
      evictedArtifacts: this.evictions
        .filter((e) => e.mode !== 'next_sweep')
        .reduce((sum, e) => sum + e.artifactIds.length, 0),
      published: { ...this.published },
    };
    for (const truth of this.runs.values()) {
      if (truth.kind === 'ok') counters.ok += 1;
      else if (truth.kind === 'missing_entity') {
        counters.missingEntityRuns += 1;
        counters.missingEntities += truth.missing.length;
      } else if (truth.kind === 'partial_output') counters.partialOutputRuns += 1;
      else counters.failedRunsWithoutOutput += 1;
      if ((truth.kind === 'ok' || truth.kind === 'missing_entity') && truth.lagMs > 0) {
        counters.laggedRuns += 1;
      }
      if (!query.findingsOnly || truth.kind !== 'ok') runs[truth.runId] = truth;
    }
    for (const truth of this.availability.values()) {
      if (truth.kind === 'stale_cache') {
        counters.staleCacheEvents += 1;
        counters.staleArtifacts += truth.artifactIds.length;
      }
    }
    return {
      seed: this.seed,
      runs,
      availability: Object.fromEntries(this.availability),
      resubmissions: [...this.resubmissions],
      evictions: [...this.evictions],
      counters,
    };
  }

  clear(): void {
    this.runs.clear();
    this.availability.clear();
    this.resubmissions = [];
    this.evictions = [];
    this.published = {};
  }
}
