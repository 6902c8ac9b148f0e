/**
 * Inbound events a consumer group has already handled, by `event_id`: the idempotency record
 * that makes Kafka redelivery and replays harmless.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

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
}
