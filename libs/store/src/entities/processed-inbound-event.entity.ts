/**
 * Inbound events a consumer group has already handled, by `event_id`: the idempotency record
 * that makes Kafka redelivery and replays harmless. Kept `RETENTION_PROCESSED_EVENTS_DAYS`, at
 * least as long as the inbound topics keep their events.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Split by `processed_day`, the day the event occurred (see `store-partitions.ts`), which is
 * therefore part of the key: a redelivered event has the same day, so it meets its first claim.
 */
@Entity({ name: 'processed_inbound_events' })
export class ProcessedInboundEventEntity {
  @PrimaryColumn({ name: 'consumer_group', type: 'text' })
  consumerGroup!: string;

  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;

  @PrimaryColumn({ name: 'processed_day', type: 'date' })
  processedDay!: string;
}
