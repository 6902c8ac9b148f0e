/**
 * Writes to the sync event log. Recording is idempotent by `dedupe_key`: the first writer
 * creates the row, later writers of the same finding get the existing row back and
 * `created: false`, which is how callers know not to publish the finding a second time.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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
   */
  async recordMany(entries: NewSyncEvent[], manager?: EntityManager): Promise<RecordedSyncEvent[]> {
    if (entries.length === 0) return [];
    const em = manager ?? this.dataSource.manager;
    const rows = entries.map((entry) => ({
      id: randomUUID(),
      eventType: entry.eventType,
      source: entry.source,
      sourceId: entry.sourceId,
      dedupeKey: entry.dedupeKey,
      actor: entry.actor ?? null,
      details: entry.details ?? {},
      mismatchType: entry.mismatchType ?? null,
      repairStrategy: entry.repairStrategy ?? null,
    }));
    const inserted = await em
      .createQueryBuilder()
      .insert()
      .into(SyncEventEntity)
      .values(rows as QueryDeepPartialEntity<SyncEventEntity>[])
      .orIgnore()
      .returning(['dedupeKey'])
      .execute();
    const createdKeys = new Set(
      (inserted.raw as Array<{ dedupe_key: string }>).map((row) => row.dedupe_key),
    );
    const stored = await em
      .getRepository(SyncEventEntity)
      .createQueryBuilder('e')
      .where('e.dedupe_key IN (:...keys)', { keys: rows.map((row) => row.dedupeKey) })
      .getMany();
    const byKey = new Map(stored.map((event) => [event.dedupeKey, event]));
    return rows.map((row) => ({
      event: byKey.get(row.dedupeKey) as SyncEventEntity,
      created: createdKeys.has(row.dedupeKey) && byKey.get(row.dedupeKey)?.id === row.id,
    }));
  }

  findById(id: string): Promise<SyncEventEntity | null> {
    return this.dataSource.getRepository(SyncEventEntity).findOneBy({ id });
  }

  findByDedupeKey(dedupeKey: string): Promise<SyncEventEntity | null> {
    return this.dataSource.getRepository(SyncEventEntity).findOneBy({ dedupeKey });
  }
}
