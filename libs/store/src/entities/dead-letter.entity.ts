/**
 * The dead letters of `bridge.dlq.events`, kept queryable for operators (`DeadLetterStore`): the
 * API's dead-letter archive consumer records each one, and an operator's requeue marks it. The
 * topic is for machines; people filter, read and requeue here.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'dead_letters' })
// The newest-first listing, keyset-paged by `(occurred_at, id)`, and its usual filters.
@Index('ix_dead_letters_occurred', ['occurredAt', 'id'])
@Index('ix_dead_letters_source', ['sourceTopic', 'failureKind'])
// Retention counts a requeued letter from its requeue and a pending one from its recording.
@Index('ix_dead_letters_requeued', ['requeuedAt'], { where: '"requeued_at" IS NOT NULL' })
@Index('ix_dead_letters_pending', ['recordedAt'], { where: '"requeued_at" IS NULL' })
export class DeadLetterEntity {
  /** The dead letter's event id, so that a redelivered one is kept once. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'dead_letters_pkey' })
  id!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  /** Where the failed record was read: topic, partition and offset. */
  @Column({ name: 'source_topic', type: 'text' })
  sourceTopic!: string;

  @Column({ name: 'source_partition', type: 'integer' })
  sourcePartition!: number;

  /** Text: a Kafka offset is a 64-bit integer. */
  @Column({ name: 'source_offset', type: 'text' })
  sourceOffset!: string;

  @Column({ name: 'consumer_group', type: 'text' })
  consumerGroup!: string;

  /** The original record's key and value, byte for byte, so a requeue resends them unchanged. */
  @Column({ type: 'bytea', nullable: true })
  key!: Buffer | null;

  @Column({ type: 'bytea', nullable: true })
  payload!: Buffer | null;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'failure_kind', type: 'text' })
  failureKind!: string;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;

  @Column({ name: 'requeue_count', type: 'integer', default: 0 })
  requeueCount!: number;

  /** The last requeue, and who asked for it; null while never requeued. */
  @Column({ name: 'requeued_at', type: 'timestamptz', nullable: true })
  requeuedAt!: Date | null;

  @Column({ name: 'requeued_by', type: 'text', nullable: true })
  requeuedBy!: string | null;
}
