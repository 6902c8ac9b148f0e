/**
 * The dead letters, queryable: every `bridge.dlq.events` record kept as a row (by its event id,
 * so a redelivered one is kept once), filtered and paged newest first, and marked when an
 * operator requeues it. The requeue itself (the original bytes back to their topic) is the
 * API's `DeadLetterRequeue`; this is only what the database knows.
 */
import { DataSource, type EntityManager } from 'typeorm';
import type { DeadLetter } from '@bridge/contracts';

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

interface DeadLetterRow {
  id: string;
  occurred_at: Date;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  consumer_group: string;
  key: Buffer | null;
  payload: Buffer | null;
  reason: string;
  failure_kind: string;
  attempts: number;
  recorded_at: Date;
  requeue_count: number;
  requeued_at: Date | null;
  requeued_by: string | null;
}

const FILTER = `($1::text IS NULL OR source_topic = $1)
  AND ($2::text IS NULL OR failure_kind = $2)
  AND ($3::text IS NULL OR consumer_group = $3)
  AND ($4::text = 'all' OR (requeue_count > 0) = ($4::text = 'requeued'))
  AND ($5::timestamptz IS NULL OR occurred_at >= $5)
  AND ($6::timestamptz IS NULL OR occurred_at < $6)`;

export class DeadLetterStore {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /** Keeps the dead letters not kept yet; returns how many were new. */
  async recordMany(letters: readonly DeadLetter[]): Promise<number> {
    if (letters.length === 0) return 0;
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
    const rows = await this.em.query<Array<DeadLetterRow & { position_at: string }>>(
      `SELECT *, occurred_at::text AS position_at FROM dead_letters
        WHERE ${FILTER}
          AND ($7::timestamptz IS NULL OR (occurred_at, id) < ($7::timestamptz, $8::uuid))
        ORDER BY occurred_at DESC, id DESC LIMIT $9`,
      [...filterParams(filter), after?.occurredAt ?? null, after?.id ?? null, limit + 1],
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(deadLetterFromRow),
      next: rows.length > limit && last ? { occurredAt: last.position_at, id: last.id } : null,
    };
  }

  /** Up to `limit` dead letters matching the filter, oldest first (the order to requeue in). */
  async matching(filter: DeadLetterFilter, limit: number): Promise<StoredDeadLetter[]> {
    const rows = await this.em.query<DeadLetterRow[]>(
      `SELECT * FROM dead_letters WHERE ${FILTER} ORDER BY occurred_at, id LIMIT $7`,
      [...filterParams(filter), limit],
    );
    return rows.map(deadLetterFromRow);
  }

  async findById(id: string): Promise<StoredDeadLetter | null> {
    const rows = await this.em.query<DeadLetterRow[]>(`SELECT * FROM dead_letters WHERE id = $1`, [
      id,
    ]);
    return rows.length === 0 ? null : deadLetterFromRow(rows[0]);
  }

  /** Records that these were requeued, by whom. */
  async markRequeued(ids: readonly string[], by: string): Promise<void> {
    if (ids.length === 0) return;
    await this.em.query(
      `UPDATE dead_letters SET requeue_count = requeue_count + 1, requeued_at = now(), requeued_by = $2
        WHERE id = ANY($1::uuid[])`,
      [ids, by],
    );
  }
}

function filterParams(filter: DeadLetterFilter): unknown[] {
  return [
    filter.sourceTopic ?? null,
    filter.failureKind ?? null,
    filter.consumerGroup ?? null,
    filter.status,
    filter.since ?? null,
    filter.until ?? null,
  ];
}

function deadLetterFromRow(row: DeadLetterRow): StoredDeadLetter {
  return {
    id: row.id,
    occurredAt: new Date(row.occurred_at),
    sourceTopic: row.source_topic,
    sourcePartition: row.source_partition,
    sourceOffset: row.source_offset,
    consumerGroup: row.consumer_group,
    key: row.key,
    payload: row.payload,
    reason: row.reason,
    failureKind: row.failure_kind,
    attempts: row.attempts,
    recordedAt: new Date(row.recorded_at),
    requeueCount: row.requeue_count,
    requeuedAt: row.requeued_at === null ? null : new Date(row.requeued_at),
    requeuedBy: row.requeued_by,
  };
}
