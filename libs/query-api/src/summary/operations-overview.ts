/**
 * The operations overview of the console: the status reports of every service process
 * (`service_status`), merged into what the deployment as a whole is doing now: throughput and
 * latency of checks and repairs, consumer lag per group and topic, each component's circuit
 * state (the worst any process sees) and the outbox backlog. Pure: the controller reads the
 * rows and the backlog, this decides what they say.
 */
import {
  OperationsSnapshotSchema,
  type OperationsSnapshot,
  type WorkWindow as Work,
} from '@bridge/metrics';
import type { ServiceStatusReport } from '@bridge/store';

/** Worse first: what an operator must see when processes disagree. */
const CIRCUIT_SEVERITY = ['open', 'isolated', 'half-open', 'closed'];

/** A process is silent after missing this many reports in a row. */
const SILENT_AFTER_INTERVALS = 3;

export interface OperationsOverview {
  generated_at: string;
  services: Array<{
    instance: string;
    service: string;
    status: 'up' | 'silent' | 'stopped';
    started_at: string;
    reported_at: string;
    events_per_second: number;
    dead_letters_per_second: number;
  }>;
  checks: Work;
  repairs: Work;
  components: OperationsSnapshot['components'];
  consumer_lag: OperationsSnapshot['consumer_lag'];
  outbox_backlog: { findings: number; repairs: number };
}

export function operationsOverview(
  reports: readonly ServiceStatusReport[],
  outbox: { findings: number; repairs: number },
  now: Date,
  reportIntervalMs: number,
): OperationsOverview {
  const parsed = reports.flatMap((report) => {
    // Rows that do not fit the snapshot's schema are left out.
    const snapshot = OperationsSnapshotSchema.safeParse(report.snapshot);
    return snapshot.success ? [{ report, snapshot: snapshot.data }] : [];
  });
  const statusOf = (report: ServiceStatusReport) =>
    report.stoppedAt
      ? ('stopped' as const)
      : now.getTime() - report.reportedAt.getTime() > SILENT_AFTER_INTERVALS * reportIntervalMs
        ? ('silent' as const)
        : ('up' as const);
  const live = parsed.filter(({ report }) => statusOf(report) === 'up');
  const snapshots = live.map(({ snapshot }) => snapshot);
  return {
    generated_at: now.toISOString(),
    services: parsed.map(({ report, snapshot }) => ({
      instance: report.instance,
      service: report.service,
      status: statusOf(report),
      started_at: report.startedAt.toISOString(),
      reported_at: report.reportedAt.toISOString(),
      events_per_second: snapshot.events_per_second,
      dead_letters_per_second: snapshot.dead_letters_per_second,
    })),
    checks: combinedWork(snapshots.map((s) => s.checks)),
    repairs: combinedWork(snapshots.map((s) => s.repairs)),
    components: combinedComponents(snapshots.flatMap((s) => s.components)),
    consumer_lag: combinedLag(snapshots.flatMap((s) => s.consumer_lag)),
    outbox_backlog: outbox,
  };
}

/** Rates add up across processes; for latency the slowest process's quantile is shown. */
function combinedWork(windows: Work[]): Work {
  const slowest = (pick: (w: Work) => number | null) => {
    const values = windows.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.max(...values);
  };
  return {
    per_second: round(windows.reduce((sum, w) => sum + w.per_second, 0)),
    p50_ms: slowest((w) => w.p50_ms),
    p95_ms: slowest((w) => w.p95_ms),
  };
}

function combinedComponents(
  entries: OperationsOverview['components'],
): OperationsOverview['components'] {
  const byComponent = new Map<string, OperationsOverview['components'][number]>();
  for (const entry of entries) {
    const seen = byComponent.get(entry.component);
    if (!seen) {
      byComponent.set(entry.component, { ...entry });
      continue;
    }
    seen.requests_per_second = round(seen.requests_per_second + entry.requests_per_second);
    seen.errors_per_second = round(seen.errors_per_second + entry.errors_per_second);
    if (severity(entry.state) < severity(seen.state)) seen.state = entry.state;
  }
  return [...byComponent.values()].sort((a, b) => a.component.localeCompare(b.component));
}

function severity(state: string): number {
  const index = CIRCUIT_SEVERITY.indexOf(state);
  return index < 0 ? CIRCUIT_SEVERITY.length : index;
}

/**
 * A group's lag is the group's, whichever member reports it (on Kafka every member reads the
 * whole group's offsets): the largest report counts rather than their sum.
 */
function combinedLag(
  entries: OperationsOverview['consumer_lag'],
): OperationsOverview['consumer_lag'] {
  const byKey = new Map<string, OperationsOverview['consumer_lag'][number]>();
  for (const entry of entries) {
    const key = `${entry.group}\u0000${entry.topic}`;
    const seen = byKey.get(key);
    if (!seen || entry.lag > seen.lag) byKey.set(key, { ...entry });
  }
  return [...byKey.values()].sort(
    (a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic),
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
