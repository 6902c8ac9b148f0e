/**
 * Repair service: turns findings whose strategy is not `alert_only` into repair jobs, plans
 * them (what to resubmit or evict, persisted), executes the plans (exactly once for a
 * resubmission), confirms them against the components and publishes `bridge.sync.repaired`
 * (see docs/design.md, Repairs).
 *
 * `RepairModule` is the feature (it joins the all-in-one process as it is); `forRoot` adds the
 * service runtime for the standalone process. Wiring only: the rules and the worker live in
 * `@bridge/repair`, the jobs in `@bridge/store`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ComponentClientsModule } from '@bridge/components';
import { RepairApprovals } from './repair-approvals';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { RepairJobStore } from '@bridge/store';
import { RepairFindingsController } from './repair-findings.controller';
import { RepairWorkerScheduler } from './repair-worker.scheduler';

@Module({
  imports: [ComponentClientsModule],
  controllers: [RepairFindingsController],
  providers: [
    RepairWorkerScheduler,
    {
      provide: RepairApprovals,
      inject: [RepairJobStore],
      useFactory: (jobs: RepairJobStore) => new RepairApprovals(jobs),
    },
  ],
  exports: [RepairApprovals],
})
export class RepairModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: RepairModule,
      imports: [ServiceRuntimeModule.forService('repair', config)],
    };
  }
}
