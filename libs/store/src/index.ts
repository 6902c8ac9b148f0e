export { ProcessedInboundEventEntity } from './entities/processed-inbound-event.entity';
export { SyncEventEntity } from './entities/sync-event.entity';
export { SyncEventCountEntity } from './entities/sync-event-count.entity';
export { STORE_ENTITIES, createDataSource, dataSourceOptions, migrateStore } from './data-source';
export {
  ProcessedInboundEvents,
  claimDayOf,
  type InboundEventClaim,
} from './processed-inbound-events';
export { StoreModule } from './store.module';
export { StoreHealth } from './store-health';
export { StoreTransactions, type StoreTransaction } from './store-transactions';
export {
  SyncEventLog,
  openSubjectKey,
  type FindingClosure,
  type FindingSubject,
  type Healing,
  type RecheckClaim,
  type RecheckOutcome,
  type RecordedSyncEvent,
} from './sync-event-log';
export {
  SyncEventQueries,
  type FindingCount,
  type FindingFilter,
  type HourlyFindingCount,
  type SyncEventPage,
  type SyncEventPosition,
  type SyncEventQuery,
} from './sync-event-queries';
export { FindingOperatorActions } from './finding-operator-actions';
export { syncEventFromRow, type SyncEventRow } from './sync-event-rows';
export {
  BRIDGE_HEALER,
  FINDING_EVENT_TYPES,
  SYNC_EVENT_STATES,
  SyncEventTypes,
  initialStateOf,
  type SyncEventState,
  type CacheCleanDetails,
  type CheckFailedDetails,
  type DetailsOf,
  type MismatchDetails,
  type NewSyncEvent,
  type OkDetails,
  type StaleCacheDetails,
  type SyncEvent,
  type SyncEventCommon,
  type SyncEventKind,
  type SyncEventOf,
  type SyncEventType,
} from './sync-event-kinds';
export { CheckLeases } from './check-leases';
export { InProcessBacklog, type BacklogMessage, type GroupBacklog } from './in-process-backlog';
export {
  RepairJobStore,
  type Claim,
  type RepairJobChange,
  type RepairJobFilter,
  type RepairJobOutcome,
} from './repair-jobs';
export {
  ACTIVE_REPAIR_STATES,
  FINISHED_REPAIR_STATES,
  REPAIR_STATES,
  RETRYABLE_REPAIR_STATES,
  type EvictPlan,
  type NewRepairJob,
  type RepairJob,
  type RepairPlan,
  type RepairState,
  type ResubmitPlan,
} from './repair-job-kinds';
export { KnownRunIds, type RunTally } from './known-run-ids';
export { ScanCursorStore } from './scan-cursors';
export {
  SCANNED_COMPONENTS,
  SCAN_METHODS,
  SCAN_MODES,
  SCAN_PHASES,
  SCAN_STATUSES,
  SCAN_TRIGGERS,
  ScanStore,
  type ListingCheckpoint,
  type PerComponent,
  type Scan,
  type ScanCheckpoint,
  type ScanMethod,
  type ScanMode,
  type ScanPhase,
  type ScanProgress,
  type ScanStatus,
  type ScanTrigger,
  type ScannedComponent,
  type ListedComponent,
} from './scan-store';
export { ScanLock, type LockedOutcome } from './scan-lock';
export {
  DeadLetterStore,
  type DeadLetterFilter,
  type DeadLetterPosition,
  type StoredDeadLetter,
} from './dead-letters';
export { ServiceStatusStore, type ServiceStatusReport } from './service-status';
export {
  AUDIT_PENDING,
  AuditLog,
  type AuditEntry,
  type AuditFilter,
  type AuditPosition,
  type AuditSettlement,
  type NewAuditEntry,
} from './audit-log';
export { retentionCutoffs, type RetentionCutoffs, type RetentionPolicy } from './store-retention';
export {
  FINDING_PARTITIONS,
  PROCESSED_EVENT_PARTITIONS,
  RECORD_PARTITIONS,
  StorePartitions,
  partitionFor,
  type DeferredPartition,
  type PartitionRange,
  type TimePartitionedTable,
} from './store-partitions';
export {
  STORE_MAINTENANCE_LOCK,
  StoreMaintenance,
  type MaintenanceReport,
} from './store-maintenance';
