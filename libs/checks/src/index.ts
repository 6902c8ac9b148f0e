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
export { FindingPublisher } from './finding-publisher';
export { OutboxRelay } from './outbox-relay';
export { OutboxRelayScheduler } from './outbox-relay.scheduler';
export { findingFor, outboundEventFor, stableEventId, type OutboundFinding } from './finding';
export {
  confirmEviction,
  evictionRepairedEvent,
  inboundLogEntryFor,
  repairedEventIdFor,
} from './inbound-log-entry';
