/**
 * The idempotency record for inbound events: `claim` succeeds once per (consumer group,
 * event id), so a redelivered or replayed event is recognised and skipped.
 *
 * The table is split by day (`store-partitions.ts`), and the day of a claim is the day the
 * event itself says it occurred, not the day it was handled: a redelivery or a replay carries
 * the same `occurred_at`, so it meets its first claim in the same partition, on the table's
 * key, with one index probe and no look-up across days. An event is therefore recognised for
 * `RETENTION_PROCESSED_EVENTS_DAYS` after it occurred (its day's partition is dropped then);
 * one older than the oldest partition when first claimed goes to the default partition, where
 * it is kept that long after its claim. A timestamp no calendar can hold is filed under one
 * fixed day, so it too is recognised when it comes again.
 */
import { DataSource, type EntityManager } from 'typeorm';
import { ProcessedInboundEventEntity } from './entities/processed-inbound-event.entity';

/** An inbound event as its claim needs it. */
export interface InboundEventClaim {
  eventId: string;
  topic: string;
  /** The event's own `occurred_at`, in milliseconds since the epoch. */
  occurredAt: number;
}

/** Where timestamps outside any sensible calendar are filed (the default partition holds it). */
const UNDATED_DAY = '1970-01-01';
const LATEST_MS = Date.UTC(9999, 11, 31);

/** The UTC day an event is filed under: the day it occurred. */
export function claimDayOf(occurredAt: number): string {
  if (!Number.isFinite(occurredAt) || occurredAt < 0 || occurredAt > LATEST_MS) {
    return UNDATED_DAY;
  }
  return new Date(occurredAt).toISOString().slice(0, 10);
}

export class ProcessedInboundEvents {
  private readonly em: EntityManager;

  /** @param db the data source, or a transaction's manager (see `Store.transaction`). */
  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /**
   * Marks the event as processed by the group. Returns false if it already was. Within
   * `Store.transaction` the mark commits or rolls back with the handler's own writes.
   */
  async claim(consumerGroup: string, event: InboundEventClaim): Promise<boolean> {
    const claimed = await this.claimMany(consumerGroup, [event]);
    return claimed.has(event.eventId);
  }

  /**
   * Batch form of `claim`: one insert for many events. Returns the ids that were claimed now;
   * the others had been processed by the group before.
   */
  async claimMany(consumerGroup: string, events: InboundEventClaim[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // Raw SQL: unnest keeps one statement and four parameters for ingest's batches of hundreds
    const rows = await this.em.query<Array<{ event_id: string }>>(
      `INSERT INTO processed_inbound_events (consumer_group, event_id, topic, processed_day)
       SELECT $1, event_id, topic, day
         FROM unnest($2::uuid[], $3::text[], $4::date[]) AS e(event_id, topic, day)
       ON CONFLICT DO NOTHING
       RETURNING event_id`,
      [
        consumerGroup,
        events.map((e) => e.eventId),
        events.map((e) => e.topic),
        events.map((e) => claimDayOf(e.occurredAt)),
      ],
    );
    return new Set(rows.map((row) => row.event_id));
  }

  /** The ids among `events` the group has claimed already (read only: nothing is claimed). */
  async claimedAmong(consumerGroup: string, events: InboundEventClaim[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const rows = await this.em
      .createQueryBuilder(ProcessedInboundEventEntity, 'claim')
      .select('claim.eventId', 'event_id')
      .where('claim.consumerGroup = :consumerGroup', { consumerGroup })
      // The day narrows the look-up to the partitions the events were filed in.
      .andWhere('claim.processedDay IN (:...days)', {
        days: [...new Set(events.map((e) => claimDayOf(e.occurredAt)))],
      })
      .andWhere('claim.eventId IN (:...ids)', { ids: events.map((e) => e.eventId) })
      .getRawMany<{ event_id: string }>();
    return new Set(rows.map((row) => row.event_id));
  }

  /** How many events the group has taken in so far (for status lines). */
  async count(consumerGroup: string): Promise<number> {
    return this.em.countBy(ProcessedInboundEventEntity, { consumerGroup });
  }
}
