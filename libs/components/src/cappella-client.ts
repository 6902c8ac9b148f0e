/**
 * Typed client of Cappella, the pipeline runner (see docs/design.md, Component APIs). The
 * checker reads a run's outputs for the post-run and failed-run checks, the scanner pages
 * through the run history, and the repair service reads pipeline metadata and resubmits runs.
 */
import { z } from 'zod';
import type { ComponentManifest } from '@bridge/config';
import type { DigestBucket, EntityKey, SlotRange } from '@bridge/contracts';
import { ComponentHttp, type ComponentHttpStats, type PostOptions } from './component-http';
import { EntityKeySchema } from './entity-keys';
import { pageQuery, pageSchema, type Page } from './page';
import { DigestAnswerSchema, slotRangeQuery } from './range-digest-wire';

export type CappellaRunStatus = 'COMPLETED' | 'FAILED' | 'RUNNING';

export interface CappellaRun {
  run_id: string;
  pipeline_id: string;
  status: CappellaRunStatus;
  inputs: Record<string, unknown>;
  outputs: EntityKey[];
  updated_at: string;
}

export interface Pipeline {
  pipeline_id: string;
  /** True when re-running writes to Hippo by ExternalID upsert, so resubmission is safe. */
  idempotent: boolean;
}

const CappellaRunSchema: z.ZodType<CappellaRun> = z.object({
  run_id: z.string(),
  pipeline_id: z.string(),
  status: z.enum(['COMPLETED', 'FAILED', 'RUNNING']),
  inputs: z.record(z.string(), z.unknown()),
  outputs: z.array(EntityKeySchema),
  updated_at: z.string(),
});

const RunPageSchema = pageSchema(CappellaRunSchema);
const OutputsSchema = z.array(EntityKeySchema);
const PipelineSchema: z.ZodType<Pipeline> = z.object({
  pipeline_id: z.string(),
  idempotent: z.boolean(),
});
const SubmittedRunSchema = z.object({ run_id: z.string() });
const OutputPairsSchema = z.object({
  items: z.array(
    z.object({ entity_type: z.string(), external_id: z.string(), run_id: z.string() }),
  ),
});

/** One output a run registered, as the range listing gives it. */
export type OutputPair = z.infer<typeof OutputPairsSchema>['items'][number];

export class CappellaClient {
  constructor(
    private readonly manifest: ComponentManifest,
    private readonly http: ComponentHttp = new ComponentHttp('cappella', manifest),
  ) {}

  /** The run, or null when Cappella does not know it. */
  getRun(runId: string): Promise<CappellaRun | null> {
    return this.http.getJson(`/cappella/runs/${encodeURIComponent(runId)}`, CappellaRunSchema);
  }

  /** The entities the run produced, or null when Cappella does not know the run. */
  getRunOutputs(runId: string): Promise<EntityKey[] | null> {
    return this.http.getJson(`/cappella/runs/${encodeURIComponent(runId)}/outputs`, OutputsSchema);
  }

  /**
   * One page of runs in change order. A cursor Cappella rejects is a `ComponentRequestError`:
   * the scanner must then fall back to a full re-scan rather than retry.
   */
  listRuns(after?: string | null, limit?: number): Promise<Page<CappellaRun>> {
    const query = pageQuery(after, limit ?? this.manifest.pageSize);
    return this.http.getCollection(`/cappella/runs?${query}`, RunPageSchema);
  }

  /** Range digests: the registered outputs over `range`, counted and hashed per bucket. */
  async outputDigest(range: SlotRange, buckets: number): Promise<DigestBucket[]> {
    const path = `/cappella/slots/digest?${slotRangeQuery(range, buckets)}`;
    return (await this.http.getCollection(path, DigestAnswerSchema)).buckets;
  }

  /** Range digests: the outputs registered in `range`, with their runs. */
  async outputsIn(range: SlotRange): Promise<OutputPair[]> {
    const path = `/cappella/slots/outputs?${slotRangeQuery(range)}`;
    return (await this.http.getCollection(path, OutputPairsSchema)).items;
  }

  /** The pipeline's metadata, or null when Cappella does not know it. */
  getPipeline(pipelineId: string): Promise<Pipeline | null> {
    return this.http.getJson(
      `/cappella/pipelines/${encodeURIComponent(pipelineId)}`,
      PipelineSchema,
    );
  }

  /**
   * Starts a new run. Submitting is not idempotent (each accepted POST is another run), so it is
   * retried only when Cappella cannot have received it (connection refused) or refused it
   * unprocessed (429). After a timeout, 5xx or dropped connection the outcome is unknown and
   * the `ComponentUnavailableError` goes to the repair service, whose persisted repair state
   * decides, instead of a blind second submission here.
   */
  submitRun(
    pipelineId: string,
    inputs: Record<string, unknown>,
    options: Pick<PostOptions, 'beforeSend'> = {},
  ): Promise<{ run_id: string }> {
    return this.http.postJson(
      '/cappella/runs',
      { pipeline_id: pipelineId, inputs },
      SubmittedRunSchema,
      { retry: 'unprocessed', beforeSend: options.beforeSend },
    );
  }

  stats(): ComponentHttpStats {
    return this.http.stats();
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
