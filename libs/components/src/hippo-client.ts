/**
 * Typed client of Hippo, the entity and provenance store (see docs/design.md, Component APIs).
 * The checker asks whether a run's outputs exist; the scanner pages through all entities and
 * their provenance.
 *
 * Whether Hippo offers bulk lookup is read from its manifest, not assumed: with it, a batch of
 * keys costs one request per `bulkLookupMax` keys; without it, one GET per key.
 */
import { z } from 'zod';
import type { ComponentManifest } from '@bridge/config';
import { type DigestBucket, type EntityKey, type SlotRange } from '@bridge/contracts';
import { ComponentUnavailableError } from '@bridge/errors';
import { ComponentHttp, type ComponentHttpStats } from './component-http';
import { chunk, distinctKeys } from './entity-keys';
import { pageQuery, pageSchema, type Page } from './page';
import { DigestAnswerSchema, slotRangeQuery } from './range-digest-wire';

export interface Provenance {
  run_id: string;
}

export interface HippoEntity {
  entity_type: string;
  external_id: string;
  available: boolean;
  /** Null when Hippo records no producing run (e.g. entities loaded outside Cappella). */
  provenance: Provenance | null;
}

export interface EntityPresence {
  entity_type: string;
  external_id: string;
  exists: boolean;
  /**
   * Whether Hippo offers it: an entity can exist yet be unavailable. A component whose lookup
   * does not say (the field is optional) is taken to offer what exists.
   */
  available: boolean;
  provenance: Provenance | null;
}

const ProvenanceSchema = z
  .object({ run_id: z.string() })
  .nullish()
  .transform((provenance) => provenance ?? null);

const HippoEntitySchema: z.ZodType<HippoEntity> = z.object({
  entity_type: z.string(),
  external_id: z.string(),
  available: z.boolean(),
  provenance: ProvenanceSchema,
});

const EntityPageSchema = pageSchema(HippoEntitySchema);
const EntitiesSchema = z.object({ items: z.array(HippoEntitySchema) });

const LookupResultSchema = z.object({
  results: z.array(
    z.object({
      entity_type: z.string(),
      external_id: z.string(),
      exists: z.boolean(),
      available: z.boolean().optional(),
      provenance: ProvenanceSchema,
    }),
  ),
});

export class HippoClient {
  constructor(
    private readonly manifest: ComponentManifest,
    private readonly http: ComponentHttp = new ComponentHttp('hippo', manifest),
  ) {}

  /** The entity, or null when Hippo has no such entity. */
  getEntity(key: EntityKey): Promise<HippoEntity | null> {
    return this.http.getJson(entityPath(key), HippoEntitySchema);
  }

  /**
   * Presence of every key, in the order asked (repeated keys answered each time, asked once).
   * Chunks go out together; the limiter bounds how many are in flight.
   */
  async lookup(keys: readonly EntityKey[]): Promise<EntityPresence[]> {
    const { distinct, positions } = distinctKeys(keys);
    const { bulkLookup, bulkLookupMax } = this.manifest.capabilities;
    // Both ways answer in the order asked (a bulk answer out of order is refused).
    const answers = bulkLookup
      ? (
          await Promise.all(chunk(distinct, bulkLookupMax).map((part) => this.bulkLookup(part)))
        ).flat()
      : await Promise.all(distinct.map((key) => this.singleLookup(key)));
    return Array.from(positions, (position) => answers[position]);
  }

  /** One page of entities in change order; a rejected cursor is a `ComponentRequestError`. */
  listEntities(after?: string | null, limit?: number): Promise<Page<HippoEntity>> {
    const query = pageQuery(after, limit ?? this.manifest.pageSize);
    return this.http.getCollection(`/hippo/entities?${query}`, EntityPageSchema);
  }

  /** Range digests: the entities with their provenance over `range`, per bucket. */
  async entityDigest(range: SlotRange, buckets: number): Promise<DigestBucket[]> {
    const path = `/hippo/slots/digest?${slotRangeQuery(range, buckets)}`;
    return (await this.http.getCollection(path, DigestAnswerSchema)).buckets;
  }

  /** Range digests: the entities in `range`. */
  async entitiesIn(range: SlotRange): Promise<HippoEntity[]> {
    return (
      await this.http.getCollection(
        `/hippo/slots/entities?${slotRangeQuery(range)}`,
        EntitiesSchema,
      )
    ).items;
  }

  stats(): ComponentHttpStats {
    return this.http.stats();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async bulkLookup(keys: EntityKey[]): Promise<EntityPresence[]> {
    // A read, so repeating it after a timeout is harmless despite being a POST.
    const answer = await this.http.postJson(
      '/hippo/entities/lookup',
      { entities: keys },
      LookupResultSchema,
    );
    const mismatch = firstOrderMismatch(keys, answer.results);
    if (mismatch !== null) {
      throw new ComponentUnavailableError(
        'hippo',
        `POST /hippo/entities/lookup: malformed response: ${mismatch}`,
      );
    }
    return answer.results.map((result) => ({
      entity_type: result.entity_type,
      external_id: result.external_id,
      exists: result.exists,
      available: result.available ?? result.exists,
      provenance: result.provenance,
    }));
  }

  private async singleLookup(key: EntityKey): Promise<EntityPresence> {
    const entity = await this.getEntity(key);
    return {
      entity_type: key.entity_type,
      external_id: key.external_id,
      exists: entity !== null,
      available: entity?.available ?? false,
      provenance: entity?.provenance ?? null,
    };
  }
}

function entityPath(key: EntityKey): string {
  return `/hippo/entities/${encodeURIComponent(key.entity_type)}/${encodeURIComponent(key.external_id)}`;
}

/**
 * Bulk results are matched to keys by position (Hippo answers in request order); a reply that
 * breaks that promise would silently attribute presence to the wrong entity, so it is refused.
 */
export function firstOrderMismatch(
  asked: readonly EntityKey[],
  answered: readonly EntityKey[],
): string | null {
  if (asked.length !== answered.length) {
    return `asked for ${asked.length} entities, got ${answered.length} results`;
  }
  const index = asked.findIndex(
    (key, i) =>
      key.entity_type !== answered[i].entity_type || key.external_id !== answered[i].external_id,
  );
  return index === -1
    ? null
    : `result ${index} is ${answered[index].entity_type}:${answered[index].external_id}, ` +
        `asked ${asked[index].entity_type}:${asked[index].external_id}`;
}
