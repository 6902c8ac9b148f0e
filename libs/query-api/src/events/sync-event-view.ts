/**
 * A sync event log row as the query API shows it: the log's columns in snake case, with the
 * typed details as they are stored, its state (`record`, or a finding's `open`, `resolved`,
 * `healed`), and whether its outbound event went out.
 */
import type { SyncEvent } from '@bridge/store';

export interface SyncEventView {
  id: string;
  event_type: string;
  mismatch_type: string | null;
  repair_strategy: string | null;
  source: string;
  source_id: string;
  actor: string | null;
  details: SyncEvent['details'];
  state: SyncEvent['state'];
  resolved: boolean;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
  created_at: string;
  /** How many times Bridge looked at the open finding again, when last, and when next. */
  recheck_count: number;
  last_checked_at: string | null;
  next_recheck_at: string | null;
  /** Set while an operator snoozed the open finding: out of the default view until then. */
  snoozed_until: string | null;
  snoozed_by: string | null;
  snooze_reason: string | null;
  /** True once the transport acknowledged its `bridge.sync.*` event; null if it owes none. */
  published: boolean | null;
}

export function syncEventView(event: SyncEvent): SyncEventView {
  return {
    id: event.id,
    event_type: event.eventType,
    mismatch_type: event.mismatchType,
    repair_strategy: event.repairStrategy,
    source: event.source,
    source_id: event.sourceId,
    actor: event.actor,
    details: event.details,
    state: event.state,
    resolved: event.resolved,
    resolved_at: event.resolvedAt?.toISOString() ?? null,
    resolved_by: event.resolvedBy,
    resolution_note: event.resolutionNote,
    created_at: event.createdAt.toISOString(),
    recheck_count: event.recheckCount,
    last_checked_at: event.lastCheckedAt?.toISOString() ?? null,
    next_recheck_at: event.nextRecheckAt?.toISOString() ?? null,
    snoozed_until: event.snoozedUntil?.toISOString() ?? null,
    snoozed_by: event.snoozedBy,
    snooze_reason: event.snoozeReason,
    published: event.outboundEventId === null ? null : event.publishedAt !== null,
  };
}
