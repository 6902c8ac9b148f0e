/**
 * The dead letters, queryable: every `bridge.dlq.events` record kept as a row (by its event id,
 * so a redelivered one is kept once), filtered and paged newest first, and marked when an
 * operator requeues it. The requeue itself (the original bytes back to their topic) is the
 * API's `DeadLetterRequeue`; this is only what the database knows.
 */
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import type { DeadLetter } from '@bridge/contracts';
import { DeadLetterEntity } from './entities/dead-letter.entity';
import { newestFirstPage } from './newest-first-page';

export interface StoredDeadLetter {
  id: string;
  occurredAt: Date;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  consumerGroup: string;
  key: Buffer | null;
  payload: Buffer | null;
  reason: string;
  failureKind: string;
  attempts: number;
  recordedAt: Date;
  requeueCount: number;
  requeuedAt: Date | null;
  requeuedBy: string | null;
}

export interface DeadLetterFilter {
  sourceTopic?: string;
  failureKind?: string;
  consumerGroup?: string;
  /** `pending`: never requeued; `requeued`: requeued at least once. */
  status: 'pending' | 'requeued' | 'all';
  since?: Date;
  until?: Date;
}

/** Where a dead letter stands in the newest-first order. */
export interface DeadLetterPosition {
  occurredAt: string;
  id: string;
}

export class DeadLetterStore {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /** Keeps the dead letters not kept yet; returns how many were new. */
  async recordMany(letters: readonly DeadLetter[]): Promise<number> {
    if (letters.length === 0) return 0;
    // Raw SQL: unnest arrays keep one statement and eleven parameters whatever the batch size.
    const rows = await this.em.query<Array<{ id: string }>>(
      `INSERT INTO dead_letters (id, occurred_at, source_topic, source_partition, source_offset,
                                 consumer_group, key, payload, reason, failure_kind, attempts)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::int[], $5::text[],
                            $6::text[], $7::bytea[], $8::bytea[], $9::text[], $10::text[], $11::int[])
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [
        letters.map((l) => l.event_id),
        letters.map((l) => new Date(l.occurred_at)),
        letters.map((l) => l.source_topic),
        letters.map((l) => l.source_partition),
        letters.map((l) => l.source_offset),
        letters.map((l) => l.consumer_group),
        letters.map((l) => l.key ?? null),
        letters.map((l) => l.payload ?? null),
        letters.map((l) => l.reason),
        letters.map((l) => l.failure_kind),
        letters.map((l) => l.attempts),
      ],
    );
    return rows.length;
  }

  /** One page, newest first; `after` is the previous page's last position. */
  async page(
    filter: DeadLetterFilter,
    after: DeadLetterPosition | null,
    limit: number,
  ): Promise<{ items: StoredDeadLetter[]; next: DeadLetterPosition | null }> {
    const page = await newestFirstPage(
      this.filtered(filter),
      { time: 'd.occurredAt', id: 'd.id' },
      after && { at: after.occurredAt, id: after.id },
      limit,
    );
    return {
      items: page.items.map(storedDeadLetter),
      next: page.next && { occurredAt: page.next.at, id: page.next.id },
    };
  }

  /** Up to `limit` dead letters matching the filter, oldest first (the order to requeue in). */
  async matching(filter: DeadLetterFilter, limit: number): Promise<StoredDeadLetter[]> {
    const letters = await this.filtered(filter)
      .orderBy('d.occurredAt', 'ASC')
      .addOrderBy('d.id', 'ASC')
      .limit(limit)
      .getMany();
    return letters.map(storedDeadLetter);
  }

  async findById(id: string): Promise<StoredDeadLetter | null> {
    const letter = await this.em.findOneBy(DeadLetterEntity, { id });
    return letter === null ? null : storedDeadLetter(letter);
  }

  /** Dead letters never requeued: what still waits for an operator. */
  countPending(): Promise<number> {
    return this.em.countBy(DeadLetterEntity, { requeueCount: 0 });
  }

  /** Records that these were requeued, by whom. */
  async markRequeued(ids: readonly string[], by: string): Promise<void> {
    if (ids.length === 0) return;
    await this.em
      .createQueryBuilder()
      .update(DeadLetterEntity)
      .set({ requeueCount: () => 'requeueCount + 1', requeuedAt: () => 'now()', requeuedBy: by })
      // One array parameter, where `IN` would take one per id.
      .where('id = ANY(:ids)', { ids })
      .execute();
  }

  /** The dead letters the filter lets through, as `d`; each condition only when it is set. */
  private filtered(filter: DeadLetterFilter): SelectQueryBuilder<DeadLetterEntity> {
    const query = this.em.createQueryBuilder(DeadLetterEntity, 'd');
    if (filter.sourceTopic !== undefined) {
      query.andWhere('d.sourceTopic = :sourceTopic', { sourceTopic: filter.sourceTopic });
    }
    if (filter.failureKind !== undefined) {
      query.andWhere('d.failureKind = :failureKind', { failureKind: filter.failureKind });
    }
    if (filter.consumerGroup !== undefined) {
      query.andWhere('d.consumerGroup = :consumerGroup', { consumerGroup: filter.consumerGroup });
    }
    if (filter.status !== 'all') {
      query.andWhere(filter.status === 'requeued' ? 'd.requeueCount > 0' : 'd.requeueCount = 0');
    }
    if (filter.since !== undefined) {
      query.andWhere('d.occurredAt >= :since', { since: filter.since });
    }
    if (filter.until !== undefined) {
      query.andWhere('d.occurredAt < :until', { until: filter.until });
    }
    return query;
  }
}

function storedDeadLetter(letter: DeadLetterEntity): StoredDeadLetter {
  return {
    id: letter.id,
    occurredAt: letter.occurredAt,
    sourceTopic: letter.sourceTopic,
    sourcePartition: letter.sourcePartition,
    sourceOffset: letter.sourceOffset,
    consumerGroup: letter.consumerGroup,
    key: letter.key,
    payload: letter.payload,
    reason: letter.reason,
    failureKind: letter.failureKind,
    attempts: letter.attempts,
    recordedAt: letter.recordedAt,
    requeueCount: letter.requeueCount,
    requeuedAt: letter.requeuedAt,
    requeuedBy: letter.requeuedBy,
  };
}
