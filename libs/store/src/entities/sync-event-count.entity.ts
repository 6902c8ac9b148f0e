/**
 * The sync event log's rollup: rows recorded per UTC hour and kind. `SyncEventLog` adds to it
 * in the statement that records rows, so dashboards read a few hundred rows a day instead of
 * counting the log. Writers add to one of several `shard` rows at random, so that concurrent
 * writers of the same kind rarely wait on the same row; readers sum the shards.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'sync_event_counts' })
export class SyncEventCountEntity {
  @PrimaryColumn({ type: 'timestamptz' })
  hour!: Date;

  @PrimaryColumn({ name: 'event_type', type: 'text' })
  eventType!: string;

  /** The mismatch type, or empty for rows without one (a key column cannot be null). */
  @PrimaryColumn({ name: 'mismatch_type', type: 'text', default: '' })
  mismatchType!: string;

  @PrimaryColumn({ type: 'smallint', default: 0 })
  shard!: number;

  @Column({ type: 'bigint' })
  total!: string;
}
