/**
 * Repairs: which findings get a job, plans, a last look before acting, execution,
 * confirmation, and what operators do (approvals, repairs started by hand, retries).
 */
export {
  APPROVAL_MOVES,
  REPAIR_RESOLVER,
  confirmRepair,
  evictionRequested,
  isRepairable,
  planRepair,
  priorityOf,
  repairJobFor,
  operatorRepairJobFor,
  operatorResolutionEvent,
  repairedEventFor,
  retryAfterFailure,
  revalidatePlan,
  subjectKeysOf,
  type ConfirmationDecision,
  type ConfirmationObservation,
  type PlanDecision,
  type RepairableFinding,
  type ResubmitFacts,
  type RetryDecision,
  type Revalidation,
  type StepFailure,
} from './repair-decisions';
export {
  confirmEviction,
  evictionClosureFor,
  evictionRepairedEvent,
  type EvictionConfirmation,
} from './eviction-confirmation';
export { settleEvictedStaleCaches } from './stale-cache-settlement';
export { RepairApprovals, type RepairDecision } from './repair-approvals';
export { OperatorRepairs } from './operator-repairs';
export { stepFailureOf } from './repair-job-steps';
export {
  RepairWorker,
  type PassSummary,
  type RepairComponents,
  type RepairWorkerDeps,
} from './repair-worker';
export { RepairModule } from './repair.module';
export { RepairWorkerScheduler } from './repair-worker.scheduler';
