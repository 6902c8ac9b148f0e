/**
 * The repair service's persistent state: one `repair_jobs` row per finding being repaired.
 *
 * Every step a worker takes is a claim (an UPDATE that only one instance can win, thanks to
 * `FOR UPDATE SKIP LOCKED` and leases) followed by a recorded outcome, so concurrent repair
 * instances share the work without doing any of it twice, and an instance killed mid-step
 * leaves a lease that expires rather than a job that is stuck. The one step that must never be
 * repeated, asking Cappella to run, is marked (`markSubmissionSent`, `submission_started_at`) and
 * committed as the request is about to leave, not when the job is claimed: a job claimed but
 * never sent (its worker killed while the request waited for a connection) is submitted by the
 * next worker, and only one that may have reached Cappella waits for Hippo to tell.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { InvalidRecordError } from '@bridge/errors';
import {
  ACTIVE_REPAIR_STATES,
  FINISHED_REPAIR_STATES,
  REPAIR_STATES,
  RepairJobKindSchema,
  type NewRepairJob,
  type RepairJob,
  type RepairPlan,
  type RepairState,
} from './repair-job-kinds';
import { OWED, countOwedRows, relayOwedRows } from './outbox';

/** A `repair_jobs` row as the driver returns it. */
interface RepairJobRow {
  id: string;
  sync_event_id: string;
  mismatch_type: string;
  strategy: string;
  state: string;
  priority: number;
  finding_created_at: Date;
  plan: unknown;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  lease_holder: string | null;
  lease_until: Date | null;
  submission_started_at: Date | null;
  submitted_run_id: string | null;
  confirm_by: Date | null;
  decided_by: string | null;
  decision_reason: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  outbound_event_id: string | null;
  published_at: Date | null;
  retry_of?: string | null;
  requested_by?: string | null;
  expires_at?: Date | null;
  subject_keys: string[] | null;
}

/** How a claim is made: who claims, for how long, and how many jobs at most. */
export interface Claim {
  holder: string;
  leaseMs: number;
  limit: number;
}

/** What an outcome changes on a job; absent fields keep their value. */
export interface RepairJobChange {
  state?: RepairState;
  plan?: RepairPlan | null;
  lastError?: string | null;
  /** Milliseconds from now before the job is worked on again. */
  retryInMs?: number;
  /** Resets the attempt counter (a new phase starts counting afresh). */
  resetAttempts?: boolean;
  /** Counts a failed attempt of a step that did not count it when claiming (planning). */
  countAttempt?: boolean;
  submittedRunId?: string | null;
  /** Clears the in-flight mark: the submission certainly did not happen. */
  clearSubmission?: boolean;
  confirmInMs?: number;
  decidedBy?: string;
  decisionReason?: string | null;
  /** Owes a `bridge.sync.repaired` with this event id. */
  outboundEventId?: string;
  /** With AWAITING_APPROVAL: the job stops waiting (EXPIRED) this many milliseconds from now. */
  expiresInMs?: number;
  /** Marks the repaired event as already sent (someone else announced the repair). */
  published?: boolean;
}

/** One job's outcome in a batch: the job, the states it must be in, and what changes. */
export interface RepairJobOutcome {
  id: string;
  from: RepairState | readonly RepairState[];
  change: RepairJobChange;
}

export interface RepairJobFilter {
  states?: RepairState[];
  limit?: number;
}

/** The states as SQL lists (constants, never input). */
const ACTIVE_LIST = ACTIVE_REPAIR_STATES.map((state) => `'${state}'`).join(', ');
const FINISHED_LIST = FINISHED_REPAIR_STATES.map((state) => `'${state}'`).join(', ');

/** A job's subject keys, as a column of a query over `repair_jobs` aliased `alias`. */
const subjectKeysOf = (alias: string) =>
  `(SELECT array_agg(subject_key) FROM repair_job_subjects WHERE job_id = ${alias}.id) AS subject_keys`;

export class RepairJobStore {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /**
   * Creates the first job of each entry's finding, unless it has had one already (a redelivered
   * or re-recorded finding creates nothing); returns the jobs created. Operators start later
   * jobs with `createAnother`.
   */
  create(entries: NewRepairJob[]): Promise<RepairJob[]> {
    return this.insert(entries, 'first');
  }

