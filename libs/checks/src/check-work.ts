/**
 * From component events to check work: which inbound events call for a consistency check, and
 * what the check needs to know. Ingest calls `checkWorkFor` on every new inbound event and
 * publishes the result on `bridge.internal.checks`, keyed by `partitionKeyOf`, so that all work
 * for one run (or one entity) is handled in order by one checker.
 */
import { randomUUID } from 'node:crypto';
import {
  isCheckType,
  Topics,
  type CheckRequested,
  type CheckType,
  type EntityKey,
  type Topic,
} from '@bridge/contracts';
import { InvalidEventError } from '@bridge/errors';

/** A work item whose check type this build knows (the wire format carries it as a string). */
export type CheckWork = CheckRequested & { check_type: CheckType };

/**
 * The work item with its check type checked: a type this build does not know (a newer
 * producer, a hand-written event) is refused, and the consumer loop dead-letters the item.
 */
export function checkWorkOf(item: CheckRequested): CheckWork {
  const checkType = item.check_type;
  if (!isCheckType(checkType)) {
    throw new InvalidEventError(`check ${item.check_key} has an unknown check type "${checkType}"`);
  }
  return { ...item, check_type: checkType };
}

/** The inbound events that trigger checks, as the messaging layer delivers them. */
export type CheckTrigger =
  | { topic: typeof Topics.CappellaRunCompleted; event: import('@bridge/contracts').RunCompleted }
  | { topic: typeof Topics.CappellaRunFailed; event: import('@bridge/contracts').RunFailed }
  | {
      topic: typeof Topics.HippoEntitiesAvailabilityChanged;
      event: import('@bridge/contracts').EntitiesAvailabilityChanged;
    };

export function isCheckTrigger(received: { topic: Topic }): received is CheckTrigger {
  return (
    received.topic === Topics.CappellaRunCompleted ||
    received.topic === Topics.CappellaRunFailed ||
    received.topic === Topics.HippoEntitiesAvailabilityChanged
  );
}

/** A day: how far a check's row may precede its work item, for clocks and delays. */
const RECORD_LOOKUP_MARGIN_MS = 86_400_000;

/**
 * From when a batch's existing records need looking up (`SyncEventLog.findByDedupeKeys`): a
 * check's row is recorded after its work item was made, and a work item keeps its
 * `occurred_at` (Bridge's clock) however often it is delivered or replayed, so rows older than
 * the batch's oldest item, less a margin, cannot be this work's. Bounding the look-up keeps its
 * cost from growing with the days of records kept. A different work item for the same key (a
 * trigger event sent again, days later, under a new id) may then record a second ok record;
 * findings are always looked up in full.
 */
export function recordLookupSince(works: readonly CheckWork[]): Date | undefined {
  if (works.length === 0) return undefined;
  const oldest = Math.min(...works.map((work) => work.occurred_at));
  return Number.isFinite(oldest) ? new Date(oldest - RECORD_LOOKUP_MARGIN_MS) : undefined;
}

/** The natural identity of a check: one finding per key, whatever the number of deliveries. */
export function checkKeyOf(checkType: CheckType, sourceId: string): string {
  return `${checkType}:${sourceId}`;
}

/** What a check is about: the part of its work item that depends on the trigger's topic. */
type CheckSubject = Pick<
  CheckWork,
  'check_type' | 'source' | 'source_id' | 'run_id' | 'pipeline_id' | 'actor' | 'entities' | 'change'
>;

/** The check an event calls for, or null when it calls for none. */
function checkSubjectOf(trigger: CheckTrigger): CheckSubject | null {
  switch (trigger.topic) {
    case Topics.CappellaRunCompleted: {
      const { run_id, pipeline_id, actor, outputs } = trigger.event;
      return {
        check_type: 'post_run',
        source: 'cappella',
        source_id: run_id,
        run_id,
        pipeline_id,
        actor,
        entities: outputs,
        change: null,
      };
    }
    case Topics.CappellaRunFailed: {
      const { run_id, pipeline_id, actor, partial_outputs } = trigger.event;
      // A failed run that wrote nothing left nothing inconsistent behind.
      if (partial_outputs.length === 0) return null;
      return {
        check_type: 'failed_run',
        source: 'cappella',
        source_id: run_id,
        run_id,
        pipeline_id,
        actor,
        entities: partial_outputs,
        change: null,
      };
    }
    case Topics.HippoEntitiesAvailabilityChanged: {
      const { event_id, actor, entities, change } = trigger.event;
      // Entities becoming available cannot leave stale artifacts behind.
      if (change === 'AVAILABLE' || entities.length === 0) return null;
      return {
        check_type: 'canon_staleness',
        source: 'hippo',
        source_id: event_id,
        run_id: null,
        pipeline_id: null,
        actor,
        entities,
        change,
      };
    }
  }
}

/**
 * A check work item for the event, or null when the event needs no check.
 *
 * Ingest makes one per run event, so the item is one object literal: on Node 20, spreading an
 * object and then adding fields (`{ ...base, check_type, … }`) goes through a slow path that
 * cost 16 µs per item here, more than the rest of ingest's own code per event.
 */
export function checkWorkFor(trigger: CheckTrigger, now: number = Date.now()): CheckWork | null {
  const subject = checkSubjectOf(trigger);
  if (!subject) return null;
  return {
    event_id: randomUUID(),
    occurred_at: now,
    source_event_id: trigger.event.event_id,
    triggered_at: trigger.event.occurred_at,
    attempt: 1,
    not_before: null,
    delay_reason: null,
    last_error: null,
    check_type: subject.check_type,
    check_key: checkKeyOf(subject.check_type, subject.source_id),
    source: subject.source,
    source_id: subject.source_id,
    run_id: subject.run_id,
    pipeline_id: subject.pipeline_id,
    actor: subject.actor,
    entities: subject.entities,
    change: subject.change,
  };
}

/** Kafka key of a work item: the run, or the first affected entity. */
export function partitionKeyOf(work: CheckRequested): string {
  if (work.run_id) return work.run_id;
  const first: EntityKey | undefined = work.entities[0];
  return first ? `${first.entity_type}:${first.external_id}` : work.check_key;
}
