/**
 * The one string form of an entity key for maps and sets, used by the checks, the component
 * clients and the simulator alike. The separator (NUL) cannot occur in either part of a real
 * key, so two different keys never share an id.
 */
import type { EntityKey } from './generated/events';

export function entityKeyId(key: EntityKey): string {
  return `${key.entity_type}\u0000${key.external_id}`;
}
