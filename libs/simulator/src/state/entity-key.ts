/**
 * Entity keys inside the simulator: a Map keyed by `(entity_type, external_id)` and the
 * `type:id` form of a key (the single-string id for sets is `entityKeyId` of the contracts).
 *
 * `EntityMap` nests a map per entity type instead of joining the two parts into one string, so
 * a lookup allocates nothing and a stored entity costs one Map entry: with ten outputs per run
 * and a million entities in a long benchmark, that is most of the simulator's memory.
 */
import type { EntityKey } from '@bridge/contracts';

export class EntityMap<V> {
  private readonly byType = new Map<string, Map<string, V>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: EntityKey): V | undefined {
    return this.byType.get(key.entity_type)?.get(key.external_id);
  }

  has(key: EntityKey): boolean {
    return this.byType.get(key.entity_type)?.has(key.external_id) ?? false;
  }

  set(key: EntityKey, value: V): void {
    let ofType = this.byType.get(key.entity_type);
    if (!ofType) {
      ofType = new Map();
      this.byType.set(key.entity_type, ofType);
    }
    if (!ofType.has(key.external_id)) this.count += 1;
    ofType.set(key.external_id, value);
  }

  delete(key: EntityKey): boolean {
    const deleted = this.byType.get(key.entity_type)?.delete(key.external_id) ?? false;
    if (deleted) this.count -= 1;
    return deleted;
  }

  clear(): void {
    this.byType.clear();
    this.count = 0;
  }
}

/** The `type:id` form used in Canon queries and as the message key of availability events. */
export function entityRef(key: EntityKey): string {
  return `${key.entity_type}:${key.external_id}`;
}
