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
 * next worker, and only one that may have reached Cappella waits for Hippo to tell, or, when
 * Hippo stays silent, for Cappella's run listing to show whether the run was ever created.
 */
import { randomUUID } from 'node:crypto';
import {
  DataSource,
  type EntityManager,
  type ObjectLiteral,
  type QueryDeepPartialEntity,
  type SelectQueryBuilder,
} from 'typeorm';
import { z } from 'zod';
import { InvalidRecordError } from '@bridge/errors';
import { RepairJobSubjectEntity } from './entities/repair-job-subject.entity';
import { RepairJobEntity } from './entities/repair-job.entity';
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

/**
 * A job's columns under the entity's property names: what TypeORM loads, and what the
 * `RETURNING` clauses here name them (see `jobColumns`), so both map to a job the same way.
 */
type JobColumns = Omit<RepairJobEntity, 'retriedJob'>;

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
  /** How far the search of Cappella's run listing for the submission has read. */
  submissionSearchAfter?: string;
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

/**
 * The states as SQL lists (constants, never input), written out rather than bound so that a
 * condition on them matches the predicates of the partial indexes.
 */
const ACTIVE_LIST = ACTIVE_REPAIR_STATES.map((state) => `'${state}'`).join(', ');
const FINISHED_LIST = FINISHED_REPAIR_STATES.map((state) => `'${state}'`).join(', ');

