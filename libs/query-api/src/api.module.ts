/**
 * API service: the query and admin REST API under `/api/v1/bridge/sync` (see docs/design.md,
 * Query API), behind bearer-token or JWT auth with the roles `reader` and `admin`, HTTP
 * ingestion for components (`producer`), and its OpenAPI document (`openapi.ts`).
 *
 * `ApiModule` is the feature (it joins the all-in-one process as it is); `forRoot` adds the
 * service runtime for the standalone process. Wiring and the API's own handlers only: the
 * queries live in `@bridge/store`, scan progress in `@bridge/scan`, approvals in `@bridge/repair`.
 * Every admin action is recorded in the audit log (`audit/admin-audit.ts`), read at `/audit`.
 * An API with no credential configured could serve nobody, so it refuses to start instead (no
 * default credential).
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { ConfigError } from '@bridge/errors';
import { HttpIngestion } from '@bridge/ingest';
import { OperatorRepairs, RepairApprovals } from '@bridge/repair';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { RepairJobStore, SyncEventLog } from '@bridge/store';
import { AdminAudit } from './audit/admin-audit';
import { AdminAuditInterceptor } from './audit/admin-audit.interceptor';
import { AuditController } from './audit/audit.controller';
import { ApiAuthGuard } from './auth/api-auth.guard';
import { ApiCredentials } from './auth/api-credentials';
import { WhoAmIController } from './auth/whoami.controller';
import { DeadLetterArchiveController } from './dead-letters/dead-letter-archive.controller';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { EventsController } from './events/events.controller';
import { FindingActionsController } from './events/finding-actions.controller';
import { IngestController } from './ingest/ingest.controller';
import { RepairsController } from './repairs/repairs.controller';
import { ScansController } from './scans/scans.controller';
import { StoreStateGauges } from './summary/store-state-gauges';
import { SummaryController } from './summary/summary.controller';

@Module({
  controllers: [
    FindingActionsController,
    EventsController,
    ScansController,
    RepairsController,
    SummaryController,
    DeadLettersController,
    DeadLetterArchiveController,
    AuditController,
    WhoAmIController,
    IngestController,
  ],
  providers: [
    {
      provide: ApiCredentials,
      inject: [BRIDGE_CONFIG],
      useFactory: (config: BridgeConfig) => {
        const credentials = new ApiCredentials(config.api);
        if (!credentials.configured) {
          throw new ConfigError(
            'invalid configuration:\n  API_TOKENS or API_JWT_SECRET / API_JWT_PUBLIC_KEY: the API needs at least one credential (see docs/api.md, "API tokens")',
          );
        }
        return credentials;
      },
    },
    ApiAuthGuard,
    HttpIngestion,
    StoreStateGauges,
    AdminAudit,
    AdminAuditInterceptor,
    {
      provide: RepairApprovals,
      inject: [RepairJobStore],
      useFactory: (jobs: RepairJobStore) => new RepairApprovals(jobs),
    },
    {
      provide: OperatorRepairs,
      inject: [RepairJobStore, SyncEventLog, BRIDGE_CONFIG],
      useFactory: (jobs: RepairJobStore, log: SyncEventLog, config: BridgeConfig) =>
        new OperatorRepairs(jobs, log, config.repair),
    },
  ],
})
export class ApiModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ServiceRuntimeModule.forService('api', config)],
    };
  }
}
