/**
 * Entity keys as the component clients send and receive them, and the batching rules the Hippo
 * and Canon clients share when the checker or the scanner asks about many entities at once.
 */
import { z } from 'zod';
import { entityKeyId, type EntityKey } from '@bridge/contracts';

export const EntityKeySchema: z.ZodType<EntityKey> = z.object({
  entity_type: z.string(),
  external_id: z.string(),
});

/** The keys without repeats, first occurrence first, so no component is asked twice. */
export function uniqueKeys(keys: readonly EntityKey[]): EntityKey[] {
  const seen = new Map<string, EntityKey>();
  for (const key of keys) {
    const id = entityKeyId(key);
    if (!seen.has(id)) seen.set(id, { entity_type: key.entity_type, external_id: key.external_id });
  }
  return [...seen.values()];
}

/** Consecutive slices of at most `size` items, in order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be >= 1: ${size}`);
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}