/** `sub` as the sub-select of the subject keys of the job whose id is `jobId`. */
const subjectKeysOf = <T extends ObjectLiteral>(sub: SelectQueryBuilder<T>, jobId: string) =>
  sub
    .select('array_agg(subject.subjectKey)')
    .from(RepairJobSubjectEntity, 'subject')
    .where(`subject.jobId = ${jobId}`);

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
      // Raw SQL: INSERT … SELECT from unnest arrays with NOT EXISTS and a partial-index
      // ON CONFLICT.
      const rows = await manager.query<JobColumns[]>(
        `INSERT INTO repair_jobs (id, sync_event_id, mismatch_type, strategy, priority,
                                  finding_created_at, retry_of, requested_by)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[],
                              $6::timestamptz[], $7::uuid[], $8::text[])
                AS n(id, sync_event_id, mismatch_type, strategy, priority, finding_created_at,
                     retry_of, requested_by)
         ${unseen}
         ON CONFLICT (sync_event_id) WHERE state IN (${ACTIVE_LIST}) DO NOTHING
         RETURNING ${jobColumns(manager)}`,
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
        (keysByFinding.get(row.syncEventId) ?? []).map((key) => ({ key, job: row.id })),
      );
      if (subjects.length > 0) {
        // Raw SQL: unnest keeps the parameters at two where VALUES could pass PostgreSQL's 65,535.
        await manager.query(
          `INSERT INTO repair_job_subjects (subject_key, job_id)
           SELECT * FROM unnest($1::text[], $2::uuid[]) ON CONFLICT DO NOTHING`,
          [subjects.map((s) => s.key), subjects.map((s) => s.job)],
        );
      }
      return rows.map((row) => repairJobFrom(row, keysByFinding.get(row.syncEventId) ?? []));
    });
  }

  /**
   * PENDING jobs that are due, highest priority and oldest finding first, leased to
   * `claim.holder`.
   */
  claimForPlanning(claim: Claim): Promise<RepairJob[]> {
    return this.claimWhere(claim, (due) => due.andWhere(`job.state = 'PENDING'`));
  }

  /**
   * PLANNED jobs that are due and that no earlier unfinished job for the same run or entity
   * holds back, moved to EXECUTING in the same statement: once a job is returned here, no other
   * claim will ever return it for execution again.
   */
  claimForExecution(claim: Claim): Promise<RepairJob[]> {
    return this.claimWhere(
      claim,
      (due) => {
        const heldBack = due
          .subQuery()
          .select('1')
          .from(RepairJobSubjectEntity, 'mine')
          .innerJoin(
            RepairJobSubjectEntity,
            'other',
            'other.subjectKey = mine.subjectKey AND other.jobId <> mine.jobId',
          )
          .innerJoin(RepairJobEntity, 'earlier', 'earlier.id = other.jobId')
          .where('mine.jobId = job.id')
          .andWhere(`earlier.state IN (${ACTIVE_LIST})`)
          .andWhere('(earlier.findingCreatedAt, earlier.id) < (job.findingCreatedAt, job.id)');
        return due.andWhere(`job.state = 'PLANNED'`).andWhere(`NOT EXISTS ${heldBack.getQuery()}`);
      },
      { state: 'EXECUTING', attempts: () => 'attempts + 1' },
    );
  }

  /**
   * Marks the submission of an EXECUTING job as sent, just before its request leaves, while
   * `holder` still holds the job; false (send nothing) when the lease was lost or it was sent.
   * The scanner's Cappella cursor is kept with the mark: any run the submission creates lies
   * after it in Cappella's listing, where a job whose outcome stays unknown is looked for.
   */
  async markSubmissionSent(id: string, holder: string): Promise<boolean> {
    // Raw SQL: it runs once per submitted job; building it with the builder each time cost the
    // repair service about a tenth of its CPU per job in the benchmark.
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE repair_jobs SET submission_started_at = now(), updated_at = now(),
              submission_search_after =
                (SELECT cursor FROM scan_cursors WHERE component = 'cappella')
        WHERE id = $1 AND state = 'EXECUTING' AND lease_holder = $2 AND lease_until > now()
          AND submission_started_at IS NULL AND submitted_run_id IS NULL`,
      [id, holder],
    );
    return affected === 1;
  }

  /** EXECUTING jobs whose confirmation is due (their lease free), leased to `claim.holder`. */
  claimForConfirmation(claim: Claim): Promise<RepairJob[]> {
    return this.claimWhere(claim, (due) => due.andWhere(`job.state = 'EXECUTING'`));
  }

  /**
   * Leases the due jobs `narrow` selects in one UPDATE: the sub-select locks its candidates and
   * skips those another claim has locked, so two claims never return the same job.
   */
  private async claimWhere(
    claim: Claim,
    narrow: (due: SelectQueryBuilder<RepairJobEntity>) => SelectQueryBuilder<RepairJobEntity>,
    alsoSet: QueryDeepPartialEntity<RepairJobEntity> = {},
  ): Promise<RepairJob[]> {
    const due = narrow(
      this.em
        .createQueryBuilder(RepairJobEntity, 'job')
        .select('job.id')
        .where('job.nextAttemptAt <= now()')
        .andWhere('(job.leaseUntil IS NULL OR job.leaseUntil < now())'),
    )
      .orderBy('job.priority', 'DESC')
      .addOrderBy('job.findingCreatedAt')
      .addOrderBy('job.id')
      .limit(claim.limit)
      .setLock('pessimistic_write', undefined, ['job'])
      .setOnLocked('skip_locked');
    // TypeORM writes an UPDATE without an alias: its conditions name bare properties, and the
    // sub-select of the returned rows' subject keys names the table.
    const subjectKeys = subjectKeysOf(this.em.createQueryBuilder().subQuery(), 'repair_jobs.id');
    const updated = await this.em
      .createQueryBuilder()
      .update(RepairJobEntity)
      .set({
        leaseHolder: claim.holder,
        leaseUntil: () => `now() + (:leaseMs::int * interval '1 millisecond')`,
        updatedAt: () => 'now()',
        ...alsoSet,
      })
      .where(`id IN (${due.getQuery()})`)
      .setParameters(due.getParameters())
      .setParameter('leaseMs', claim.leaseMs)
      .returning(`${jobColumns(this.em)}, ${subjectKeys.getQuery()} AS "subjectKeys"`)
      .execute();
    // RETURNING keeps no order: the claim's order is restored here.
    return (updated.raw as Array<JobColumns & { subjectKeys: string[] | null }>)
      .map((row) => repairJobFrom(row, row.subjectKeys))
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
    const { affected } = await this.em
      .createQueryBuilder()
      .update(RepairJobEntity)
      .set({ nextAttemptAt: () => 'now()' })
      .where(`state = 'EXECUTING'`)
      .andWhere('submittedRunId = ANY(:submittedRunIds)', { submittedRunIds })
      .andWhere('nextAttemptAt > now()')
      .execute();
    return affected ?? 0;
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
    // Raw SQL: UPDATE … FROM unnest applies many guarded outcomes in one fixed-parameter statement.
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
         submission_search_after = CASE WHEN o.clear_submission THEN NULL
                                        ELSE COALESCE(o.search_after, j.submission_search_after) END,
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
                   $20::bigint[], $21::text[])
         AS o(id, from_states, state, set_plan, plan, set_error, last_error, retry_ms,
              reset_attempts, count_attempt, submitted_run_id, clear_submission, confirm_ms,
              decided_by, set_reason, decision_reason, outbound_event_id, published, expires_ms,
              search_after)
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
        column((_, c) => c.submissionSearchAfter ?? null),
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
    const updated = await this.em
      .createQueryBuilder()
      .update(RepairJobEntity)
      .set({
        state: 'DONE',
        finishedAt: () => 'now()',
        lastError: note,
        leaseHolder: null,
        leaseUntil: null,
        updatedAt: () => 'now()',
      })
      .where('syncEventId = ANY(:syncEventIds)', { syncEventIds })
      .andWhere(`state IN ('PENDING', 'PLANNED', 'AWAITING_APPROVAL')`)
      .returning(['id'])
      .execute();
    return (updated.raw as Array<{ id: string }>).map((row) => row.id);
  }

  /**
   * Takes up to `limit` finished jobs whose `bridge.sync.repaired` is still owed, hands them to
   * `send`, and marks them published once it resolves (rows locked meanwhile, locked rows
   * skipped, as the sync event log's outbox does).
   */
  relayOwed(limit: number, send: (jobs: RepairJob[]) => Promise<void>): Promise<number> {
    // The outbox helper runs the select itself, in its transaction: the builder only writes it.
    const [select, params] = this.em
      .createQueryBuilder(RepairJobEntity, 'job')
      .select(jobColumns(this.em))
      .where(OWED)
      .orderBy('job.finishedAt')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getQueryAndParameters();
    return relayOwedRows(
      this.em,
      {
        select,
        params,
        fromRow: (row: JobColumns) => repairJobFrom(row, null),
        markPublished: async (manager, jobs) => {
          await manager
            .createQueryBuilder()
            .update(RepairJobEntity)
            .set({ publishedAt: () => 'now()' })
            .where('id = ANY(:ids)', { ids: jobs.map((job) => job.id) })
            .execute();
        },
      },
      send,
    );
  }

  /** Finished jobs whose `bridge.sync.repaired` is owed; served by a partial index. */
  countOwed(): Promise<number> {
    return countOwedRows(this.em, 'repair_jobs');
  }

  async findById(id: string): Promise<RepairJob | null> {
    const [job] = await this.read(this.jobs().where('job.id = :id', { id }));
    return job ?? null;
  }

  /** The finding's latest job (its active one, if it has one), or null. */
  async findBySyncEventId(syncEventId: string): Promise<RepairJob | null> {
    const [job] = await this.read(
      this.jobs()
        .where('job.syncEventId = :syncEventId', { syncEventId })
        .orderBy('job.createdAt', 'DESC')
        .addOrderBy('job.id', 'DESC')
        .limit(1),
    );
    return job ?? null;
  }

  /** Every job of the finding, first one first. */
  listBySyncEventId(syncEventId: string): Promise<RepairJob[]> {
    return this.read(
      this.jobs()
        .where('job.syncEventId = :syncEventId', { syncEventId })
        .orderBy('job.createdAt')
        .addOrderBy('job.id'),
    );
  }

  /**
   * Ends the jobs whose approval wait is over as EXPIRED; returns them. An operator may still
   * approve one (the worker then checks the plan against the components before it acts).
   */
  async expireApprovals(): Promise<RepairJob[]> {
    const updated = await this.em
      .createQueryBuilder()
      .update(RepairJobEntity)
      .set({ state: 'EXPIRED', finishedAt: () => 'now()', updatedAt: () => 'now()' })
      .where(`state = 'AWAITING_APPROVAL'`)
      .andWhere('expiresAt <= now()')
      .returning(jobColumns(this.em))
      .execute();
    return (updated.raw as JobColumns[]).map((row) => repairJobFrom(row, null));
  }

  /** Sets the priority of an active job; false when there is no such active job. */
  async setPriority(id: string, priority: number): Promise<boolean> {
    const { affected } = await this.em
      .createQueryBuilder()
      .update(RepairJobEntity)
      .set({ priority, updatedAt: () => 'now()' })
      .where('id = :id', { id })
      .andWhere(`state IN (${ACTIVE_LIST})`)
      .execute();
    return (affected ?? 0) > 0;
  }

  /** Jobs in the given states (all when none), oldest finding first. */
  list(filter: RepairJobFilter = {}): Promise<RepairJob[]> {
    const query = this.jobs()
      .orderBy('job.findingCreatedAt')
      .addOrderBy('job.id')
      .limit(filter.limit ?? 100);
    // An empty list of states is a filter that matches nothing, not an absent one.
    if (filter.states) query.where('job.state = ANY(:states)', { states: filter.states });
    return this.read(query);
  }

  /** Jobs per state (for status lines and dashboards); states without jobs count 0. */
  /** When the oldest job still in `state` was created; null when there is none. */
  async oldestCreatedIn(state: RepairState): Promise<Date | null> {
    const row = await this.em
      .createQueryBuilder(RepairJobEntity, 'job')
      .select('min(job.createdAt)', 'oldest')
      .where({ state })
      .getRawOne<{ oldest: Date | string | null }>();
    return row?.oldest ? new Date(row.oldest) : null;
  }

  async countByState(): Promise<Record<RepairState, number>> {
    const rows = await this.em
      .createQueryBuilder(RepairJobEntity, 'job')
      .select('job.state', 'state')
      .addSelect('count(*)', 'total')
      .groupBy('job.state')
      .getRawMany<{ state: string; total: string }>();
    const counts = Object.fromEntries(REPAIR_STATES.map((state) => [state, 0])) as Record<
      RepairState,
      number
    >;
    for (const row of rows) counts[stateSchema.parse(row.state)] = Number(row.total);
    return counts;
  }

  /** Jobs with their subject keys, aggregated by a sub-select in the same query. */
  private jobs(): SelectQueryBuilder<RepairJobEntity> {
    return this.em
      .createQueryBuilder(RepairJobEntity, 'job')
      .addSelect((sub) => subjectKeysOf(sub, 'job.id'), 'subject_keys');
  }

  private async read(query: SelectQueryBuilder<RepairJobEntity>): Promise<RepairJob[]> {
    const { entities, raw } = await query.getRawAndEntities<{
      job_id: string;
      subject_keys: string[] | null;
    }>();
    const keysByJob = new Map(raw.map((row) => [row.job_id, row.subject_keys]));
    return entities.map((job) => repairJobFrom(job, keysByJob.get(job.id) ?? null));
  }
}

const stateSchema = z.enum(REPAIR_STATES);

/** The `RETURNING` (or select) list naming each of a job's columns as its entity property. */
function jobColumns(em: EntityManager): string {
  const { driver } = em.dataSource;
  return em.dataSource
    .getMetadata(RepairJobEntity)
    .columns.map(
      (column) => `${driver.escape(column.databaseName)} AS ${driver.escape(column.propertyName)}`,
    )
    .join(', ');
}

function repairJobFrom(job: JobColumns, subjectKeys: string[] | null): RepairJob {
  const kind = RepairJobKindSchema.safeParse({
    state: job.state,
    mismatchType: job.mismatchType,
    strategy: job.strategy,
    plan: job.plan,
  });
  if (!kind.success) {
    throw new InvalidRecordError(
      `repair job ${job.id} does not fit its kind: ${z.prettifyError(kind.error)}`,
    );
  }
  return {
    ...kind.data,
    id: job.id,
    syncEventId: job.syncEventId,
    retryOf: job.retryOf,
    requestedBy: job.requestedBy,
    expiresAt: job.expiresAt,
    priority: job.priority,
    subjectKeys: subjectKeys ?? [],
    findingCreatedAt: job.findingCreatedAt,
    attempts: job.attempts,
    lastError: job.lastError,
    nextAttemptAt: job.nextAttemptAt,
    leaseHolder: job.leaseHolder,
    leaseUntil: job.leaseUntil,
    submissionStartedAt: job.submissionStartedAt,
    submissionSearchAfter: job.submissionSearchAfter,
    submittedRunId: job.submittedRunId,
    confirmBy: job.confirmBy,
    decidedBy: job.decidedBy,
    decisionReason: job.decisionReason,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt,
    outboundEventId: job.outboundEventId,
    publishedAt: job.publishedAt,
  };
}
