/**
 * The Prometheus metrics of a Bridge process: one registry and the catalogue of everything it
 * measures, served by every service at `GET /metrics`.
 *
 * The code that does the work records into these metrics directly (the consumer loop counts
 * what it consumes, the component client times its calls…), so a metric cannot drift from the
 * code path it describes. What is a state rather than an event (consumer lag, circuit state,
 * outbox backlog, scan progress) is sampled at scrape time from sources the owning objects
 * register with `ScrapedGauge.addSource` and remove when they close.
 *
 * All services of the embedded mode share the process and so this registry; the `service`
 * label tells apart the standalone processes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withinDeadline } from '@bridge/errors';

/** One value of a sampled gauge. */
export interface GaugeSample<L extends string> {
  labels: Record<L, string | number>;
  value: number;
}

/** Reads the current samples of a gauge; may be slow (a broker or database round trip). */
export type GaugeSource<L extends string> = () => Promise<GaugeSample<L>[]> | GaugeSample<L>[];

/** A source that has not answered by then is left out of that scrape. */
const SOURCE_TIMEOUT_MS = 2_000;

/** Latency buckets (seconds) for work measured in milliseconds to tens of seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'bridge_' });

const sourceFailures = new Counter({
  name: 'bridge_metric_source_failures_total',
  help: 'Scrapes in which a sampled gauge could not read one of its sources (timeout or error).',
  labelNames: ['metric'] as const,
  registers: [metricsRegistry],
});

/**
 * A gauge whose values are read from registered sources at each scrape. A failing or slow
 * source is skipped (and counted) so that one unreachable dependency never fails the scrape,
 * and a source still busy with an earlier scrape is not asked again, so a hung dependency
 * cannot stack up reads. Several sources may report the same series (two component clients of
 * one component, two relays of one outbox): they observe the same thing, and the largest
 * value counts, so an open circuit is never hidden by a closed one.
 */
export class ScrapedGauge<L extends string> {
  private readonly sources = new Set<GaugeSource<L>>();
  private readonly reading = new Map<GaugeSource<L>, Promise<GaugeSample<L>[]>>();
  private readonly gauge: Gauge<L>;

  constructor(name: string, help: string, labelNames: readonly L[]) {
    const read = (source: GaugeSource<L>) => this.read(source, name);
    const sources = this.sources;
    this.gauge = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [metricsRegistry],
      async collect() {
        const results = await Promise.allSettled([...sources].map(read));
        this.reset();
        const values = new Map<string, GaugeSample<L>>();
        for (const result of results) {
          if (result.status === 'rejected') {
            sourceFailures.inc({ metric: name });
            continue;
          }
          for (const sample of result.value) {
            const key = JSON.stringify(labelNames.map((label) => sample.labels[label]));
            const seen = values.get(key);
            if (!seen || sample.value > seen.value) values.set(key, sample);
          }
        }
        for (const sample of values.values()) this.set(sample.labels, sample.value);
      },
    });
  }

  /** The current values, read from the sources as a scrape would. */
  async current(): Promise<Array<{ labels: Partial<Record<L, string | number>>; value: number }>> {
    return (await this.gauge.get()).values;
  }

  /** Adds a source; returns the function that removes it (call it when the owner closes). */
  addSource(source: GaugeSource<L>): () => void {
    this.sources.add(source);
    return () => {
      this.sources.delete(source);
    };
  }

  private read(source: GaugeSource<L>, name: string): Promise<GaugeSample<L>[]> {
    let reading = this.reading.get(source);
    if (!reading) {
      reading = Promise.resolve()
        .then(source)
        .finally(() => this.reading.delete(source));
      this.reading.set(source, reading);
    }
    return withinDeadline(reading, SOURCE_TIMEOUT_MS, `metric ${name}`);
  }
}

