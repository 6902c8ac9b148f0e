/**
 * The gauges operators alert on that only the store knows: findings open now and the age of
 * the oldest, repairs awaiting approval and the age of the oldest, dead letters still pending,
 * and when each kind of scan last completed (the alerting rules in deploy/prometheus read
 * them). The API registers their sources, so each is read once per scrape of the API, in a
 * distributed deployment as in the one-process mode; the other services would only report the
 * same numbers again.
 */
import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BridgeMetrics } from '@bridge/metrics';
import {
  DeadLetterStore,
  RepairJobStore,
  SCAN_MODES,
  ScanStore,
  SyncEventQueries,
} from '@bridge/store';

/** Seconds from `oldest` to `now`; 0 when there is nothing (an empty queue has no age). */
export function ageInSeconds(oldest: Date | null, now: number): number {
  return oldest === null ? 0 : Math.max(0, (now - oldest.getTime()) / 1000);
}

@Injectable()
export class StoreStateGauges implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly removers: Array<() => void> = [];

  constructor(
    private readonly findings: SyncEventQueries,
    private readonly repairs: RepairJobStore,
    private readonly deadLetters: DeadLetterStore,
    private readonly scans: ScanStore,
  ) {}

  onApplicationBootstrap(): void {
    this.removers.push(
      BridgeMetrics.openFindings.addSource(async () =>
        (await this.findings.openMismatches()).map((row) => ({
          labels: { mismatch_type: row.mismatchType, source: row.source },
          value: row.open,
        })),
      ),
      BridgeMetrics.oldestOpenFindingAge.addSource(async () => [
        { labels: {}, value: ageInSeconds(await this.findings.oldestOpenFindingAt(), Date.now()) },
      ]),
      BridgeMetrics.repairsAwaitingApproval.addSource(async () => [
        { labels: {}, value: (await this.repairs.countByState()).AWAITING_APPROVAL },
      ]),
      BridgeMetrics.oldestAwaitingApprovalAge.addSource(async () => [
        {
          labels: {},
          value: ageInSeconds(await this.repairs.oldestCreatedIn('AWAITING_APPROVAL'), Date.now()),
        },
      ]),
      BridgeMetrics.deadLettersPending.addSource(async () => [
        { labels: {}, value: await this.deadLetters.countPending() },
      ]),
      BridgeMetrics.scanLastSuccess.addSource(async () => {
        const latest = await Promise.all(
          SCAN_MODES.map(async (mode) => ({ mode, scan: await this.scans.latestCompleted(mode) })),
        );
        return latest.flatMap(({ mode, scan }) =>
          scan?.finishedAt ? [{ labels: { mode }, value: scan.finishedAt.getTime() / 1000 }] : [],
        );
      }),
    );
  }

  onModuleDestroy(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}
