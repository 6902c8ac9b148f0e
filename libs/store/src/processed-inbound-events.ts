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
    // Plain SQL over `unnest`: ingest calls this once per batch of hundreds of events.
    const rows = await this.em.query<Array<{ event_id: string }>>(
      `INSERT INTO processed_inbound_events (consumer_group, event_id, topic)
       SELECT $1, event_id, topic FROM unnest($2::uuid[], $3::text[]) AS e(event_id, topic)
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
