/**
 * Builds the TypeORM data source for the configured store: PostgreSQL through `pg`, or PGlite
 * embedded in the process. Both run the same entities and the same migrations; the schema is
 * never synchronised from entities.
 */
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { StoreConfig } from '@bridge/config';
import { AuditLogEntity } from './entities/audit-log.entity';
import { CheckLeaseEntity } from './entities/check-lease.entity';
import { DeadLetterEntity } from './entities/dead-letter.entity';
import { InProcessBacklogEntity } from './entities/in-process-backlog.entity';
import { ProcessedInboundEventEntity } from './entities/processed-inbound-event.entity';
import { RepairJobSubjectEntity } from './entities/repair-job-subject.entity';
import { RepairJobEntity } from './entities/repair-job.entity';
import { ScanCursorEntity } from './entities/scan-cursor.entity';
import { ScanFindingEntity } from './entities/scan-finding.entity';
import { ScanKnownRunEntity } from './entities/scan-known-run.entity';
import { ScanEntity } from './entities/scan.entity';
import { ServiceStatusEntity } from './entities/service-status.entity';
import { SyncEventCountEntity } from './entities/sync-event-count.entity';
import { SyncEventEntity } from './entities/sync-event.entity';
import { MIGRATIONS } from './migrations';
import { pgliteDriver } from './pglite-pool';

/** One entity per table the migrations create; the migrations test holds them to the schema. */
export const STORE_ENTITIES = [
  SyncEventEntity,
  ProcessedInboundEventEntity,
  SyncEventCountEntity,
  CheckLeaseEntity,
  InProcessBacklogEntity,
  RepairJobEntity,
  RepairJobSubjectEntity,
  ScanEntity,
  ScanCursorEntity,
  ScanKnownRunEntity,
  ScanFindingEntity,
  DeadLetterEntity,
  ServiceStatusEntity,
  AuditLogEntity,
];

/** Arbitrary constant naming Bridge's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_ID = 472_019_551;

export function dataSourceOptions(store: StoreConfig): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: STORE_ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'bridge_migrations',
    synchronize: false,
    migrationsRun: false,
  };
  if (store.kind === 'postgres') {
    return {
      ...common,
      url: store.url,
      // With an authority to trust, the server's certificate is verified against it.
      ...(store.sslCa ? { ssl: { ca: store.sslCa, rejectUnauthorized: true } } : {}),
      poolSize: 10,
      connectTimeoutMS: 5_000,
      applicationName: 'bridge-sync',
    };
  }
  return { ...common, driver: pgliteDriver(store.dataDir), poolSize: 1 };
}

export function createDataSource(store: StoreConfig): DataSource {
  return new DataSource(dataSourceOptions(store));
}

/**
 * Applies pending migrations. On PostgreSQL, services starting together serialise on an
 * advisory lock so that exactly one of them migrates and the others then find nothing to do.
 */
export async function migrateStore(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.driver !== undefined) {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    // Raw SQL: advisory locks are functions, not tables.
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await lockHolder
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID])
      .catch(() => undefined);
    await lockHolder.release();
  }
}
