/**
 * The service status board (`ServiceStatusStore`): one row per running service process, by its
 * instance id, replaced at every reporting interval with what the process measured over the last
 * one, and marked when the process stops. The API reads it, so the overview of a distributed
 * deployment needs only the database.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'service_status' })
// The overview lists the processes that reported recently.
@Index('ix_service_status_reported', ['reportedAt'])
export class ServiceStatusEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'service_status_pkey' })
  instance!: string;

  @Column({ type: 'text' })
  service!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'reported_at', type: 'timestamptz' })
  reportedAt!: Date;

  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true })
  stoppedAt!: Date | null;

  /** What the process measured over its last interval (`OperationsSnapshot`). */
  @Column({ type: 'jsonb' })
  snapshot!: Record<string, unknown>;
}
