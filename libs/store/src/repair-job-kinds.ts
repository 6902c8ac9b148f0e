/**
 * What a `repair_jobs` row holds: the job's state, and the plan that planning stored for
 * execution to carry out. Like the sync event kinds, the schemas here are the source of the
 * types, and every row read is parsed with them, so the repair service, the API and the console
 * get typed jobs.
 *
 * States: PENDING → PLANNED → EXECUTING → DONE / FAILED, with AWAITING_APPROVAL between
 * PLANNED and EXECUTING for a non-idempotent pipeline, REJECTED when an operator says no, and
 * EXPIRED when nobody decided in time (it may still be approved). A finding may have several
 * jobs over time (retries), at most one of them active. The rules for moving between states
 * live in `@bridge/repair`.
 */
import { z } from 'zod';
import { MISMATCH_TYPES, REPAIR_STRATEGIES } from '@bridge/contracts';

export const REPAIR_STATES = [
  'PENDING',
  'PLANNED',
  'AWAITING_APPROVAL',
  'EXECUTING',
  'DONE',
  'FAILED',
  'REJECTED',
  'EXPIRED',
] as const;

export type RepairState = (typeof REPAIR_STATES)[number];

/** States of a job still in progress: a finding has at most one job in them. */
export const ACTIVE_REPAIR_STATES = [
  'PENDING',
  'PLANNED',
  'AWAITING_APPROVAL',
  'EXECUTING',
] as const satisfies readonly RepairState[];

/** States a job ends in (EXPIRED may still be approved, which starts it again). */
export const FINISHED_REPAIR_STATES = [
  'DONE',
  'FAILED',
  'REJECTED',
  'EXPIRED',
] as const satisfies readonly RepairState[];

/** The finished states from which an operator may start the repair again. */
export const RETRYABLE_REPAIR_STATES = [
  'FAILED',
  'REJECTED',
  'EXPIRED',
] as const satisfies readonly RepairState[];

const entityKey = z.object({ entity_type: z.string(), external_id: z.string() });

/** Resubmission: run the original run's pipeline again with the same inputs. */
export const ResubmitPlanSchema = z.object({
  kind: z.literal('resubmit_run'),
  /** The run whose outputs are missing; its pipeline and inputs are resubmitted. */
  run_id: z.string(),
  pipeline_id: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  /** Cappella's word at planning time: re-running writes by ExternalID upsert. */
  idempotent: z.boolean(),
  /** The entities that must be in Hippo for the repair to count as done. */
  expected_entities: z.array(entityKey),
});

export const EVICTION_ITEM_STATES = ['pending', 'requested', 'refused'] as const;

/** Eviction: ask Canon to drop these artifacts, in this mode. */
export const EvictPlanSchema = z.object({
  kind: z.literal('evict'),
  mode: z.enum(['immediate', 'next_sweep']),
  artifacts: z.array(
    z.object({
      artifact_id: z.string(),
      /** `requested`: Canon accepted the eviction; `refused`: it refused this artifact. */
      state: z.enum(EVICTION_ITEM_STATES),
      error: z.string().nullable(),
    }),
  ),
  /** The entities whose artifacts are stale; Canon is asked about them again to confirm. */
  entities: z.array(entityKey),
});

export const RepairPlanSchema = z.discriminatedUnion('kind', [ResubmitPlanSchema, EvictPlanSchema]);

export type ResubmitPlan = z.infer<typeof ResubmitPlanSchema>;
export type EvictPlan = z.infer<typeof EvictPlanSchema>;
export type RepairPlan = z.infer<typeof RepairPlanSchema>;

/** The columns of a job whose values are checked on every read. */
export const RepairJobKindSchema = z.object({
  state: z.enum(REPAIR_STATES),
  mismatchType: z.enum(MISMATCH_TYPES),
  strategy: z.enum(REPAIR_STRATEGIES),
  plan: RepairPlanSchema.nullable(),
});

export interface RepairJob extends z.infer<typeof RepairJobKindSchema> {
  id: string;
  /** The finding this job repairs (it may have had earlier jobs; one active at a time). */
  syncEventId: string;
  /** The job this one retries, if an operator started it again. */
  retryOf: string | null;
  /** The operator who started the job; null when the finding's strategy did. */
  requestedBy: string | null;
  /** While awaiting approval: when the job stops waiting and becomes EXPIRED. */
  expiresAt: Date | null;
  /** Higher runs first; ties go to the oldest finding. */
  priority: number;
  /** Runs and entities the repair touches: a job waits for earlier unfinished jobs sharing one. */
  subjectKeys: string[];
  findingCreatedAt: Date;
  attempts: number;
  lastError: string | null;
  /** Not worked on before this time (backoff after a failed attempt). */
  nextAttemptAt: Date;
  /** The repair instance working on the job, until `leaseUntil`. */
  leaseHolder: string | null;
  leaseUntil: Date | null;
  /**
   * Set, and committed, as the request asking Cappella to run leaves: a job with it is never
   * submitted again; an EXECUTING resubmission without it was never sent.
   */
  submissionStartedAt: Date | null;
  /**
   * Where a search of Cappella's run listing for a submission with an unknown outcome goes on
   * from (null: the beginning); every run created since the submission lies after it.
   */
  submissionSearchAfter: string | null;
  /** The run Cappella created for the resubmission, when its answer arrived. */
  submittedRunId: string | null;
  /** When an executed job not yet confirmed ends as FAILED. */
  confirmBy: Date | null;
  /** Who approved or rejected the job, and why. */
  decidedBy: string | null;
  decisionReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** `event_id` of the job's `bridge.sync.repaired`, owed while `publishedAt` is null. */
  outboundEventId: string | null;
  publishedAt: Date | null;
}

/** What creates a job: everything else starts from its defaults. */
export interface NewRepairJob {
  syncEventId: string;
  mismatchType: RepairJob['mismatchType'];
  strategy: RepairJob['strategy'];
  priority: number;
  subjectKeys: string[];
  findingCreatedAt: Date;
  /** The job this one retries (an operator's retry). */
  retryOf?: string | null;
  /** The operator who starts the job (absent: the finding's strategy). */
  requestedBy?: string | null;
}
