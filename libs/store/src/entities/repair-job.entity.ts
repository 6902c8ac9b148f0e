/**
 * The repair service's jobs: one row per repair of a finding, from planning to confirmation
 * (`RepairJobs`; what each column means is on `RepairJob`). Repair workers claim and advance
 * jobs; operators approve, reject and retry them through the API.
 */
import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { MismatchType, RepairStrategy } from '@bridge/contracts';
import type { RepairPlan, RepairState } from '../repair-job-kinds';

@Entity({ name: 'repair_jobs' })
@Check(
  'ck_repair_jobs_state',
  `"state" IN ('PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING', 'DONE', 'FAILED', 'REJECTED', 'EXPIRED')`,
)
// A finding may have had several jobs (retries), but only one active at a time.
@Index('ux_repair_jobs_active_finding', ['syncEventId'], {
  unique: true,
  where: `"state" IN ('PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING')`,
})
@Index('ix_repair_jobs_finding', ['syncEventId', 'createdAt'])
// The worker's claim: jobs not finished, due by `next_attempt_at`.
@Index('ix_repair_jobs_due', ['state', 'nextAttemptAt'], {
  where: `"state" NOT IN ('DONE', 'FAILED', 'REJECTED')`,
})
// Confirmation matches Hippo's news of a run to the job that submitted it.
@Index('ix_repair_jobs_submitted_run', ['submittedRunId'], { where: `"state" = 'EXECUTING'` })
@Index('ix_repair_jobs_unpublished', ['finishedAt'], {
  where: '"outbound_event_id" IS NOT NULL AND "published_at" IS NULL',
})
@Index('ix_repair_jobs_expiring', ['expiresAt'], { where: `"state" = 'AWAITING_APPROVAL'` })
// Retention deletes finished jobs by when they finished.
@Index('ix_repair_jobs_finished', ['finishedAt'], { where: '"finished_at" IS NOT NULL' })
export class RepairJobEntity {
  /** Generated in application code. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'repair_jobs_pkey' })
  id!: string;

  /**
   * The finding repaired. No foreign key: the partitioned `sync_events` is keyed by
   * `(id, tier, created_day)`, so its `id` alone cannot be referenced.
   */
  @Column({ name: 'sync_event_id', type: 'uuid' })
  syncEventId!: string;

  @Column({ name: 'mismatch_type', type: 'text' })
  mismatchType!: MismatchType;

  @Column({ type: 'text' })
  strategy!: RepairStrategy;

  @Column({ type: 'text', default: 'PENDING' })
  state!: RepairState;

  @Column({ type: 'integer', default: 0 })
  priority!: number;

  @Column({ name: 'finding_created_at', type: 'timestamptz' })
  findingCreatedAt!: Date;

  /** Null until planning stores what execution will do. */
  @Column({ type: 'jsonb', nullable: true })
  plan!: RepairPlan | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'lease_holder', type: 'text', nullable: true })
  leaseHolder!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  /** Committed as the request to Cappella leaves, so a job is never submitted twice. */
  @Column({ name: 'submission_started_at', type: 'timestamptz', nullable: true })
  submissionStartedAt!: Date | null;

  /**
   * Where the search of Cappella's run listing for a submission with an unknown outcome goes on
   * from: the scanner's Cappella cursor when the submission was marked sent, then as far as the
   * search has read. Null: from the listing's beginning.
   */
  @Column({ name: 'submission_search_after', type: 'text', nullable: true })
  submissionSearchAfter!: string | null;

  @Column({ name: 'submitted_run_id', type: 'text', nullable: true })
  submittedRunId!: string | null;

  @Column({ name: 'confirm_by', type: 'timestamptz', nullable: true })
  confirmBy!: Date | null;

  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decision_reason', type: 'text', nullable: true })
  decisionReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  /** `event_id` of the job's `bridge.sync.repaired`, owed while `published_at` is null. */
  @Column({ name: 'outbound_event_id', type: 'uuid', nullable: true })
  outboundEventId!: string | null;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ name: 'retry_of', type: 'uuid', nullable: true })
  retryOf!: string | null;

  /**
   * The job `retry_of` repeats. Deleting it (retention) clears the link rather than being
   * refused, so a retry never keeps an old job alive. Mapped for the foreign key only: code reads
   * `retryOf`.
   */
  @ManyToOne(() => RepairJobEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'retry_of', foreignKeyConstraintName: 'repair_jobs_retry_of_fkey' })
  retriedJob!: RepairJobEntity | null;

  /** The operator who started the job; null when the finding's strategy did. */
  @Column({ name: 'requested_by', type: 'text', nullable: true })
  requestedBy!: string | null;

  /** While awaiting approval: when the job stops waiting and becomes EXPIRED. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
