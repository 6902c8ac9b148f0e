/** Repairs: which findings get a job, plans, execution, confirmation and operator approvals. */
export {
  APPROVAL_MOVES,
  REPAIR_RESOLVER,
  confirmRepair,
  evictionRequested,
  isRepairable,
  planRepair,
  priorityOf,
  repairJobFor,
  operatorResolutionEvent,
  repairedEventFor,
  retryAfterFailure,
  subjectKeysOf,
  type ConfirmationDecision,
  type ConfirmationObservation,
  type PlanDecision,
  type RepairableFinding,
  type ResubmitFacts,
  type RetryDecision,
  type StepFailure,
} from './repair-decisions';
export { RepairApprovals, type RepairDecision } from './repair-approvals';
export {
  RepairWorker,
  stepFailureOf,
  type PassSummary,
  type RepairComponents,
  type RepairWorkerDeps,
} from './repair-worker';
