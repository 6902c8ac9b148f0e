/**
 * Valid new rows of the common kinds, for the tests of code that writes or reads the sync event
 * log (store, checks, and later repair and the API). Each builder fills every field its kind
 * requires, so a test names only what it is about.
 */
import { randomUUID } from 'node:crypto';
import type { MismatchType, RepairStrategy } from '@bridge/contracts';
import {
  SyncEventTypes,
  initialStateOf,
  type NewSyncEvent,
  type SyncEvent,
  type SyncEventCommon,
  type SyncEventType,
} from '../sync-event-kinds';

type NewOf<T extends SyncEventType> = Extract<NewSyncEvent, { eventType: T }>;

interface SampleOptions {
  dedupeKey?: string;
  publishes?: boolean;
  actor?: string | null;
}

function postRunContext(runId: string) {
  return {
    check_type: 'post_run' as const,
    run_id: runId,
    pipeline_id: 'pipe-1',
    source_event_id: randomUUID(),
    triggered_at: 0,
    attempts: 1,
  };
}

function common(runId: string, options: SampleOptions) {
  return {
    source: 'cappella',
    sourceId: runId,
    dedupeKey: options.dedupeKey ?? `post_run:${runId}`,
    actor: options.actor ?? null,
    publishes: options.publishes ?? false,
  };
}

/** A post-run check of `runId` that found its outputs. */
export function sampleOkFinding(
  runId: string,
  options: SampleOptions & { checkedCount?: number } = {},
): NewOf<typeof SyncEventTypes.Ok> {
  return {
    ...common(runId, options),
    eventType: SyncEventTypes.Ok,
    mismatchType: null,
    repairStrategy: null,
    details: { ...postRunContext(runId), checked_count: options.checkedCount ?? 1 },
  };
}

/** A post-run check of `runId` that found outputs missing from Hippo. */
export function sampleMismatchFinding(
  runId: string,
  options: SampleOptions & {
    mismatchType?: Exclude<MismatchType, 'stale_cache'>;
    repairStrategy?: RepairStrategy;
    missing?: Array<{ entity_type: string; external_id: string }>;
  } = {},
): NewOf<typeof SyncEventTypes.Mismatch> {
  const missing = options.missing ?? [{ entity_type: 'sample', external_id: `${runId}-out` }];
  return {
    ...common(runId, options),
    eventType: SyncEventTypes.Mismatch,
    mismatchType: options.mismatchType ?? 'missing_entity',
    repairStrategy: options.repairStrategy ?? 'alert_only',
    details: { ...postRunContext(runId), checked_count: missing.length, missing_entities: missing },
  };
}

/** A post-run check of `runId` that gave up (components unreachable). */
export function sampleCheckFailedFinding(
  runId: string,
  options: SampleOptions & { reason?: string } = {},
): NewOf<typeof SyncEventTypes.CheckFailed> {
  return {
    ...common(runId, options),
    eventType: SyncEventTypes.CheckFailed,
    mismatchType: null,
    repairStrategy: null,
    details: {
      ...postRunContext(runId),
      reason: options.reason ?? 'Hippo unreachable',
      entities: [],
    },
  };
}

/** A staleness check after a deletion: Canon still holds these artifacts of these entities. */
export function sampleStaleCacheFinding(options: {
  artifactIds: string[];
  entities: Array<{ entity_type: string; external_id: string }>;
  repairStrategy?: RepairStrategy;
}): NewOf<typeof SyncEventTypes.StaleCache> {
  const eventId = randomUUID();
  return {
    source: 'hippo',
    sourceId: eventId,
    dedupeKey: `canon_staleness:${eventId}`,
    actor: null,
    publishes: false,
    eventType: SyncEventTypes.StaleCache,
    mismatchType: 'stale_cache',
    repairStrategy: options.repairStrategy ?? 'evict_on_next_sweep',
    details: {
      check_type: 'canon_staleness',
      run_id: null,
      pipeline_id: null,
      source_event_id: eventId,
      triggered_at: 0,
      attempts: 1,
      change: 'DELETED',
      artifact_ids: options.artifactIds,
      entities: options.entities,
    },
  };
}

/**
 * The row the log would hold for `entry` just after recording it (open if it is a finding),
 * with `overrides` applied: for tests of code that reads stored findings.
 */
export function sampleStoredEvent(
  entry: NewSyncEvent,
  overrides: Partial<SyncEventCommon> = {},
): SyncEvent {
  const { publishes, ...row } = entry;
  const common: SyncEventCommon = {
    id: randomUUID(),
    source: row.source,
    sourceId: row.sourceId,
    dedupeKey: row.dedupeKey,
    actor: row.actor ?? null,
    state: initialStateOf(row.eventType),
    resolved: false,
    resolvedAt: null,
    resolvedBy: null,
    resolutionNote: null,
    createdAt: new Date(0),
    outboundEventId: publishes ? randomUUID() : null,
    publishedAt: null,
    recheckCount: 0,
    nextRecheckAt: null,
    lastCheckedAt: null,
    snoozedUntil: null,
    snoozedBy: null,
    snoozeReason: null,
    ...overrides,
  };
  return { ...row, ...common };
}