  /**
   * Creates another job for each entry's finding, whatever jobs it had, unless one is active
   * (at most one is, which a unique index holds); returns the jobs created.
   */
  createAnother(entries: NewRepairJob[]): Promise<RepairJob[]> {
    return this.insert(entries, 'another');
  }

  private async insert(entries: NewRepairJob[], which: 'first' | 'another'): Promise<RepairJob[]> {
    if (entries.length === 0) return [];
    const unseen =
      which === 'first'
        ? `WHERE NOT EXISTS (SELECT 1 FROM repair_jobs j WHERE j.sync_event_id = n.sync_event_id)`
        : '';
    return this.em.transaction(async (manager) => {
      const rows = await manager.query<RepairJobRow[]>(
        `INSERT INTO repair_jobs (id, sync_event_id, mismatch_type, strategy, priority,
                                  finding_created_at, retry_of, requested_by)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[],
                              $6::timestamptz[], $7::uuid[], $8::text[])
                AS n(id, sync_event_id, mismatch_type, strategy, priority, finding_created_at,
                     retry_of, requested_by)
         ${unseen}
         ON CONFLICT (sync_event_id) WHERE state IN (${ACTIVE_LIST}) DO NOTHING
         RETURNING *`,
        [
          entries.map(() => randomUUID()),
          entries.map((e) => e.syncEventId),
          entries.map((e) => e.mismatchType),
          entries.map((e) => e.strategy),
          entries.map((e) => e.priority),
          entries.map((e) => e.findingCreatedAt),
          entries.map((e) => e.retryOf ?? null),
          entries.map((e) => e.requestedBy ?? null),
        ],
      );
      const keysByFinding = new Map(entries.map((e) => [e.syncEventId, e.subjectKeys]));
      const subjects = rows.flatMap((row) =>
        (keysByFinding.get(row.sync_event_id) ?? []).map((key) => ({ key, job: row.id })),
      );
      if (subjects.length > 0) {
        await manager.query(
          `INSERT INTO repair_job_subjects (subject_key, job_id)
           SELECT * FROM unnest($1::text[], $2::uuid[]) ON CONFLICT DO NOTHING`,
          [subjects.map((s) => s.key), subjects.map((s) => s.job)],
        );
      }
      return rows.map((row) =>
        repairJobFromRow({ ...row, subject_keys: keysByFinding.get(row.sync_event_id) ?? [] }),
      );
    });
  }

  /** PENDING jobs that are due, highest priority and oldest finding first, leased to `claim.holder`. */
  claimForPlanning(claim: Claim): Promise<RepairJob[]> {
    return this.claimWhere(`j.state = 'PENDING'`, claim, '');
  }

  /**
   * PLANNED jobs that are due and that no earlier unfinished job for the same run or entity
   * holds back, moved to EXECUTING in the same statement: once a job is returned here, no other
   * claim will ever return it for execution again.
   */
  claimForExecution(claim: Claim): Promise<RepairJob[]> {
    return this.claimWhere(
      `j.state = 'PLANNED'
       AND NOT EXISTS (
         SELECT 1 FROM repair_job_subjects mine
           JOIN repair_job_subjects other
             ON other.subject_key = mine.subject_key AND other.job_id <> mine.job_id
           JOIN repair_jobs earlier ON earlier.id = other.job_id
          WHERE mine.job_id = j.id
            AND earlier.state IN (${ACTIVE_LIST})
            AND (earlier.finding_created_at, earlier.id) < (j.finding_created_at, j.id))`,
      claim,
      `, state = 'EXECUTING', attempts = repair_jobs.attempts + 1`,
    );
  }

  /**
   * Marks the submission of an EXECUTING job as sent, just before its request leaves, while
   * `holder` still holds the job; false (send nothing) when the lease was lost or it was sent.
   */
  async markSubmissionSent(id: string, holder: string): Promise<boolean> {
    const [rows] = await this.em.query<[Array<{ id: string }>, number]>(
      `UPDATE repair_jobs SET submission_started_at = now(), updated_at = now()
        WHERE id = $1 AND state = 'EXECUTING' AND lease_holder = $2 AND lease_until > now()
          AND submission_started_at IS NULL AND submitted_run_id IS NULL
        RETURNING id`,
      [id, holder],
    );
    return rows.length === 1;
  }

