export * from './generated/events';
export { asyncApiDocument, type AsyncApiDocument } from './asyncapi-document';
export {
  CHECK_TYPES,
  FINDING_CHECK_TYPES,
  SCAN_CHECK_TYPE,
  isCheckType,
  type CheckType,
} from './check-types';
export { entityKeyId } from './entity-key-id';
export { repairedEventIdFor, stableEventId } from './event-ids';
export {
  DEAD_LETTER_TOPIC,
  INBOUND_TOPICS,
  OUTBOUND_TOPICS,
  RETRY_TIER_TOPICS,
  avroTypeOf,
  isTopic,
  subjectFor,
  retryTierTopic,
  validateEvent,
  type EventOf,
  type RetryTierTopic,
} from './event-types';
export {
  checkCompatibility,
  parseSchema,
  type CompatibilityMode,
  type CompatibilityVerdict,
} from './schema-compatibility';
export {
  ALLOWED_STRATEGIES,
  DEFAULT_STRATEGIES,
  MISMATCH_TYPES,
  REPAIR_STRATEGIES,
  evictionModeFor,
  type MismatchType,
  type RepairStrategy,
} from './repair-strategies';
export { inboundPartitionKey } from './inbound-partition-key';
export {
  DIGEST_SLOTS,
  MAX_DIGEST_BUCKETS,
  addHashes,
  bucketRanges,
  digestSlot,
  hashToHex,
  hippoDigestRun,
  pairHash,
  slotRangeProblem,
  subtractHashes,
  type DigestBucket,
  type SlotRange,
} from './range-digest';
export { runInputReferences } from './run-input-references';
