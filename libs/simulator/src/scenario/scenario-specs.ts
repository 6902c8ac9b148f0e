/**
 * What a scenario may ask of the simulator: the parameters of `ComponentSimulator`'s methods,
 * as zod schemas so the admin API (`/sim/*`) validates request bodies with the same rules the
 * typed API documents. The TypeScript types are the schemas' inputs: every field is optional
 * unless a scenario cannot do without it.
 */
import { z } from 'zod';

export const EntityKeySchema = z
  .object({ entity_type: z.string().min(1), external_id: z.string().min(1) })
  .strict();

const keys = z.array(EntityKeySchema).max(10_000);
const id = z.string().min(1).max(200);
const actor = z.string().min(1).max(200);

export const CompleteRunSpecSchema = z
  .object({
    runId: id.optional(),
    pipelineId: id.optional(),
    /** Created for a new pipeline id, or updates the pipeline's flag. */
    idempotent: z.boolean().optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
    /** How many outputs to generate (default 3), or the exact keys. */
    outputs: z.union([z.number().int().min(0).max(10_000), keys]).optional(),
    /** Outputs Hippo never receives (the last N, or these keys; they must be outputs). */
    missing: z.union([z.number().int().min(0), keys]).optional(),
    /** The written outputs become visible in Hippo only this long after the run (default: Hippo's lag fault). */
    lagMs: z.number().int().min(0).optional(),
    actor: actor.optional(),
    /** false: change the state but publish no event (only a full scan can find the run). */
    publish: z.boolean().optional(),
  })
  .strict();

export const FailRunSpecSchema = z
  .object({
    runId: id.optional(),
    pipelineId: id.optional(),
    idempotent: z.boolean().optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
    /** Planned outputs: a count (default 3) or the exact keys. */
    outputs: z.union([z.number().int().min(0).max(10_000), keys]).optional(),
    /** How many of the planned outputs were written before the failure (default 1). */
    written: z.number().int().min(0).optional(),
    actor: actor.optional(),
    error: z.string().min(1).max(2_000).optional(),
    publish: z.boolean().optional(),
  })
  .strict();

export const DeleteEntitiesSpecSchema = z
  .object({
    keys: keys.min(1).optional(),
    /** Picks this many available entities, oldest change first (default 1 when no keys). */
    count: z.number().int().positive().max(10_000).optional(),
    change: z.enum(['DELETED', 'UNAVAILABLE']).optional(),
    /** Canon keeps the artifacts of these entities (the first N, or these keys): the fault. */
    leaveArtifactsFor: z.union([z.number().int().min(0), keys]).optional(),
    actor: actor.optional(),
  })
  .strict()
  .refine((spec) => !(spec.keys && spec.count !== undefined), 'give keys or count, not both');

export const BatchCompletedSpecSchema = z
  .object({
    batchId: id.optional(),
    entityType: z.string().min(1).optional(),
    count: z.number().int().min(0).optional(),
    actor: actor.optional(),
  })
  .strict();

export const ReconciliationCompletedSpecSchema = z
  .object({
    scanId: id.optional(),
    discrepancyCount: z.number().int().min(0).optional(),
    resolvedCount: z.number().int().min(0).optional(),
  })
  .strict();

export const CacheEvictedSpecSchema = z
  .object({
    artifactIds: z.array(z.string().min(1)).min(1).max(10_000),
    reason: z.string().min(1).optional(),
  })
  .strict();

const generation = {
  outputsPerRun: z.number().int().min(1).max(1_000).optional(),
  /** Fraction of runs that lose exactly one output (seeded; default 0.05). */
  missingRate: z.number().min(0).max(1).optional(),
  /**
   * Fraction of runs on the pipeline Cappella does not call idempotent (seeded; default 0), so
   * that their repairs wait for approval.
   */
  nonIdempotentRate: z.number().min(0).max(1).optional(),
  /**
   * Keep each event and send it again until the transport takes it, as a component with an
   * outbox would (default false: a refused event is counted as never announced, and a load
   * test sees what the transport took).
   */
  untilSent: z.boolean().optional(),
};

export const GenerateBatchSpecSchema = z
  .object({
    count: z.number().int().positive().max(1_000_000),
    ...generation,
    /** Events per `publishMany` call (default 500). */
    publishChunk: z.number().int().positive().max(10_000).optional(),
  })
  .strict();

export const GenerateStreamSpecSchema = z
  .object({
    ratePerSecond: z.number().positive().max(100_000),
    count: z.number().int().positive().max(1_000_000).optional(),
    durationMs: z.number().int().positive().max(3_600_000).optional(),
    ...generation,
    /** Pacing tick (default 10 ms): each tick publishes what is due with one `publishMany`. */
    tickMs: z.number().int().min(1).max(1_000).optional(),
  })
  .strict()
  .refine(
    (spec) => (spec.count === undefined) !== (spec.durationMs === undefined),
    'give exactly one of count or durationMs',
  );

/** The most entities one history call may create: the simulator keeps its world in memory. */
export const HISTORY_MAX_ENTITIES = 5_000_000;

const rate = z.number().min(0).max(1).optional();

export const SeedHistorySpecSchema = z
  .object({
    runs: z.number().int().positive().max(1_000_000),
    /** Outputs per run (default 10). */
    outputsPerRun: z.number().int().min(1).max(1_000).optional(),
    /** Fractions of the runs given each injection: exactly `Math.round(rate × runs)`, default 0. */
    missingEntityRate: rate,
    danglingReferenceRate: rate,
    orphanProvenanceRate: rate,
    /**
     * Canon: the fraction of the outputs written to Hippo that Canon caches an artifact of
     * (exactly `Math.round(rate × entities)`, spread evenly; default 0).
     */
    cachedOutputRate: rate,
    /**
     * Canon: artifacts left behind by deletions, as a fraction of the runs: each is cached for
     * an entity neither Cappella nor Hippo has any more (exactly `Math.round(rate × runs)`).
     */
    staleCacheRate: rate,
    /** How long ago every seeded run changed (default 60,000 ms), beyond a scan's grace delay. */
    ageMs: z
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 86_400_000)
      .optional(),
    /** The runs' pipeline (created, idempotent, when unknown; default `align-reads`). */
    pipelineId: id.optional(),
  })
  .strict()
  .refine(
    (spec) => spec.runs * (spec.outputsPerRun ?? 10) <= HISTORY_MAX_ENTITIES,
    `runs × outputsPerRun must not exceed ${HISTORY_MAX_ENTITIES.toLocaleString('en')}`,
  );

export const DeleteRunsSpecSchema = z.object({ run_ids: z.array(id).min(1).max(100_000) }).strict();

export type CompleteRunSpec = z.input<typeof CompleteRunSpecSchema>;
export type FailRunSpec = z.input<typeof FailRunSpecSchema>;
export type DeleteEntitiesSpec = z.input<typeof DeleteEntitiesSpecSchema>;
export type BatchCompletedSpec = z.input<typeof BatchCompletedSpecSchema>;
export type ReconciliationCompletedSpec = z.input<typeof ReconciliationCompletedSpecSchema>;
export type CacheEvictedSpec = z.input<typeof CacheEvictedSpecSchema>;
export type GenerateBatchSpec = z.input<typeof GenerateBatchSpecSchema>;
export type GenerateStreamSpec = z.input<typeof GenerateStreamSpecSchema>;
export type SeedHistorySpec = z.input<typeof SeedHistorySpecSchema>;