  /** EXECUTING jobs whose confirmation is due (their lease free), leased to `claim.holder`. */
  claimForConfirmation(claim: Claim): Promise<RepairJob[]> {
    return this.claimWhere(`j.state = 'EXECUTING'`, claim, '');
  }

  private async claimWhere(condition: string, claim: Claim, alsoSet: string): Promise<RepairJob[]> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [rows] = await this.em.query<[RepairJobRow[], number]>(
      `UPDATE repair_jobs SET lease_holder = $1,
              lease_until = now() + ($2::int * interval '1 millisecond'),
              updated_at = now()${alsoSet}
        WHERE id IN (
          SELECT j.id FROM repair_jobs j
           WHERE ${condition}
             AND j.next_attempt_at <= now()
             AND (j.lease_until IS NULL OR j.lease_until < now())
           ORDER BY j.priority DESC, j.finding_created_at, j.id
           LIMIT $3
           FOR UPDATE OF j SKIP LOCKED)
        RETURNING *, ${subjectKeysOf('repair_jobs')}`,
      [claim.holder, claim.leaseMs, claim.limit],
    );
    return rows
      .map(repairJobFromRow)
      .sort(
        (a, b) =>
          b.priority - a.priority ||
          a.findingCreatedAt.getTime() - b.findingCreatedAt.getTime() ||
          a.id.localeCompare(b.id),
      );
  }

  /**
   * Makes the confirmation of executing jobs that resubmitted these runs due now: the new run's
   * post-run check just found its outputs, so there is no point waiting for the next interval.
   * Returns how many jobs that concerned.
   */
  async confirmSoon(submittedRunIds: string[]): Promise<number> {
    if (submittedRunIds.length === 0) return 0;
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE repair_jobs SET next_attempt_at = now()
        WHERE state = 'EXECUTING' AND submitted_run_id = ANY($1::text[]) AND next_attempt_at > now()`,
      [submittedRunIds],
    );
    return affected;
  }

  /**
   * Records an outcome of a job this holder holds in state `from`, and releases its lease.
   * Returns false when the job was no longer in that state or held by another holder (its lease
   * expired and someone else took it): the outcome is then dropped, as the other holder decides.
   * An holder of null records whoever holds the job (an operator's decision).
   */
  async record(
    id: string,
    from: RepairState | readonly RepairState[],
    holder: string | null,
    change: RepairJobChange,
  ): Promise<boolean> {
    const applied = await this.recordMany(holder, [{ id, from, change }]);
    return applied.has(id);
  }

  /**
   * Records the outcomes of a batch with one statement (see `record`); returns the ids whose
   * outcome was applied.
   */
  async recordMany(holder: string | null, outcomes: RepairJobOutcome[]): Promise<Set<string>> {
    if (outcomes.length === 0) return new Set();
    const column = <T>(pick: (outcome: RepairJobOutcome, change: RepairJobChange) => T) =>
      outcomes.map((outcome) => pick(outcome, outcome.change));
    const [rows] = await this.em.query<[Array<{ id: string }>, number]>(
      `UPDATE repair_jobs j SET
         state = COALESCE(o.state, j.state),
         finished_at = CASE WHEN o.state IN (${FINISHED_LIST}) THEN now()
                            WHEN o.state IS NOT NULL THEN NULL ELSE j.finished_at END,
         expires_at = CASE WHEN o.expires_ms IS NOT NULL
                             THEN now() + o.expires_ms * interval '1 millisecond'
                           WHEN o.state IS NOT NULL THEN NULL ELSE j.expires_at END,
         plan = CASE WHEN o.set_plan THEN o.plan ELSE j.plan END,
         last_error = CASE WHEN o.set_error THEN o.last_error ELSE j.last_error END,
         next_attempt_at = CASE WHEN o.retry_ms IS NULL THEN j.next_attempt_at
                                ELSE now() + o.retry_ms * interval '1 millisecond' END,
         attempts = CASE WHEN o.reset_attempts THEN 0
                         WHEN o.count_attempt THEN j.attempts + 1 ELSE j.attempts END,
         submitted_run_id = COALESCE(o.submitted_run_id, j.submitted_run_id),
         submission_started_at = CASE WHEN o.clear_submission THEN NULL ELSE j.submission_started_at END,
         confirm_by = CASE WHEN o.confirm_ms IS NULL THEN j.confirm_by
                           ELSE now() + o.confirm_ms * interval '1 millisecond' END,
         decided_by = COALESCE(o.decided_by, j.decided_by),
         decision_reason = CASE WHEN o.set_reason THEN o.decision_reason ELSE j.decision_reason END,
         outbound_event_id = COALESCE(o.outbound_event_id, j.outbound_event_id),
         published_at = CASE WHEN o.published THEN now() ELSE j.published_at END,
         lease_holder = NULL, lease_until = NULL, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[], $5::jsonb[], $6::bool[],
                   $7::text[], $8::int[], $9::bool[], $10::bool[], $11::text[], $12::bool[],
                   $13::int[], $14::text[], $15::bool[], $16::text[], $17::uuid[], $18::bool[],
                   $20::bigint[])
         AS o(id, from_states, state, set_plan, plan, set_error, last_error, retry_ms,
              reset_attempts, count_attempt, submitted_run_id, clear_submission, confirm_ms,
              decided_by, set_reason, decision_reason, outbound_event_id, published, expires_ms)
       WHERE j.id = o.id AND j.state = ANY(string_to_array(o.from_states, ','))
         AND ($19::text IS NULL OR j.lease_holder = $19 OR j.lease_holder IS NULL OR j.lease_until < now())
       RETURNING j.id`,
      [
        column((o) => o.id),
        column((o) => (typeof o.from === 'string' ? o.from : o.from.join(','))),
        column((_, c) => c.state ?? null),
        column((_, c) => c.plan !== undefined),
        column((_, c) => (c.plan ? JSON.stringify(c.plan) : null)),
        column((_, c) => c.lastError !== undefined),
        column((_, c) => c.lastError ?? null),
        column((_, c) => c.retryInMs ?? null),
        column((_, c) => c.resetAttempts ?? false),
        column((_, c) => c.countAttempt ?? false),
        column((_, c) => c.submittedRunId ?? null),
        column((_, c) => c.clearSubmission ?? false),
        column((_, c) => c.confirmInMs ?? null),
        column((_, c) => c.decidedBy ?? null),
        column((_, c) => c.decisionReason !== undefined),
        column((_, c) => c.decisionReason ?? null),
        column((_, c) => c.outboundEventId ?? null),
        column((_, c) => c.published ?? false),
        holder,
        column((_, c) => c.expiresInMs ?? null),
      ],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Ends the jobs of these findings that have not acted yet (PENDING, PLANNED or
   * AWAITING_APPROVAL) as DONE, with `note` saying why: their finding was closed without them.
   * A job already executing is left to its worker, which reads the finding before it acts.
   * Returns the ids of the jobs it ended.
   */
  async endUnstarted(syncEventIds: string[], note: string): Promise<string[]> {
    if (syncEventIds.length === 0) return [];
    const [rows] = await this.em.query<[Array<{ id: string }>, number]>(
      `UPDATE repair_jobs
          SET state = 'DONE', finished_at = now(), last_error = $2,
              lease_holder = NULL, lease_until = NULL, updated_at = now()
        WHERE sync_event_id = ANY($1::uuid[])
          AND state IN ('PENDING', 'PLANNED', 'AWAITING_APPROVAL')
        RETURNING id`,
      [syncEventIds, note],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Takes up to `limit` finished jobs whose `bridge.sync.repaired` is still owed, hands them to
   * `send`, and marks them published once it resolves (rows locked meanwhile, locked rows
   * skipped, as the sync event log's outbox does).
   */
  relayOwed(limit: number, send: (jobs: RepairJob[]) => Promise<void>): Promise<number> {
    return relayOwedRows(
      this.em,
      {
        select: `SELECT *, NULL AS subject_keys FROM repair_jobs WHERE ${OWED}
                  ORDER BY finished_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        params: [limit],
        fromRow: repairJobFromRow,
        markPublished: async (manager, jobs) => {
          await manager.query(
            `UPDATE repair_jobs SET published_at = now() WHERE id = ANY($1::uuid[])`,
            [jobs.map((job) => job.id)],
          );
        },
      },
      send,
    );
  }

  /** Finished jobs whose `bridge.sync.repaired` is owed; served by a partial index. */
  countOwed(): Promise<number> {
    return countOwedRows(this.em, 'repair_jobs');
  }

  findById(id: string): Promise<RepairJob | null> {
    return this.findOneWhere('id = $1', id);
  }

  /** The finding's latest job (its active one, if it has one), or null. */
  findBySyncEventId(syncEventId: string): Promise<RepairJob | null> {
    return this.findOneWhere(
      'sync_event_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
      syncEventId,
    );
  }

  /** Every job of the finding, first one first. */
  async listBySyncEventId(syncEventId: string): Promise<RepairJob[]> {
    const rows = await this.em.query<RepairJobRow[]>(
      `SELECT *, ${subjectKeysOf('j')} FROM repair_jobs j WHERE sync_event_id = $1
        ORDER BY created_at, id`,
      [syncEventId],
    );
    return rows.map(repairJobFromRow);
  }

  /**
   * Ends the jobs whose approval wait is over as EXPIRED; returns them. An operator may still
   * approve one (the worker then checks the plan against the components before it acts).
   */
  async expireApprovals(): Promise<RepairJob[]> {
    const [rows] = await this.em.query<[RepairJobRow[], number]>(
      `UPDATE repair_jobs SET state = 'EXPIRED', finished_at = now(), updated_at = now()
        WHERE state = 'AWAITING_APPROVAL' AND expires_at <= now()
        RETURNING *, NULL AS subject_keys`,
    );
    return rows.map(repairJobFromRow);
  }

  /** Sets the priority of an active job; false when there is no such active job. */
  async setPriority(id: string, priority: number): Promise<boolean> {
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE repair_jobs SET priority = $2, updated_at = now()
        WHERE id = $1 AND state IN (${ACTIVE_LIST})`,
      [id, priority],
    );
    return affected > 0;
  }

  private async findOneWhere(condition: string, value: string): Promise<RepairJob | null> {
    const rows = await this.em.query<RepairJobRow[]>(
      `SELECT *, ${subjectKeysOf('j')} FROM repair_jobs j WHERE ${condition}`,
      [value],
    );
    return rows.length === 0 ? null : repairJobFromRow(rows[0]);
  }

  /** Jobs in the given states (all when none), oldest finding first. */
  async list(filter: RepairJobFilter = {}): Promise<RepairJob[]> {
    const rows = await this.em.query<RepairJobRow[]>(
      `SELECT *, ${subjectKeysOf('j')} FROM repair_jobs j
        WHERE ($1::text[] IS NULL OR state = ANY($1::text[]))
        ORDER BY finding_created_at, id LIMIT $2`,
      [filter.states ?? null, filter.limit ?? 100],
    );
    return rows.map(repairJobFromRow);
  }

  /** Jobs per state (for status lines and dashboards); states without jobs count 0. */
  async countByState(): Promise<Record<RepairState, number>> {
    const rows = await this.em.query<Array<{ state: string; total: string }>>(
      `SELECT state, count(*) AS total FROM repair_jobs GROUP BY state`,
    );
    const counts = Object.fromEntries(REPAIR_STATES.map((state) => [state, 0])) as Record<
      RepairState,
      number
    >;
    for (const row of rows) counts[stateSchema.parse(row.state)] = Number(row.total);
    return counts;
  }
}

const stateSchema = z.enum(REPAIR_STATES);

function repairJobFromRow(row: RepairJobRow): RepairJob {
  const kind = RepairJobKindSchema.safeParse({
    state: row.state,
    mismatchType: row.mismatch_type,
    strategy: row.strategy,
    plan: row.plan,
  });
  if (!kind.success) {
    throw new InvalidRecordError(
      `repair job ${row.id} does not fit its kind: ${z.prettifyError(kind.error)}`,
    );
  }
  const date = (value: Date | null) => (value === null ? null : new Date(value));
  return {
    ...kind.data,
    id: row.id,
    syncEventId: row.sync_event_id,
    retryOf: row.retry_of ?? null,
    requestedBy: row.requested_by ?? null,
    expiresAt: date(row.expires_at ?? null),
    priority: row.priority,
    subjectKeys: row.subject_keys ?? [],
    findingCreatedAt: new Date(row.finding_created_at),
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: new Date(row.next_attempt_at),
    leaseHolder: row.lease_holder,
    leaseUntil: date(row.lease_until),
    submissionStartedAt: date(row.submission_started_at),
    submittedRunId: row.submitted_run_id,
    confirmBy: date(row.confirm_by),
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: date(row.finished_at),
    outboundEventId: row.outbound_event_id,
    publishedAt: date(row.published_at),
  };
}
