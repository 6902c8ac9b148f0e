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
  return distinctKeys(keys).distinct;
}

/**
 * The keys without repeats (copies holding only the two key fields, first occurrence first),
 * and for each key given the position of its copy among them: how an answer about the
 * distinct keys is handed back key by key. One id per key is built, nothing more, since a
 * scan asks about millions.
 */
export function distinctKeys(keys: readonly EntityKey[]): {
  distinct: EntityKey[];
  positions: Uint32Array;
} {
  const seen = new Map<string, number>();
  const distinct: EntityKey[] = [];
  const positions = new Uint32Array(keys.length);
  keys.forEach((key, i) => {
    const id = entityKeyId(key);
    let position = seen.get(id);
    if (position === undefined) {
      position = distinct.length;
      seen.set(id, position);
      distinct.push({ entity_type: key.entity_type, external_id: key.external_id });
    }
    positions[i] = position;
  });
  return { distinct, positions };
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
