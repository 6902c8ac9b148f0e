/** Consistency checks: from component events to check work, decisions, and recorded findings. */
export {
  decideCheck,
  missingFrom,
  type CheckDecision,
  type CheckObservation,
} from './check-decision';
export { CheckRunner, type BatchSummary, type CheckRunnerDeps } from './check-runner';
export {
  checkKeyOf,
  checkWorkFor,
  checkWorkOf,
  isCheckTrigger,
  partitionKeyOf,
  type CheckTrigger,
  type CheckWork,
} from './check-work';
export { ComponentReader } from './component-reader';
export { HttpComponentReader } from './http-component-reader';
export { FindingPublisher } from './finding-publisher';
export { FindingRechecker, readHealingObservation, type RecheckSummary } from './finding-rechecker';
export {
  decideHealing,
  healedEventFor,
  healingReadsFor,
  nextRecheckInMs,
  rerunWorkFor,
  type HealingDecision,
  type HealingObservation,
} from './healing-decision';
export { OutboxRelay } from './outbox-relay';
export { OutboxRelayScheduler } from './outbox-relay.scheduler';
export { findingFor, outboundEventFor, type OutboundFinding } from './finding';
export { inboundLogEntryFor } from './inbound-log-entry';
export { CheckerModule } from './checker.module';
export { CHECKER_GROUP, checkerGroupOf } from './check-work.controller';
export { FindingRecheckScheduler } from './finding-recheck.scheduler';
