/**
 * Which Hippo entities a Cappella run's inputs refer to. Cappella's API leaves a run's `inputs`
 * free-form; Bridge reads a reference to a Hippo entity wherever a top-level input is an entity key
 * (`{"entity_type", "external_id"}`, both strings) or an array of them, e.g.
 * `{"reference_genome": {"entity_type": "genome", "external_id": "GRCh38"}}`.
 *
 * The full scan's `dangling_reference` check (a run referencing an entity Hippo does not have)
 * reads references this way, and the component simulator writes its runs' inputs this way.
 */
import type { EntityKey } from './generated/events';

function isEntityKey(value: unknown): value is EntityKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.entity_type === 'string' && typeof record.external_id === 'string';
}

/** The entity keys `inputs` refers to, in input order, repeats included. */
export function runInputReferences(inputs: Readonly<Record<string, unknown>>): EntityKey[] {
  const references: EntityKey[] = [];
  for (const value of Object.values(inputs)) {
    if (isEntityKey(value)) {
      references.push({ entity_type: value.entity_type, external_id: value.external_id });
    } else if (Array.isArray(value)) {
      for (const item of value) {
        if (isEntityKey(item)) {
          references.push({ entity_type: item.entity_type, external_id: item.external_id });
        }
      }
    }
  }
  return references;
}
