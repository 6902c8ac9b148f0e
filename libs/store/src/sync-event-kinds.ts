/**
 * What a sync event log row holds, kind by kind. `sync_events` stores every kind in one table
 * with a jsonb `details` column; this module is the one description of that column for each
 * `event_type`, with the `mismatch_type` and `repair_strategy` a kind allows.
 *
 * The schemas are the source of the types (`SyncEvent` is a union discriminated on
 * `eventType`), and the log parses every row it reads with them: repair, scanner and the API get
 * a finding whose fields they can rely on, and a row that does not fit fails loudly where it is
 * read instead of surfacing later as an `undefined`.
 */
import { z } from 'zod';
import { FINDING_CHECK_TYPES, MISMATCH_TYPES, REPAIR_STRATEGIES, Topics } from '@bridge/contracts';

export const SyncEventTypes = {
  Ok: 'bridge.sync.ok',
  Mismatch: 'bridge.sync.mismatch',
  StaleCache: 'bridge.sync.stale_cache',
  CacheClean: 'bridge.sync.cache_clean',
  CheckFailed: 'bridge.sync.check_failed',
  ReconciliationCompleted: Topics.CappellaReconciliationCompleted,
  IngestBatchCompleted: Topics.HippoIngestBatchCompleted,
  CacheEvicted: Topics.CanonCacheEvicted,
} as const;

export type SyncEventType = (typeof SyncEventTypes)[keyof typeof SyncEventTypes];

/**
 * Where a row stands. A finding (a mismatch, a stale cache, a check that failed) is `open`
 * until it is `resolved` (by a repair or by hand) or `healed` (its discrepancy went away by
 * itself); every other row (an ok check, a clean cache, a component's own event) is a
 * `record`, never open.
 */
export const SYNC_EVENT_STATES = ['record', 'open', 'resolved', 'healed'] as const;
export type SyncEventState = (typeof SYNC_EVENT_STATES)[number];

/** Who closes a finding as `healed`: Bridge itself, having seen the discrepancy gone. */
export const BRIDGE_HEALER = 'bridge';

/** The event types whose rows are findings, with a life of their own after detection. */
export const FINDING_EVENT_TYPES: readonly SyncEventType[] = [
  SyncEventTypes.Mismatch,
  SyncEventTypes.StaleCache,
  SyncEventTypes.CheckFailed,
];

/**
 * Which partitions a row lives in: records and findings are kept for very different times, so
 * they are stored apart (see `store-partitions.ts`).
 */
export type SyncEventTier = 'record' | 'finding';

export function tierOf(state: SyncEventState): SyncEventTier {
  return state === 'record' ? 'record' : 'finding';
}

/** The state a new row of `eventType` starts in. */
export function initialStateOf(eventType: SyncEventType): SyncEventState {
  return FINDING_EVENT_TYPES.includes(eventType) ? 'open' : 'record';
}

const entityKey = z.object({ entity_type: z.string(), external_id: z.string() });

/** What every check's finding records about the check that produced it. */
const checkContext = z.object({
  check_type: z.enum(FINDING_CHECK_TYPES),
  run_id: z.string().nullable(),
  pipeline_id: z.string().nullable(),
  /** `event_id` of the component event that triggered the check. */
  source_event_id: z.string(),
  /** `occurred_at` of that event (epoch ms), for end-to-end latency. */
  triggered_at: z.number(),
  /** Attempts the check took, counting re-checks and delayed retries. */
  attempts: z.number().int(),
});

export const OkDetailsSchema = checkContext.extend({
  /** An ok finding is a post-run check's, which always names its run. */
  run_id: z.string(),
  checked_count: z.number().int(),
});

export const MismatchDetailsSchema = checkContext.extend({
  checked_count: z.number().int(),
  missing_entities: z.array(entityKey),
  /** `partial_output` only: what the failed run reported it had written. */
  partial_outputs: z.array(entityKey).optional(),
  /** Findings of a full scan: the scan that found it (also in `source_event_id`). */
  scan_id: z.string().optional(),
});

export const StaleCacheDetailsSchema = checkContext.extend({
  /** The availability change that made the artifacts stale. */
  change: z.string().nullable(),
  artifact_ids: z.array(z.string()),
  entities: z.array(entityKey),
  /** The named artifacts Canon has reported evicted so far. */
  evicted_artifact_ids: z.array(z.string()).optional(),
  /** Findings of a full scan: the scan that found it (also in `source_event_id`). */
  scan_id: z.string().optional(),
});

export const CacheCleanDetailsSchema = checkContext.extend({
  change: z.string().nullable(),
  checked_count: z.number().int(),
  /**
   * Stale artifacts the check found that a full scan's open finding already names: those
   * findings' ids. Absent when Canon held nothing stale.
   */
  reported_in: z.array(z.string()).optional(),
});

export const CheckFailedDetailsSchema = checkContext.extend({
  reason: z.string(),
  entities: z.array(entityKey),
});

const componentEvent = z.object({ event_id: z.string(), occurred_at: z.number() });

