/**
 * The reads a consistency check makes of the components, as a narrow port: the checker runs
 * against the real HTTP clients of `@bridge/components`, unit tests against an in-memory fake.
 * Every method throws `ComponentUnavailableError` when the component cannot be reached after
 * the client's own immediate retries.
 */
import type { EntityKey } from '@bridge/contracts';
import type { Artifact } from '@bridge/components';

export abstract class ComponentReader {
  /** The run's outputs as Cappella lists them, or null when Cappella does not know the run. */
  abstract runOutputs(runId: string): Promise<EntityKey[] | null>;

  /** Which of the keys exist in Hippo, as a set of `entityKeyId` values. */
  abstract existingEntities(keys: EntityKey[]): Promise<Set<string>>;

  /** Which of the keys Hippo does not offer now (deleted or unavailable), as `entityKeyId`s. */
  abstract unavailableEntities(keys: EntityKey[]): Promise<Set<string>>;

  /** Canon artifacts held for any of the entities. */
  abstract artifactsFor(keys: EntityKey[]): Promise<Artifact[]>;
}
