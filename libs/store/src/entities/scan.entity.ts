/**
 * The scans: one row per scan, from request to completion (`ScanStore`). The schedule, an
 * operator or the API inserts a `requested` row; the scanner holding the scan lock takes it over
 * as its `holder` and moves its checkpoint, counts and errors page by page.
 */
import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MismatchType } from '@bridge/contracts';
import type {
  PerComponent,
  ScanCheckpoint,
  ScanMethod,
  ScanMode,
  ScanPhase,
  ScanStatus,
  ScanTrigger,
} from '../scan-store';

@Entity({ name: 'scans' })
@Check('ck_scans_status', `"status" IN ('requested', 'running', 'paused', 'completed', 'failed')`)
@Check('ck_scans_mode', `"mode" IN ('full', 'incremental')`)
@Check('ck_scans_method', `"method" IN ('listing', 'digest')`)
@Check('ck_scans_phase', `"phase" IN ('cappella', 'hippo', 'digest', 'done')`)
// One active scan (requested, running or paused) at a time, however many scanners run: a unique
// index on a constant, `((true))`, over the active rows. TypeORM cannot declare an expression
// index, so the migration owns it.
@Index('ux_scans_one_active', { synchronize: false })
@Index('ix_scans_requested', ['requestedAt'])
export class ScanEntity {
  /** Generated in application code. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'scans_pkey' })
  id!: string;

  @Column({ type: 'text' })
  trigger!: ScanTrigger;

  @Column({ type: 'text' })
  mode!: ScanMode;

  /** `listing` or `digest`: the one asked for until the scan starts, null for the scanner's choice. */
  @Column({ type: 'text', nullable: true })
  method!: ScanMethod | null;

  @Column({ type: 'text', default: 'requested' })
  status!: ScanStatus;

  /** The listing being read (Cappella's runs, then Hippo's entities), or `digest`. */
  @Column({ type: 'text', default: 'cappella' })
  phase!: ScanPhase;

  @Column({ name: 'requested_by', type: 'text', nullable: true })
  requestedBy!: string | null;

  /** The scanner carrying the scan out (its last one, once it ended). */
  @Column({ type: 'text', nullable: true })
  holder!: string | null;

  @Column({ name: 'requested_at', type: 'timestamptz', default: () => 'now()' })
  requestedAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /** Runs changed after this are left to the next scan (lag may still be in flight). */
  @Column({ name: 'grace_cutoff', type: 'timestamptz', nullable: true })
  graceCutoff!: Date | null;

  /** Where to read next in each listing; `{}`, and meaningless, until the scan starts. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  checkpoint!: ScanCheckpoint | Record<string, never>;

  /** Findings recorded, per mismatch type. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  counts!: Partial<Record<MismatchType, number>>;

  /** Per listing: pages read, items read and requests made (absent counts are zero). */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  pages!: Partial<PerComponent>;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  items!: Partial<PerComponent>;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  requests!: Partial<PerComponent>;

  /** What the previous comparable scan read: the basis of the completion estimate. */
  @Column({ name: 'estimated_items', type: 'integer', nullable: true })
  estimatedItems!: number | null;

  /** The latest errors, oldest first (a bounded list). */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  errors!: Array<{ at: string; message: string }>;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
