/**
 * Inbound events a consumer group has already handled, by `event_id`: the idempotency record
 * that makes Kafka redelivery and replays harmless. Kept `RETENTION_PROCESSED_EVENTS_DAYS`, at
 * least as long as the inbound topics keep their events.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'processed_inbound_events' })
@Index('ix_processed_inbound_events_at', ['processedAt'])
export class ProcessedInboundEventEntity {
  @PrimaryColumn({ name: 'consumer_group', type: 'text' })
  consumerGroup!: string;

  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;
}
