/**
 * One row of the sync event log: a finding or a recorded component event.
 *
 * `dedupe_key` is the natural identity of a finding (e.g. `post_run:<run id>`): recording the
 * same finding twice (redelivery, a replay, two scans) keeps one row. The table is split by
 * `tier` and `created_day` (see `store-partitions.ts`), and a split table's unique keys must
 * hold its partition keys, so the database enforces the key per tier and day; `SyncEventLog`
 * looks keys up across all partitions before writing, which keeps it unique overall.
 *
 * This class is the table's mapping (for migrations and the schema check); code reads and
 * writes rows through `SyncEventLog`, which types them by kind (`SyncEvent`). The partitioning
 * itself is the migration's: TypeORM has no word for it.
 */
import { Check, Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import type { MismatchType, RepairStrategy } from '@bridge/contracts';
import type { SyncEventKind, SyncEventState, SyncEventType } from '../sync-event-kinds';

@Entity({ name: 'sync_events' })
@Unique('uq_sync_events_dedupe_key', ['dedupeKey', 'tier', 'createdDay'])
@Index('ix_sync_events_type_created', ['eventType', 'createdAt', 'id'])
@Index('ix_sync_events_source', ['sourceId', 'createdAt'])
@Index('ix_sync_events_created_id', ['createdAt', 'id'])
@Index('ix_sync_events_mismatch_created', ['mismatchType', 'createdAt', 'id'], {
  where: '"mismatch_type" IS NOT NULL',
})
// An expression index, which TypeORM cannot declare: the migration owns it.
@Index('ix_sync_events_scan', { synchronize: false })
@Index('ix_sync_events_unpublished', ['createdAt'], {
  where: '"outbound_event_id" IS NOT NULL AND "published_at" IS NULL',
})
@Index('ix_sync_events_mismatch_open', ['mismatchType'], { where: 'NOT "resolved"' })
@Index('ix_sync_events_state_created', ['state', 'createdAt', 'id'])
@Index('ix_sync_events_open_recheck', ['nextRecheckAt'], { where: `"state" = 'open'` })
@Check('ck_sync_events_resolution', '"resolved" = ("resolved_at" IS NOT NULL)')
@Check(
  'ck_sync_events_state',
  `"state" IN ('record', 'open', 'resolved', 'healed') AND "resolved" = ("state" IN ('resolved', 'healed'))`,
)
@Check('ck_sync_events_tier', `("tier" = 'record') = ("state" = 'record')`)
export class SyncEventEntity {
  /** Generated in application code (PGlite has no uuid extension). */
  @PrimaryColumn('uuid')
  id!: string;

  /** `record` or `finding`, following the state: the first partition key. */
  @PrimaryColumn({ type: 'text' })
  tier!: 'record' | 'finding';

  /** The UTC day the row was recorded (`created_at`'s): the second partition key. */
  @PrimaryColumn({ name: 'created_day', type: 'date' })
  createdDay!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: SyncEventType;

  /** Component whose event or data triggered the row: cappella, hippo, canon or bridge. */
  @Column({ type: 'text' })
  source!: string;

  /** Identifier at the source: run id, batch id, scan id… */
  @Column({ name: 'source_id', type: 'text' })
  sourceId!: string;

  @Column({ type: 'text', nullable: true })
  actor!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  details!: SyncEventKind['details'];

  /** `record`, or a finding's `open`, `resolved` or `healed` (see `SyncEventState`). */
  @Column({ type: 'text' })
  state!: SyncEventState;

  /** True exactly when the state is `resolved` or `healed` (the check holds them together). */
  @Column({ type: 'boolean', default: false })
  resolved!: boolean;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  @Column({ name: 'resolved_by', type: 'text', nullable: true })
  resolvedBy!: string | null;

  /** Why an operator resolved the finding (null when a repair or an eviction did). */
  @Column({ name: 'resolution_note', type: 'text', nullable: true })
  resolutionNote!: string | null;

  /** How many times Bridge has looked at the open finding again since it was detected. */
  @Column({ name: 'recheck_count', type: 'integer', default: 0 })
  recheckCount!: number;

  /**
   * When the finding is due for its next re-check; null before the first (due a fixed time
   * after detection) and once the schedule is over (due again when a scan asks).
   */
  @Column({ name: 'next_recheck_at', type: 'timestamptz', nullable: true })
  nextRecheckAt!: Date | null;

  @Column({ name: 'last_checked_at', type: 'timestamptz', nullable: true })
  lastCheckedAt!: Date | null;

  /** An open finding an operator snoozed is left out of the default view until then. */
  @Column({ name: 'snoozed_until', type: 'timestamptz', nullable: true })
  snoozedUntil!: Date | null;

  @Column({ name: 'snoozed_by', type: 'text', nullable: true })
  snoozedBy!: string | null;

  @Column({ name: 'snooze_reason', type: 'text', nullable: true })
  snoozeReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'dedupe_key', type: 'text' })
  dedupeKey!: string;

  @Column({ name: 'mismatch_type', type: 'text', nullable: true })
  mismatchType!: MismatchType | null;

  @Column({ name: 'repair_strategy', type: 'text', nullable: true })
  repairStrategy!: RepairStrategy | null;

  /** `event_id` of the outbound `bridge.sync.*` event, fixed at recording so a re-publish reuses it. */
  @Column({ name: 'outbound_event_id', type: 'uuid', nullable: true })
  outboundEventId!: string | null;

  /** When the outbound event was acknowledged by the transport; null while it is owed. */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