/** Everything a Bridge process measures. */
export const BridgeMetrics = {
  eventsConsumed: new Counter({
    name: 'bridge_events_consumed_total',
    help: 'Messages a consumer group finished, by topic and outcome (handled or dead_lettered).',
    labelNames: ['topic', 'group', 'outcome'] as const,
    registers: [metricsRegistry],
  }),
  consumerRetries: new Counter({
    name: 'bridge_consumer_retries_total',
    help: 'Handler attempts the consumer loop repeats, by the error code of the failed attempt.',
    labelNames: ['group', 'reason'] as const,
    registers: [metricsRegistry],
  }),
  partitionRewinds: new Counter({
    name: 'bridge_consumer_partition_rewinds_total',
    help: "Owned partitions re-read from the group's commit after it fell behind the member's reading.",
    labelNames: ['group', 'topic'] as const,
    registers: [metricsRegistry],
  }),
  deadLetters: new Counter({
    name: 'bridge_dead_letters_total',
    help: 'Messages sent to bridge.dlq.events, by source topic, group and failure kind.',
    labelNames: ['topic', 'group', 'reason'] as const,
    registers: [metricsRegistry],
  }),
  httpIngestRecords: new Counter({
    name: 'bridge_http_ingest_records_total',
    help: 'Records handed in over HTTP ingestion, by topic and outcome (accepted, duplicate, refused).',
    labelNames: ['topic', 'outcome'] as const,
    registers: [metricsRegistry],
  }),
  consumerLag: new ScrapedGauge(
    'bridge_consumer_lag',
    'Messages on a partition that the consumer group has not finished yet.',
    ['group', 'topic', 'partition'] as const,
  ),
  findings: new Counter({
    name: 'bridge_findings_published_total',
    help: 'Findings published on bridge.sync.*, by event type and mismatch type (one whose acknowledgement was lost is published, and counted, again).',
    labelNames: ['event_type', 'mismatch_type'] as const,
    registers: [metricsRegistry],
  }),
  findingRechecks: new Counter({
    name: 'bridge_finding_rechecks_total',
    help: 'Open findings looked at again, by outcome: healed, holds, rerun (a failed check run again) or unobserved (a component could not be read).',
    labelNames: ['outcome'] as const,
    registers: [metricsRegistry],
  }),
  storeRowsPruned: new Counter({
    name: 'bridge_store_rows_pruned_total',
    help: 'Rows store maintenance deleted one by one past their retention, by kind (whole partitions dropped are counted in bridge_store_partitions_total).',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  storePartitions: new Counter({
    name: 'bridge_store_partitions_total',
    help: 'Time partitions store maintenance created ahead or dropped behind, by action.',
    labelNames: ['action'] as const,
    registers: [metricsRegistry],
  }),
  storeMaintenanceLastRun: new Gauge({
    name: 'bridge_store_maintenance_last_success_timestamp_seconds',
    help: 'When this process last completed a store maintenance run (0 until it has; one process runs it at a time, so watch the most recent across processes).',
    registers: [metricsRegistry],
  }),
  approvalsExpired: new Counter({
    name: 'bridge_repair_approvals_expired_total',
    help: 'Repairs whose approval wait ran out (EXPIRED).',
    registers: [metricsRegistry],
  }),
  checkDuration: new Histogram({
    name: 'bridge_check_duration_seconds',
    help: 'Time to observe the components and decide a consistency check, by type and decision.',
    labelNames: ['check_type', 'decision'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [metricsRegistry],
  }),
  repairDuration: new Histogram({
    name: 'bridge_repair_duration_seconds',
    help: 'Time to execute a repair step against the components, by strategy and outcome.',
    labelNames: ['strategy', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [metricsRegistry],
  }),
  componentRequestDuration: new Histogram({
    name: 'bridge_component_request_duration_seconds',
    help: 'HTTP attempts to a component (retries included), by endpoint and outcome.',
    labelNames: ['component', 'endpoint', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [metricsRegistry],
  }),
  componentErrors: new Counter({
    name: 'bridge_component_errors_total',
    help: 'Component calls that failed after their retries, by endpoint and kind of failure.',
    labelNames: ['component', 'endpoint', 'kind'] as const,
    registers: [metricsRegistry],
  }),
  circuitState: new ScrapedGauge(
    'bridge_component_circuit_state',
    'Circuit breaker of each component client: 1 for its current state, 0 for the others.',
    ['component', 'state'] as const,
  ),
  outboxBacklog: new ScrapedGauge(
    'bridge_outbox_backlog',
    'Recorded rows whose outbound event was not acknowledged yet (findings, repair outcomes).',
    ['kind'] as const,
  ),
  openFindings: new ScrapedGauge(
    'bridge_open_findings',
    'Findings open now, by mismatch type and component (read from the store by the API).',
    ['mismatch_type', 'source'] as const,
  ),
  oldestOpenFindingAge: new ScrapedGauge(
    'bridge_oldest_open_finding_age_seconds',
    'Age of the oldest open finding in seconds; 0 when none is open.',
    [] as const,
  ),
  repairsAwaitingApproval: new ScrapedGauge(
    'bridge_repairs_awaiting_approval',
    'Repair jobs waiting for an operator to approve or reject them.',
    [] as const,
  ),
  oldestAwaitingApprovalAge: new ScrapedGauge(
    'bridge_oldest_awaiting_approval_age_seconds',
    'Seconds since the oldest repair job awaiting approval was created; 0 when none waits.',
    [] as const,
  ),
  deadLettersPending: new ScrapedGauge(
    'bridge_dead_letters_pending',
    'Dead letters never requeued: what still waits for an operator.',
    [] as const,
  ),
  scanLastSuccess: new ScrapedGauge(
    'bridge_scan_last_success_timestamp_seconds',
    'When the latest completed scan of each mode finished (Unix seconds); absent before the first.',
    ['mode'] as const,
  ),
  scanProgress: new ScrapedGauge(
    'bridge_scan_progress',
    'The scan in progress: ratio done (0-1), items scanned, findings, ETA in seconds; none when idle.',
    ['mode', 'measure'] as const,
  ),
};

/** Labels every metric of this process with its service name. */
export function labelMetricsWithService(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
}
