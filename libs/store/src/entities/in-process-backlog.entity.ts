/**
 * What the embedded mode's in-process bus still held for a consumer group when the process
 * stopped (delayed re-checks waiting for their time, most often). `InProcessBacklog` saves it on
 * a graceful stop and takes it back, removing it, at the next start. Kafka deployments never
 * write here: their broker keeps unconsumed events.
 */
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'in_process_backlog' })
export class InProcessBacklogEntity {
  /** A sequence: messages are handed back in the order they were saved. */
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'in_process_backlog_pkey',
  })
  id!: string;

  @Column({ name: 'consumer_group', type: 'text' })
  consumerGroup!: string;

  @Column({ type: 'text' })
  topic!: string;

  /** The bytes the bus encoded, kept as they are. */
  @Column({ name: 'message_key', type: 'bytea', nullable: true })
  messageKey!: Buffer | null;

  @Column({ name: 'message_value', type: 'bytea', nullable: true })
  messageValue!: Buffer | null;

  @Column({ name: 'saved_at', type: 'timestamptz', default: () => 'now()' })
  savedAt!: Date;
}
