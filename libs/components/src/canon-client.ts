/**
 * Typed client of Canon, the artifact cache (see docs/design.md, Component APIs). The checker's
 * staleness check asks which artifacts remain for entities Hippo deleted or made unavailable;
 * the repair service evicts them; a full scan pages through every artifact where the manifest
 * declares `capabilities.artifactListing`.
 */
import { z } from 'zod';
import type { ComponentManifest } from '@bridge/config';
import type { EntityKey } from '@bridge/contracts';
import { ComponentHttp, type ComponentHttpStats } from './component-http';
import { uniqueKeys } from './entity-keys';
import { pageQuery, pageSchema, type Page } from './page';

export interface Artifact {
  artifact_id: string;
  entity_type: string;
  external_id: string;
}

export type EvictionMode = 'immediate' | 'next_sweep';

const ArtifactSchema = z.object({
  artifact_id: z.string(),
  entity_type: z.string(),
  external_id: z.string(),
});

const ArtifactsSchema = z.object({ artifacts: z.array(ArtifactSchema) });

const ArtifactPageSchema = pageSchema(ArtifactSchema);

const EvictionSchema = z.object({ accepted: z.number().int().min(0) });

/**
 * Query budget per request: many proxies and servers refuse URLs beyond about 4 KB, and this
 * leaves room for the path and a base URL prefix.
 */
export const MAX_CANON_QUERY_LENGTH = 3_800;

/**
 * The query strings (`entity=<type>:<externalId>&…`, values URL-encoded) that together ask
 * for every key while each stays within `maxLength`. A single key longer than that still gets
 * its own query, so that Canon, not this client, decides whether it is acceptable.
 */
export function canonQueryChunks(keys: readonly EntityKey[], maxLength: number): string[] {
  const queries: string[] = [];
  let current = '';
  for (const key of keys) {
    const parameter = `entity=${encodeURIComponent(`${key.entity_type}:${key.external_id}`)}`;
    if (current === '') {
      current = parameter;
    } else if (current.length + 1 + parameter.length <= maxLength) {
      current += `&${parameter}`;
    } else {
      queries.push(current);
      current = parameter;
    }
  }
  if (current !== '') queries.push(current);
  return queries;
}

export class CanonClient {
  constructor(
    private readonly manifest: ComponentManifest,
    private readonly http: ComponentHttp = new ComponentHttp('canon', manifest),
  ) {}

  /**
   * A page of every cached artifact, oldest change first (the listing capability); an absent
   * cursor reads from the beginning.
   */
  listArtifacts(after?: string | null, limit?: number): Promise<Page<Artifact>> {
    const query = pageQuery(after, limit ?? this.manifest.pageSize);
    return this.http.getCollection(`/canon/artifacts?${query}`, ArtifactPageSchema);
  }

  /** Every cached artifact that belongs to one of the keys. */
  async artifactsFor(keys: readonly EntityKey[]): Promise<Artifact[]> {
    const queries = canonQueryChunks(uniqueKeys(keys), MAX_CANON_QUERY_LENGTH);
    const answers = await Promise.all(
      queries.map((query) => this.http.getCollection(`/canon/artifacts?${query}`, ArtifactsSchema)),
    );
    return answers.flatMap((answer) => answer.artifacts);
  }

  /**
   * Asks Canon to evict the artifacts; returns how many it accepted. Evicting an artifact twice
   * has no further effect, so unlike a run submission this is retried on any transient failure.
   */
  async evict(artifactIds: readonly string[], mode: EvictionMode): Promise<number> {
    if (artifactIds.length === 0) return 0;
    const answer = await this.http.postJson(
      '/canon/artifacts/evict',
      { artifact_ids: artifactIds, mode },
      EvictionSchema,
    );
    return answer.accepted;
  }

  stats(): ComponentHttpStats {
    return this.http.stats();
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
