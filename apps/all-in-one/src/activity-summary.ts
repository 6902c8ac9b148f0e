/**
 * The all-in-one process's heartbeat on the terminal: every few seconds one line with the
 * events taken in, the rows recorded by kind (for findings, how many are open now, in
 * brackets; records such as ok checks are never open), the repair jobs by state, the latest scan, and the checks still queued on the
 * in-process bus.
 *
 * `formatActivity` is the pure part; `ActivitySummary` gathers the numbers from the store and
 * the bus and logs the line.
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { CHECKER_GROUP } from '@bridge/checks';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { errorMessage } from '@bridge/errors';
import { TRANSPORT, type Transport } from '@bridge/messaging';
import { progressOf } from '@bridge/scan';
import {
  FINDING_EVENT_TYPES,
  ProcessedInboundEvents,
  RepairJobStore,
  REPAIR_STATES,
  ScanStore,
  SyncEventQueries,
  type FindingCount,
  type RepairState,
  type Scan,
} from '@bridge/store';
import { INGEST_GROUP } from '@bridge/ingest';

export const ACTIVITY_INTERVAL_MS = 5_000;

export interface Activity {
  eventsIn: number;
  findings: FindingCount[];
  repairs: Record<RepairState, number>;
  /** The most recently requested scan, if any. */
  latestScan: Scan | null;
  /** Check work queued in this process; null when the transport cannot tell (Kafka). */
  checksPending: number | null;
}

const number = new Intl.NumberFormat('en-US');

/** Short name of a kind of finding: the mismatch type, or the event type without its prefix. */
function kindOf(count: FindingCount): string {
  return count.mismatchType ?? count.eventType.replace(/^bridge\.sync\./, '');
}

export function formatActivity(activity: Activity): string {
  const parts = [`events in ${number.format(activity.eventsIn)}`];
  const byKind = new Map<string, { total: number; open: number; finding: boolean }>();
  for (const count of activity.findings) {
    const kind = kindOf(count);
    const seen = byKind.get(kind) ?? { total: 0, open: 0, finding: false };
    byKind.set(kind, {
      total: seen.total + count.total,
      open: seen.open + count.open,
      finding: seen.finding || FINDING_EVENT_TYPES.includes(count.eventType),
    });
  }
  const findings = [...byKind]
    .map(([kind, { total, open, finding }]) =>
      finding
        ? `${kind} ${number.format(total)} (${number.format(open)} open)`
        : `${kind} ${number.format(total)}`,
    )
    .join(', ');
  parts.push(`findings: ${findings || 'none yet'}`);
  const repairs = REPAIR_STATES.filter((state) => activity.repairs[state] > 0)
    .map(
      (state) =>
        `${state.toLowerCase().replace('_', ' ')} ${number.format(activity.repairs[state])}`,
    )
    .join(', ');
  parts.push(`repairs: ${repairs || 'none yet'}`);
  parts.push(formatScan(activity.latestScan));
  if (activity.checksPending !== null) {
    parts.push(`checks pending ${number.format(activity.checksPending)}`);
  }
  return parts.join(' | ');
}

/** The latest scan in a few words: how far along it is, or what it found. */
export function formatScan(scan: Scan | null): string {
  if (!scan) return 'scans: none yet';
  const found = Object.values(scan.counts).reduce((sum, n) => sum + (n ?? 0), 0);
  const read = number.format(scan.items.cappella + scan.items.hippo + scan.items.canon);
  switch (scan.status) {
    case 'requested':
      return `scan ${scan.mode}: requested`;
    case 'running':
    case 'paused': {
      const { fraction } = progressOf(scan, Date.now());
      const share = fraction === null ? '' : `, ${Math.round(fraction * 100)}%`;
      return `scan ${scan.mode}: ${scan.status} (${read} read${share}, ${number.format(found)} found)`;
    }
    case 'completed':
      return `last scan ${scan.mode}: ${number.format(found)} found in ${read} read`;
    case 'failed':
      return `last scan ${scan.mode}: failed (${scan.lastError ?? 'no reason'})`;
  }
}

@Injectable()
export class ActivitySummary implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('bridge');
  private timer?: NodeJS.Timeout;
  /** One gathering at a time: a slow one (PGlite is a single connection) must not pile up. */
  private gathering = false;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    @Inject(TRANSPORT) private readonly transport: Transport,
    private readonly processed: ProcessedInboundEvents,
    private readonly queries: SyncEventQueries,
    private readonly repairs: RepairJobStore,
    private readonly scans: ScanStore,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.gathering) return;
      this.gathering = true;
      this.gather()
        .then((activity) => this.logger.log(formatActivity(activity)))
        .catch((error: unknown) => this.logger.warn(`no summary: ${errorMessage(error)}`))
        .finally(() => {
          this.gathering = false;
        });
    }, ACTIVITY_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.logger.log('stopping: finishing the work in hand');
  }

  async gather(): Promise<Activity> {
    const [eventsIn, findings, repairs, latestScan] = await Promise.all([
      this.processed.count(`${this.config.consumerGroupPrefix}-${INGEST_GROUP}`),
      this.queries.countByKind(),
      this.repairs.countByState(),
      this.scans.latest(),
    ]);
    return { eventsIn, findings, repairs, latestScan, checksPending: this.checksPending() };
  }

  private checksPending(): number | null {
    if (this.transport.kind !== 'in-process') return null;
    const checker = `${this.config.consumerGroupPrefix}-${CHECKER_GROUP}`;
    let pending = 0;
    for (const [group, queued] of this.transport.bus.backlog()) {
      if (group === checker || group.startsWith(`${checker}-`)) pending += queued;
    }
    return pending;
  }
}
