/**
 * Writes to the sync event log. Recording is idempotent by `dedupe_key`: the first writer
 * creates the row, later writers of the same finding get the existing row back and
 * `created: false`, which is how callers know not to publish the finding a second time.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
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

export interface FindingCount {
  eventType: string;
  mismatchType: string | null;
  total: number;
  open: number;
}

export interface RecordedSyncEvent {
  event: SyncEventEntity;
  /** False when a row with the same de-duplication key already existed. */
  created: boolean;
}

export class SyncEventLog {
  private readonly em: EntityManager;

  /**
   * @param db the data source, or a transaction's manager (see `Store.transaction`), so that
   *   every call of this log belongs to that transaction.
   */
  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /** Records one finding; see `recordMany`. */
  async record(entry: NewSyncEvent): Promise<RecordedSyncEvent> {
    const [recorded] = await this.recordMany([entry]);
    return recorded;
  }

  /**
   * Records findings with one multi-row insert; entries whose key already exists are returned
   * as they are stored, with `created: false`. Results are in input order; an entry repeating
   * an earlier entry's key gets that entry's row and `created: false`.
   *
   * `replaceable` names an event type that is not a final answer (a check that failed for good
   * may be requeued and succeed): a stored row of that type is replaced by a new finding of
   * another type, keeping its id, with a new outbound event; the result then says `created`.
   *
   * Plain SQL over `unnest` rather than the query builder: this is the checker's hot path (one
   * call per batch of hundreds of findings) and the builder's per-row work dominated it.
   */
  async recordMany(
    entries: NewSyncEvent[],
    options: { replaceable?: string } = {},
  ): Promise<RecordedSyncEvent[]> {
    if (entries.length === 0) return [];
    const em = this.em;
    const firstIndex = new Map<string, number>();
    entries.forEach((entry, index) => {
      if (!firstIndex.has(entry.dedupeKey)) firstIndex.set(entry.dedupeKey, index);
    });
    const unique = [...firstIndex.values()].map((index) => entries[index]);
    const returned = await em.query<SyncEventRow[]>(
      `INSERT INTO sync_events (id, event_type, source, source_id, dedupe_key, actor, details,
                                mismatch_type, repair_strategy, outbound_event_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                            $6::text[], $7::jsonb[], $8::text[], $9::text[], $10::uuid[])
       ON CONFLICT (dedupe_key) DO UPDATE SET
         event_type = EXCLUDED.event_type, source = EXCLUDED.source,
         source_id = EXCLUDED.source_id, actor = EXCLUDED.actor, details = EXCLUDED.details,
         mismatch_type = EXCLUDED.mismatch_type, repair_strategy = EXCLUDED.repair_strategy,
         outbound_event_id = EXCLUDED.outbound_event_id, published_at = NULL, created_at = now()
       WHERE sync_events.event_type = $11 AND EXCLUDED.event_type <> $11
       RETURNING *`,
      [
        unique.map(() => randomUUID()),
        unique.map((e) => e.eventType),
        unique.map((e) => e.source),
        unique.map((e) => e.sourceId),
        unique.map((e) => e.dedupeKey),
        unique.map((e) => e.actor ?? null),
        unique.map((e) => JSON.stringify(e.details ?? {})),
        unique.map((e) => e.mismatchType ?? null),
        unique.map((e) => e.repairStrategy ?? null),
        unique.map((e) => (e.publishes ? randomUUID() : null)),
        // A value no event type has when nothing is replaceable.
        options.replaceable ?? '',
      ],
    );
    const byKey = new Map(returned.map((row) => [row.dedupe_key, fromRow(row)]));
    const written = new Set(byKey.keys());
    const storedKeys = unique.map((e) => e.dedupeKey).filter((key) => !byKey.has(key));
    if (storedKeys.length > 0) {
      const stored = await em.query<SyncEventRow[]>(
        `SELECT * FROM sync_events WHERE dedupe_key = ANY($1::text[])`,
        [storedKeys],
      );
      for (const row of stored) byKey.set(row.dedupe_key, fromRow(row));
    }
    return entries.map((entry, index) => {
      const event = byKey.get(entry.dedupeKey);
      if (!event) throw new Error(`sync event ${entry.dedupeKey} was neither written nor found`);
      return {
        event,
        created: written.has(entry.dedupeKey) && firstIndex.get(entry.dedupeKey) === index,
      };
    });
  }

