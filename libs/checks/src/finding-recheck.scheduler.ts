/**
 * Drives the `FindingRechecker` in a `WorkLoop`: pass after pass while findings are due,
 * pausing `FINDING_RECHECK_INTERVAL_MS` when none is. Every checker instance runs one; claims
 * keep them from re-checking the same finding at once. A failed pass (the database down) is
 * logged and tried again after the pause.
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { ComponentReader } from './component-reader';
import { FindingRechecker } from './finding-rechecker';
import { EventPublisher } from '@bridge/messaging';
import { WorkLoop } from '@bridge/runtime';
import { StoreTransactions, SyncEventLog } from '@bridge/store';

@Injectable()
export class FindingRecheckScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  readonly rechecker: FindingRechecker;
  private readonly loop: WorkLoop;

  constructor(
    @Inject(BRIDGE_CONFIG) config: BridgeConfig,
    components: ComponentReader,
    log: SyncEventLog,
    transactions: StoreTransactions,
    publisher: EventPublisher,
  ) {
    this.rechecker = new FindingRechecker({
      components,
      log,
      transactions,
      publisher,
      settings: config.recheck,
    });
    this.loop = new WorkLoop({
      name: 'finding re-check',
      idleMs: config.recheck.intervalMs,
      pass: async () => (await this.rechecker.pass()).claimed > 0,
      logger: new Logger('FindingRechecker'),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** Resolves once `count` passes begun from now have ended (see `WorkLoop.afterPasses`). */
  afterPasses(count: number): Promise<void> {
    return this.loop.afterPasses(count);
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }
}
