/**
 * How rows of `sync_events` are read back, and what every statement on the table shares:
 * `syncEventFromRow` parses a row as stored (what `select('*')` with `getRawMany`, `RETURNING *`
 * and plain SQL give) into the typed finding of its kind (`sync-event-kinds.ts`), so callers
 * never cast `details`. Used by the pipeline's log (`SyncEventLog`), the API's reads
 * (`SyncEventQueries`) and operators' actions (`FindingOperatorActions`).
 *
 * Reads build their query with the builder but select the columns as stored rather than
 * entities: TypeORM's entity hydration cost a 50-row page about a millisecond in the store
 * benchmark, and one parser means one place where a row is checked.
 */
import type { FindOptionsWhere, QueryDeepPartialEntity } from 'typeorm';
import { z } from 'zod';
import { InvalidRecordError } from '@bridge/errors';
import type { SyncEventEntity } from './entities/sync-event.entity';
import {
  BRIDGE_HEALER,
  SYNC_EVENT_STATES,
  SyncEventKindSchema,
  type SyncEvent,
  type SyncEventKind,
  type SyncEventState,
} from './sync-event-kinds';

/**
 * Restricts a statement to the findings' partitions. Every statement about open or closed
 * findings says so, because `state` alone does not let PostgreSQL skip the records' partitions.
 */
export const FINDINGS = `tier = 'finding'`;

/** `FINDINGS` as a query builder's condition on `SyncEventEntity`. */
export const FINDINGS_WHERE = {
  tier: 'finding',
} as const satisfies FindOptionsWhere<SyncEventEntity>;

/**
 * The columns that close a finding as resolved: its state and the resolved flag with its time,
 * which the table's checks hold together.
 */
export const CLOSE_AS_RESOLVED = `state = 'resolved', resolved = true, resolved_at = now()`;

/** `CLOSE_AS_RESOLVED` as a query builder's `set` on `SyncEventEntity`. */
export const CLOSE_AS_RESOLVED_VALUES = {
  state: 'resolved',
  resolved: true,
  resolvedAt: () => 'now()',
} as const satisfies QueryDeepPartialEntity<SyncEventEntity>;

/** The columns that close a finding as healed by Bridge (the reason goes in `resolutionNote`). */
export const CLOSE_AS_HEALED_VALUES = {
  state: 'healed',
  resolved: true,
  resolvedAt: () => 'now()',
  resolvedBy: BRIDGE_HEALER,
} as const satisfies QueryDeepPartialEntity<SyncEventEntity>;

/** A `sync_events` row as the driver returns it from plain SQL (`SELECT *`). */
export interface SyncEventRow {
  id: string;
  event_type: string;
  source: string;
  source_id: string;
  actor: string | null;
  details: unknown;
  state: string;
  resolved: boolean;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution_note: string | null;
  created_at: Date;
  dedupe_key: string;
  mismatch_type: string | null;
  repair_strategy: string | null;
  outbound_event_id: string | null;
  published_at: Date | null;
  recheck_count?: number;
  next_recheck_at?: Date | null;
  last_checked_at?: Date | null;
  snoozed_until?: Date | null;
  snoozed_by?: string | null;
  snooze_reason?: string | null;
}

/**
 * The typed finding a raw row holds. The kind-dependent columns are parsed against the schema
 * of the row's event type, so a row written by a buggy or older writer is refused here, by id
 * and field, rather than read as a finding it is not.
 */
export function syncEventFromRow(row: SyncEventRow): SyncEvent {
  const kind = kindOf(row.id, {
    eventType: row.event_type,
    mismatchType: row.mismatch_type,
    repairStrategy: row.repair_strategy,
    details: row.details,
  });
  return {
    id: row.id,
    source: row.source,
    sourceId: row.source_id,
    actor: row.actor,
    state: stateOf(row.id, row.state),
    resolved: row.resolved,
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at),
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note ?? null,
    createdAt: new Date(row.created_at),
    dedupeKey: row.dedupe_key,
    outboundEventId: row.outbound_event_id,
    publishedAt: row.published_at === null ? null : new Date(row.published_at),
    recheckCount: row.recheck_count ?? 0,
    nextRecheckAt: row.next_recheck_at ? new Date(row.next_recheck_at) : null,
    lastCheckedAt: row.last_checked_at ? new Date(row.last_checked_at) : null,
    snoozedUntil: row.snoozed_until ? new Date(row.snoozed_until) : null,
    snoozedBy: row.snoozed_by ?? null,
    snoozeReason: row.snooze_reason ?? null,
    ...kind,
  };
}

function kindOf(id: string, columns: Record<keyof SyncEventKind, unknown>): SyncEventKind {
  const kind = SyncEventKindSchema.safeParse(columns);
  if (!kind.success) {
    throw new InvalidRecordError(
      `sync event ${id} (${String(columns.eventType)}) does not fit its kind: ${z.prettifyError(kind.error)}`,
    );
  }
  return kind.data;
}

function stateOf(id: string, value: string): SyncEventState {
  const state = SYNC_EVENT_STATES.find((known) => known === value);
  if (!state) throw new InvalidRecordError(`sync event ${id} has no known state: ${value}`);
  return state;
}