  /** Marks the outbound events of these rows as sent. */
  async markPublished(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.em.query(
      `UPDATE sync_events SET published_at = now() WHERE id = ANY($1::uuid[]) AND published_at IS NULL`,
      [ids],
    );
  }

  /**
   * The outbox relay's step: takes up to `limit` rows whose outbound event is still owed and
   * that are at least `minAgeMs` old (younger ones are being published by their writer),
   * hands them to `send`, and marks them published once it resolves. The rows stay locked
   * meanwhile and locked rows are skipped, so two relays never send the same row at once.
   * A row `send` finds nothing to announce for is marked too: nothing ever will, and it must
   * not be picked again at every pass. Returns how many rows were taken.
   */
  async relayOwed(
    minAgeMs: number,
    limit: number,
    send: (rows: SyncEventEntity[]) => Promise<void>,
  ): Promise<number> {
    return this.em.transaction(async (manager) => {
      const rows = await manager.query<SyncEventRow[]>(
        `SELECT * FROM sync_events
          WHERE outbound_event_id IS NOT NULL AND published_at IS NULL
            AND created_at < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY created_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [minAgeMs, limit],
      );
      if (rows.length === 0) return 0;
      const owed = rows.map(fromRow);
      await send(owed);
      await new SyncEventLog(manager).markPublished(owed.map((row) => row.id));
      return owed.length;
    });
  }

  /** Existing rows for these de-duplication keys, by key. */
  async findByDedupeKeys(keys: string[]): Promise<Map<string, SyncEventEntity>> {
    if (keys.length === 0) return new Map();
    const rows = await this.em.query<SyncEventRow[]>(
      `SELECT * FROM sync_events WHERE dedupe_key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((row) => [row.dedupe_key, fromRow(row)]));
  }

  /**
   * Unresolved findings of one mismatch type whose `details.<field>` array mentions any id.
   * Inside a transaction (`Store.transaction`) the rows are locked until it ends, so two
   * writers merging into the same row's details do not overwrite each other.
   */
  async findOpenMentioning(
    mismatchType: string,
    field: string,
    ids: string[],
  ): Promise<SyncEventEntity[]> {
    if (ids.length === 0) return [];
    const inTransaction = this.em.queryRunner?.isTransactionActive ?? false;
    const rows = await this.em.query<SyncEventRow[]>(
      `SELECT * FROM sync_events
        WHERE mismatch_type = $1 AND NOT resolved AND details -> $2 ?| $3::text[]
        ORDER BY id${inTransaction ? ' FOR UPDATE' : ''}`,
      [mismatchType, field, ids],
    );
    return rows.map(fromRow);
  }

  /** Replaces a row's details and optionally resolves it; returns false if it was resolved already. */
  async updateDetails(
    id: string,
    details: Record<string, unknown>,
    resolution: { resolvedBy: string } | null,
  ): Promise<boolean> {
    const result = await this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({
        // The jsonb document is replaced whole, passed as JSON text (as `recordMany` does):
        // TypeORM's typed `set` would check it field by field like an embedded entity.
        details: () => ':details',
        ...(resolution
          ? { resolved: true, resolvedAt: () => 'now()', resolvedBy: resolution.resolvedBy }
          : {}),
      })
      .setParameter('details', JSON.stringify(details))
      .where('id = :id AND NOT resolved', { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Rows per event type and mismatch type, unresolved ones apart (for status lines). */
  async countByKind(): Promise<FindingCount[]> {
    const rows = await this.em.query<
      Array<{ event_type: string; mismatch_type: string | null; total: string; open: string }>
    >(
      `SELECT event_type, mismatch_type, count(*) AS total, count(*) FILTER (WHERE NOT resolved) AS open
         FROM sync_events GROUP BY event_type, mismatch_type ORDER BY event_type, mismatch_type`,
    );
    return rows.map((row) => ({
      eventType: row.event_type,
      mismatchType: row.mismatch_type,
      total: Number(row.total),
      open: Number(row.open),
    }));
  }

  findById(id: string): Promise<SyncEventEntity | null> {
    return this.em.getRepository(SyncEventEntity).findOneBy({ id });
  }
}

/** A `sync_events` row as the driver returns it from plain SQL (`SELECT *`). */
export interface SyncEventRow {
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

function fromRow(row: SyncEventRow): SyncEventEntity {
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
