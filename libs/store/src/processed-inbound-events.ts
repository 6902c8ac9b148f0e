/**
 * The idempotency record for inbound events: `claim` succeeds once per (consumer group,
 * event id), so a redelivered or replayed event is recognised and skipped.
 */
import { DataSource, type EntityManager } from 'typeorm';

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
  async claim(consumerGroup: string, eventId: string, topic: string): Promise<boolean> {
    const claimed = await this.claimMany(consumerGroup, [{ eventId, topic }]);
    return claimed.has(eventId);
  }

  /**
   * Batch form of `claim`: one insert for many events. Returns the ids that were claimed now;
   * the others had been processed by the group before.
   */
  async claimMany(
    consumerGroup: string,
    events: Array<{ eventId: string; topic: string }>,
  ): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // Plain SQL over `unnest`: ingest calls this once per batch of hundreds of events. The
    // table is split by day and its key holds the day, so an id is looked up in every day's
    // partition before it is claimed; concurrent claims of one id on the same day meet on the
    // key, and one group's claims of one event are serialised by Kafka's partition ownership.
    const rows = await this.em.query<Array<{ event_id: string }>>(
      `INSERT INTO processed_inbound_events (consumer_group, event_id, topic, processed_day)
       SELECT $1, e.event_id, e.topic, (now() AT TIME ZONE 'UTC')::date
         FROM unnest($2::uuid[], $3::text[]) AS e(event_id, topic)
        WHERE NOT EXISTS (SELECT 1 FROM processed_inbound_events p
                           WHERE p.consumer_group = $1 AND p.event_id = e.event_id)
       ON CONFLICT DO NOTHING
       RETURNING event_id`,
      [consumerGroup, events.map((e) => e.eventId), events.map((e) => e.topic)],
    );
    return new Set(rows.map((row) => row.event_id));
  }

  /** How many events the group has taken in so far (for status lines). */
  async count(consumerGroup: string): Promise<number> {
    const [row] = await this.em.query<Array<{ count: string }>>(
      `SELECT count(*) AS count FROM processed_inbound_events WHERE consumer_group = $1`,
      [consumerGroup],
    );
    return Number(row?.count ?? 0);
  }
}
