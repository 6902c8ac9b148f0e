/**
 * Scanner service: scheduled and on-demand full consistency scans in both directions (see
 * docs/design.md, Scans), recorded in the sync event log like the checker's findings, announced
 * on `bridge.sync.mismatch`, and so repaired by the same repair service.
 *
 * `ScannerModule` is the feature (it joins the all-in-one process as it is, where the checker's
 * outbox relay also covers the scanner's findings); `forRoot` adds the service runtime and an
 * outbox relay for the standalone process. Wiring only: the scan rules, the runner and the
 * scanner's operations live in `@bridge/scan`, the scan records in `@bridge/store`.
 *
 * The scanner has component clients of its own, so that the requests a scan reports are its
 * own and its rate limits are not shared with the checks of the same process.
 */
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { FindingPublisher, OutboxRelayScheduler } from '@bridge/checks';
import { ComponentClients } from '@bridge/components';
import { EventPublisher } from '@bridge/messaging';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { Scanner } from './scanner';
import type { ScanComponents } from './scan-runner';
import {
  KnownRunIds,
  ScanCursorStore,
  ScanLock,
  ScanStore,
  StoreTransactions,
  SyncEventLog,
} from '@bridge/store';
import { ScanScheduler, scannerHolder } from './scan-scheduler';

/** The scanner's own component clients. */
export const SCANNER_COMPONENTS = Symbol('SCANNER_COMPONENTS');

/**
 * What scans may call: the listings always, the range digests when both manifests offer them,
 * Canon's artifact listing when its manifest does.
 */
function scanComponentsOf(clients: ComponentClients, config: BridgeConfig): ScanComponents {
  const { cappella, hippo, canon } = config.components;
  const digests = cappella.capabilities.rangeDigests && hippo.capabilities.rangeDigests;
  return {
    cappella: clients.cappella,
    hippo: clients.hippo,
    digests: digests ? { cappella: clients.cappella, hippo: clients.hippo } : null,
    canon: canon.capabilities.artifactListing ? clients.canon : null,
  };
}

@Injectable()
class ScannerComponentsShutdown implements OnApplicationShutdown {
  constructor(@Inject(SCANNER_COMPONENTS) private readonly clients: ComponentClients) {}

  onApplicationShutdown(): Promise<void> {
    return this.clients.close();
  }
}

@Module({
  providers: [
    {
      provide: SCANNER_COMPONENTS,
      inject: [BRIDGE_CONFIG],
      useFactory: (config: BridgeConfig) => ComponentClients.fromConfig(config.components),
    },
    ScannerComponentsShutdown,
    {
      provide: Scanner,
      inject: [
        BRIDGE_CONFIG,
        SCANNER_COMPONENTS,
        StoreTransactions,
        ScanStore,
        ScanCursorStore,
        KnownRunIds,
        ScanLock,
        SyncEventLog,
        EventPublisher,
      ],
      useFactory: (
        config: BridgeConfig,
        components: ComponentClients,
        transactions: StoreTransactions,
        scans: ScanStore,
        cursors: ScanCursorStore,
        knownRuns: KnownRunIds,
        lock: ScanLock,
        log: SyncEventLog,
        publisher: EventPublisher,
      ) =>
        new Scanner({
          components: scanComponentsOf(components, config),
          transactions,
          scans,
          cursors,
          knownRuns,
          lock,
          log,
          findings: new FindingPublisher(publisher),
          settings: config.scan,
          strategies: config.repairStrategies,
          holder: scannerHolder(),
        }),
    },
    ScanScheduler,
  ],
  exports: [Scanner, ScanScheduler],
})
export class ScannerModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: ScannerModule,
      imports: [ServiceRuntimeModule.forService('scanner', config)],
      providers: [OutboxRelayScheduler],
    };
  }
}
