/**
 * Event ids that Bridge derives instead of drawing at random: the same every time for the same
 * thing, so an event re-sent after a crash, or announced by two services, carries one id and a
 * consumer de-duplicating on `event_id` sees it once.
 */
import { v5 as uuidv5 } from 'uuid';

/** Namespace of Bridge's name-based event ids; fixed forever, or every id would change. */
const BRIDGE_EVENT_NAMESPACE = 'e0bdd8e1-af20-4d18-8aef-00fb413bfa15';

/**
 * A name-based (version 5) UUID: the same every time for the same name, for events re-sent
 * after a crash, so consumers de-duplicating on `event_id` see one event.
 */
export function stableEventId(name: string): string {
  return uuidv5(name, BRIDGE_EVENT_NAMESPACE);
}

/**
 * The `event_id` of the `bridge.sync.repaired` that announces a finding's repair: derived from
 * the finding, so that the ingestor (a stale cache Canon settled) and the repair service
 * announce one repair with one id, however often either sends it.
 */
export function repairedEventIdFor(syncEventId: string): string {
  return stableEventId(`repaired:${syncEventId}`);
}
