/**
 * The run ids Cappella listed to the scans (`KnownRunIds`), against which the Hippo side of a
 * scan checks the runs named in entities' provenance: held in the database rather than in the
 * scanner's memory, whatever the size of the history. A full scan forgets the runs it did not
 * list (deleted from Cappella).
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'scan_known_runs' })
export class ScanKnownRunEntity {
  @PrimaryColumn({ name: 'run_id', type: 'text', primaryKeyConstraintName: 'scan_known_runs_pkey' })
  runId!: string;

  /**
   * The last scan that listed the run, which is how a full scan tells the runs it did not list.
   * Not a foreign key, so that retention may delete old scans while their runs stay known.
   */
  @Column({ name: 'seen_by', type: 'uuid' })
  seenBy!: string;

  /**
   * The full scan whose output tallies the row holds (`KnownRunIds.expectOutputs`), or null:
   * the tallies below mean something only for that scan.
   */
  @Column({ name: 'tallied_by', type: 'uuid', nullable: true })
  talliedBy!: string | null;

  /** What Hippo should hold of the run: its distinct outputs, and their hash sum mod 2^52. */
  @Column({ name: 'outputs_expected', type: 'integer', default: 0 })
  outputsExpected!: number;

  @Column({ name: 'outputs_sum', type: 'bigint', default: 0 })
  outputsSum!: string;

  /** What Hippo's listing showed of it so far: available entities naming it, and their sum. */
  @Column({ name: 'outputs_seen', type: 'integer', default: 0 })
  outputsSeen!: number;

  @Column({ name: 'seen_sum', type: 'bigint', default: 0 })
  seenSum!: string;
}