export const ReconciliationDetailsSchema = componentEvent.extend({
  discrepancy_count: z.number().int(),
  resolved_count: z.number().int(),
});

export const IngestBatchDetailsSchema = componentEvent.extend({
  entity_type: z.string(),
  count: z.number().int(),
});

export const CacheEvictedDetailsSchema = componentEvent.extend({
  artifact_ids: z.array(z.string()),
  reason: z.string(),
});

/** `mismatch_type` of a `bridge.sync.mismatch` row: every type except stale caches, which have their own kind. */
const RUN_MISMATCH_TYPES = MISMATCH_TYPES.filter(
  (type): type is Exclude<typeof type, 'stale_cache'> => type !== 'stale_cache',
);

/** A kind without a mismatch: neither a mismatch type nor a repair strategy. */
const noMismatch = { mismatchType: z.null(), repairStrategy: z.null() };

/** The kind-dependent part of a row: event type, mismatch type, strategy and details. */
export const SyncEventKindSchema = z.discriminatedUnion('eventType', [
  z.object({
    eventType: z.literal(SyncEventTypes.Ok),
    ...noMismatch,
    details: OkDetailsSchema,
  }),
  z.object({
    eventType: z.literal(SyncEventTypes.Mismatch),
    mismatchType: z.enum(RUN_MISMATCH_TYPES),
    repairStrategy: z.enum(REPAIR_STRATEGIES),
    details: MismatchDetailsSchema,
  }),
  z.object({
    eventType: z.literal(SyncEventTypes.StaleCache),
    mismatchType: z.literal('stale_cache'),
    repairStrategy: z.enum(REPAIR_STRATEGIES),
    details: StaleCacheDetailsSchema,
  }),
  z.object({
    eventType: z.literal(SyncEventTypes.CacheClean),
    ...noMismatch,
    details: CacheCleanDetailsSchema,
  }),
  z.object({
    eventType: z.literal(SyncEventTypes.CheckFailed),
    ...noMismatch,
    details: CheckFailedDetailsSchema,
  }),
  z.object({
    eventType: z.literal(SyncEventTypes.ReconciliationCompleted),
    ...noMismatch,
    details: ReconciliationDetailsSchema,
  }),
  z.object({
    eventType: z.literal(SyncEventTypes.IngestBatchCompleted),
    ...noMismatch,
    details: IngestBatchDetailsSchema,
  }),
  z.object({
    eventType: z.literal(SyncEventTypes.CacheEvicted),
    ...noMismatch,
    details: CacheEvictedDetailsSchema,
  }),
]);

export type SyncEventKind = z.infer<typeof SyncEventKindSchema>;
export type OkDetails = z.infer<typeof OkDetailsSchema>;
export type MismatchDetails = z.infer<typeof MismatchDetailsSchema>;
export type StaleCacheDetails = z.infer<typeof StaleCacheDetailsSchema>;
export type CacheCleanDetails = z.infer<typeof CacheCleanDetailsSchema>;
export type CheckFailedDetails = z.infer<typeof CheckFailedDetailsSchema>;

/** The details of one event type. */
export type DetailsOf<T extends SyncEventType> = Extract<
  SyncEventKind,
  { eventType: T }
>['details'];

/** The columns every row has, whatever its kind. */
export interface SyncEventCommon {
  id: string;
  /** Component whose event or data produced the row: cappella, hippo, canon or bridge. */
  source: string;
  /** Identifier at the source: run id, batch id, scan id… */
  sourceId: string;
  actor: string | null;
  state: SyncEventState;
  /** True when the finding is closed (`resolved` or `healed`). */
  resolved: boolean;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  /** Why it was closed: an operator's note, or what Bridge saw that healed it. */
  resolutionNote: string | null;
  /** How many times Bridge has looked at the open finding again since detection. */
  recheckCount: number;
  /** When the next re-check is due; null before the first one and after the schedule. */
  nextRecheckAt: Date | null;
  /** When Bridge last looked at the finding again. */
  lastCheckedAt: Date | null;
  /** An operator snoozed the open finding until then: out of the default view, still counted. */
  snoozedUntil: Date | null;
  snoozedBy: string | null;
  snoozeReason: string | null;
  createdAt: Date;
  /** Natural identity of the finding (e.g. `post_run:<run id>`): one row per key. */
  dedupeKey: string;
  /** `event_id` of the outbound `bridge.sync.*` event, fixed when recorded; null if none is owed. */
  outboundEventId: string | null;
  /** When the transport acknowledged the outbound event; null while it is owed. */
  publishedAt: Date | null;
}

/** One row of the sync event log, typed by its kind. */
export type SyncEvent = SyncEventCommon & SyncEventKind;

/** The row of one event type. */
export type SyncEventOf<T extends SyncEventType> = SyncEventCommon &
  Extract<SyncEventKind, { eventType: T }>;

/** What a writer gives to record a row; the store fills in id, timestamps and state. */
export type NewSyncEvent = {
  source: string;
  sourceId: string;
  dedupeKey: string;
  actor?: string | null;
  /** True when the finding is announced by an outbound event (the outbox then owes one). */
  publishes?: boolean;
} & SyncEventKind;
