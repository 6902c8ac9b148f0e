/**
 * Writes to the sync event log. Recording is idempotent by `dedupe_key`: the first writer
 * creates the row, later writers of the same finding get the existing row back and
 * `created: false`, which is how callers know not to publish the finding a second time.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { SyncEventEntity } from './entities/sync-event.entity';

export interface NewSyncEvent {
  eventType: string;
  source: string;
  sourceId: string;
  dedupeKey: string;
  actor?: string | null;
  details?: Record<string, unknown>;
  mismatchType?: string | null;
  repairStrategy?: string | null;
  /** True when the finding is announced by an outbound event (the outbox owes one). */
  publishes?: boolean;
}

export interface RecordedSyncEvent {
  event: SyncEventEntity;
  /** False when a row with the same de-duplication key already existed. */
  created: boolean;
}

export class SyncEventLog {
  constructor(private readonly dataSource: DataSource) {}

  /** Records one finding; see `recordMany`. */
  async record(entry: NewSyncEvent, manager?: EntityManager): Promise<RecordedSyncEvent> {
    const [recorded] = await this.recordMany([entry], manager);
    return recorded;
  }

  /**
   * Records findings with one multi-row insert; entries whose key already exists are returned
   * as they are stored, with `created: false`. Results are in input order.
   *
   * Plain SQL over `unnest` rather than the query builder: this is the checker's hot path (one
   * call per batch of hundreds of findings) and the builder's per-row work dominated it.
   */
  async recordMany(entries: NewSyncEvent[], manager?: EntityManager): Promise<RecordedSyncEvent[]> {
    if (entries.length === 0) return [];
    const em = manager ?? this.dataSource.manager;
    const ids = entries.map(() => randomUUID());
    const inserted = await em.query<RawSyncEventRow[]>(
      `INSERT INTO sync_events (id, event_type, source, source_id, dedupe_key, actor, details,
                                mismatch_type, repair_strategy, outbound_event_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                            $6::text[], $7::jsonb[], $8::text[], $9::text[], $10::uuid[])
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING *`,
      [
        ids,
        entries.map((e) => e.eventType),
        entries.map((e) => e.source),
        entries.map((e) => e.sourceId),
        entries.map((e) => e.dedupeKey),
        entries.map((e) => e.actor ?? null),
        entries.map((e) => JSON.stringify(e.details ?? {})),
        entries.map((e) => e.mismatchType ?? null),
        entries.map((e) => e.repairStrategy ?? null),
        entries.map((e) => (e.publishes ? randomUUID() : null)),
      ],
    );
    const byKey = new Map(inserted.map((row) => [row.dedupe_key, fromRow(row)]));
    const createdIds = new Set(inserted.map((row) => row.id));
    const existingKeys = entries.map((e) => e.dedupeKey).filter((key) => !byKey.has(key));
    if (existingKeys.length > 0) {
      const existing = await em.query<RawSyncEventRow[]>(
        `SELECT * FROM sync_events WHERE dedupe_key = ANY($1::text[])`,
        [existingKeys],
      );
      for (const row of existing) byKey.set(row.dedupe_key, fromRow(row));
    }
    return entries.map((entry, index) => {
      const event = byKey.get(entry.dedupeKey) as SyncEventEntity;
      return { event, created: createdIds.has(event.id) && event.id === ids[index] };
    });
  }

  /** Marks the outbound events of these rows as sent. */
  async markPublished(ids: string[], manager?: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await (manager ?? this.dataSource.manager).query(
      `UPDATE sync_events SET published_at = now() WHERE id = ANY($1::uuid[]) AND published_at IS NULL`,
      [ids],
    );
  }

  /** Existing rows for these de-duplication keys, by key. */
  async findByDedupeKeys(keys: string[]): Promise<Map<string, SyncEventEntity>> {
    if (keys.length === 0) return new Map();
    const rows = await this.dataSource.query<RawSyncEventRow[]>(
      `SELECT * FROM sync_events WHERE dedupe_key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((row) => [row.dedupe_key, fromRow(row)]));
  }

  /** Unresolved findings of one mismatch type whose `details.<field>` array mentions any id. */
  findOpenMentioning(
    mismatchType: string,
    field: string,
    ids: string[],
    manager?: EntityManager,
  ): Promise<SyncEventEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return (manager ?? this.dataSource.manager)
      .getRepository(SyncEventEntity)
      .createQueryBuilder('e')
      .where('e.mismatch_type = :mismatchType AND NOT e.resolved', { mismatchType })
      .andWhere(`e.details -> :field ?| :ids`, { field, ids })
      .getMany();
  }

  /** Replaces a row's details and optionally resolves it; returns false if it was resolved already. */
  async updateDetails(
    id: string,
    details: Record<string, unknown>,
    resolution: { resolvedBy: string } | null,
    manager?: EntityManager,
  ): Promise<boolean> {
    const result = await (manager ?? this.dataSource.manager)
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set(
        resolution
          ? {
              details,
              resolved: true,
              resolvedAt: () => 'now()',
              resolvedBy: resolution.resolvedBy,
            }
          : { details },
      )
      .where('id = :id AND NOT resolved', { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  findById(id: string): Promise<SyncEventEntity | null> {
    return this.dataSource.getRepository(SyncEventEntity).findOneBy({ id });
  }

  findByDedupeKey(dedupeKey: string): Promise<SyncEventEntity | null> {
    return this.dataSource.getRepository(SyncEventEntity).findOneBy({ dedupeKey });
  }
}

/** A `sync_events` row as the driver returns it from plain SQL. */
interface RawSyncEventRow {
  id: string;
  event_type: string;
  source: string;
  source_id: string;
  actor: string | null;
  details: Record<string, unknown>;
  resolved: boolean;
  resolved_at: Date | null;
  resolved_by: string | null;
  created_at: Date;
  dedupe_key: string;
  mismatch_type: string | null;
  repair_strategy: string | null;
  outbound_event_id: string | null;
  published_at: Date | null;
}

function fromRow(row: RawSyncEventRow): SyncEventEntity {
  return Object.assign(new SyncEventEntity(), {
    id: row.id,
    eventType: row.event_type,
    source: row.source,
    sourceId: row.source_id,
    actor: row.actor,
    details: row.details,
    resolved: row.resolved,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    createdAt: new Date(row.created_at),
    dedupeKey: row.dedupe_key,
    mismatchType: row.mismatch_type,
    repairStrategy: row.repair_strategy,
    outboundEventId: row.outbound_event_id,
    publishedAt: row.published_at === null ? null : new Date(row.published_at),
  });
}
