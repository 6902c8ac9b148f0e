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
      outboundEventId: entry.publishes ? randomUUID() : null,
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

  /** Marks the outbound events of these rows as sent. */
  async markPublished(ids: string[], manager?: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await (manager ?? this.dataSource.manager)
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({ publishedAt: () => 'now()' })
      .where('id IN (:...ids) AND published_at IS NULL', { ids })
      .execute();
  }

  /** Existing rows for these de-duplication keys, by key. */
  async findByDedupeKeys(keys: string[]): Promise<Map<string, SyncEventEntity>> {
    if (keys.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(SyncEventEntity)
      .createQueryBuilder('e')
      .where('e.dedupe_key IN (:...keys)', { keys })
      .getMany();
    return new Map(rows.map((row) => [row.dedupeKey, row]));
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
