/**
 * Nest wiring for the store: opens the data source for the configured store, applies pending
 * migrations, and provides the repositories services use. The module owns the connection and
 * closes it on shutdown.
 */
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { createDataSource, migrateStore } from './data-source';
import { AuditLog } from './audit-log';
import { CheckLeases } from './check-leases';
import { InProcessBacklog } from './in-process-backlog';
import { ProcessedInboundEvents } from './processed-inbound-events';
import { RepairJobStore } from './repair-jobs';
import { DeadLetterStore } from './dead-letters';
import { ScanLock } from './scan-lock';
import { KnownRunIds } from './known-run-ids';
import { ScanCursorStore } from './scan-cursors';
import { ScanStore } from './scan-store';
import { ServiceStatusStore } from './service-status';
import { StoreHealth } from './store-health';
import { StoreTransactions } from './store-transactions';
import { FindingOperatorActions } from './finding-operator-actions';
import { SyncEventLog } from './sync-event-log';
import { SyncEventQueries } from './sync-event-queries';

async function openStore(config: BridgeConfig): Promise<DataSource> {
  const dataSource = createDataSource(config.store);
  await dataSource.initialize();
  await migrateStore(dataSource);
  return dataSource;
}

@Global()
@Module({
  providers: [
    { provide: DataSource, inject: [BRIDGE_CONFIG], useFactory: openStore },
    {
      provide: SyncEventLog,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new SyncEventLog(ds),
    },
    {
      provide: SyncEventQueries,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new SyncEventQueries(ds),
    },
    {
      provide: FindingOperatorActions,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new FindingOperatorActions(ds),
    },
    {
      provide: ProcessedInboundEvents,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new ProcessedInboundEvents(ds),
    },
    {
      provide: CheckLeases,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new CheckLeases(ds),
    },
    {
      provide: RepairJobStore,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new RepairJobStore(ds),
    },
    {
      provide: StoreTransactions,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new StoreTransactions(ds),
    },
    {
      provide: InProcessBacklog,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new InProcessBacklog(ds),
    },
    ...[
      ScanStore,
      ScanCursorStore,
      KnownRunIds,
      ScanLock,
      DeadLetterStore,
      ServiceStatusStore,
      AuditLog,
    ].map((store) => ({
      provide: store,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new store(ds),
    })),
    StoreHealth,
  ],
  exports: [
    AuditLog,
    DeadLetterStore,
    ServiceStatusStore,
    ScanStore,
    ScanCursorStore,
    KnownRunIds,
    ScanLock,
    DataSource,
    SyncEventLog,
    SyncEventQueries,
    FindingOperatorActions,
    ProcessedInboundEvents,
    CheckLeases,
    InProcessBacklog,
    StoreTransactions,
    RepairJobStore,
    StoreHealth,
  ],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Last in a shutdown: everything that used the database has stopped by now. */
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
