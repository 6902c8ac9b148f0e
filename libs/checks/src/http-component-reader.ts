/**
 * The `ComponentReader` over the real Cappella, Hippo and Canon HTTP clients (bulk Hippo
 * lookup or single GETs, as the manifest says): what the checker's checks and re-checks read,
 * and what the repair worker reads to check a plan again before it acts.
 */
import { Injectable } from '@nestjs/common';
import { ComponentReader } from './component-reader';
import { CanonClient, CappellaClient, HippoClient, type Artifact } from '@bridge/components';
import { entityKeyId, type EntityKey } from '@bridge/contracts';

@Injectable()
export class HttpComponentReader extends ComponentReader {
  constructor(
    private readonly cappella: CappellaClient,
    private readonly hippo: HippoClient,
    private readonly canon: CanonClient,
  ) {
    super();
  }

  runOutputs(runId: string): Promise<EntityKey[] | null> {
    return this.cappella.getRunOutputs(runId);
  }

  async existingEntities(keys: EntityKey[]): Promise<Set<string>> {
    const presence = await this.hippo.lookup(keys);
    return new Set(presence.filter((p) => p.exists).map(entityKeyId));
  }

  async unavailableEntities(keys: EntityKey[]): Promise<Set<string>> {
    // Bulk lookup says only whether an entity exists, not whether it is available: one GET each.
    const unique = [...new Map(keys.map((key) => [entityKeyId(key), key])).values()];
    const entities = await Promise.all(unique.map((key) => this.hippo.getEntity(key)));
    return new Set(
      unique
        .filter((_, index) => !entities[index] || entities[index]?.available === false)
        .map(entityKeyId),
    );
  }

  artifactsFor(keys: EntityKey[]): Promise<Artifact[]> {
    return this.canon.artifactsFor(keys);
  }
}
