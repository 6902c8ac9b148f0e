/**
 * The world the fault suites break: every Bridge service as its own built process (ingest,
 * checker, repair, scanner, api; of some, several instances) on a Kafka of the suite's own (a
 * single broker, or a three-node cluster whose links the network faults degrade, so that
 * breaking it touches no other test), the shared schema registry behind a `TcpLink` that can be
 * cut, a fresh PostgreSQL database on the machine's server (behind a link too, if asked), and
 * the component simulator in this process with its ground truth. An observer consumer counts every outbound event id Bridge
 * publishes, and the world reads back what Bridge recorded, so that each fault can be scored
 * with `tallyRuns`.
 *
 * Nothing here is a mock: the services are the production entry points, configured through
 * the environment like a deployment (short intervals so that a fault plays out in seconds).
 * `FAULT_PROFILE=defaults` keeps the shipped consumer session (30 s) and retry tiers (5, 30 and
 * 120 s) instead of the short ones (10 s; 1, 3 and 8 s), to measure recovery as deployed.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { AssignerProtocol, type Kafka } from 'kafkajs';
import { Pool } from 'pg';
import {
  DEAD_LETTER_TOPIC,
  OUTBOUND_TOPICS,
  RETRY_TIER_TOPICS,
  type Topic,
} from '@bridge/contracts';
import { EventPublisher, EventSubscriber, type Subscription } from '@bridge/messaging';
import { partitionLag } from '../../libs/messaging/src/kafka/consumer-lag';
import { tokenDigest } from '@bridge/query-api';
import type { GenerationResult, ScanTruth } from '@bridge/simulator';
import { startSimulatedComponents, type SimulatedComponents } from '../pipeline-harness';
import {
  ROOT,
  cleanUp,
  freePorts,
  describeGroup,
  scrapeConsumerLag,
  scrapeMetricSum,
  spawnService,
  SERVICE_NAMES,
  type ServiceName,
  type ServiceProcess,
} from '../service-processes';
import { stackEnv } from '../stack-config';
import type { Evidence, Expectation, FindingRow } from './fault-tally';
import { TcpLink } from '../network/tcp-link';

const run = promisify(execFile);

export const ADMIN_TOKEN = 'fault-suite-admin-token';

/** `short` (CI's) or `defaults` (the shipped session and retry tiers); see the module comment. */
export const FAULT_PROFILE: 'short' | 'defaults' =
  process.env.FAULT_PROFILE === 'defaults' ? 'defaults' : 'short';

/**
 * The short profile's settings: delayed retries long enough to outlast the component outages
 * the suite injects, and a crashed member's partitions moving on after 10 s instead of 30 s.
 */
const SHORT_PROFILE = {
  CHECK_RETRY_DELAYS_MS: '1000,3000,8000',
  KAFKA_SESSION_TIMEOUT_MS: '10000',
};

/** What the profile in use sets, for the report. */
export const FAULT_PROFILE_SETTINGS =
  FAULT_PROFILE === 'short'
    ? Object.entries(SHORT_PROFILE)
        .map(([name, value]) => `${name}=${value}`)
        .join(', ')
    : `${Object.keys(SHORT_PROFILE).join(' and ')} left to the configuration's defaults`;

/** Cappella and Hippo pages of the scanner, and Hippo's rate for it: a scan lasts seconds. */
const SCAN_PAGE_SIZE = 50;
const SCAN_HIPPO_RATE = 40;
export const SCAN_GRACE_MS = 30_000;

/** Component clients of the services: quick timeouts and a circuit that reopens quickly. */
function manifest(scanner: boolean): string {
  const client = {
    timeoutMs: 1_000,
    retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
    circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 500 },
    ...(scanner ? { pageSize: SCAN_PAGE_SIZE } : {}),
  };
  const file = join(mkdtempSync(join(tmpdir(), 'bridge-fault-manifest-')), 'components.json');
  writeFileSync(
    file,
    JSON.stringify({
      cappella: client,
      hippo: {
        ...client,
        capabilities: { bulkLookup: true },
        ...(scanner ? { rateLimitPerSecond: SCAN_HIPPO_RATE } : {}),
      },
      canon: client,
    }),
  );
  return file;
}

/** The Kafka a world runs on: a `PrivateBroker` or a `PrivateCluster`. */
export interface FaultKafka {
  /** Bootstrap of Bridge's services. */
  readonly brokers: string;
  /** Bootstrap of the simulator and the observer, if not the same (past the cluster's links). */
  readonly directBrokers?: string;
  up(): Promise<void>;
  remove(): Promise<void>;
  /** A client of the suite's own reads. */
  kafka(clientId: string): Kafka;
  logFiles(): string[];
}

export interface WorldOptions<K extends FaultKafka> {
  kafka: K;
  /** Instances of each service (1 where not given). */
  instances?: Partial<Record<ServiceName, number>>;
  /** Puts PostgreSQL behind a `TcpLink` (`databaseLink`) for the services. */
  linkDatabase?: boolean;
  /** Settings on top of the world's own. */
  env?: NodeJS.ProcessEnv;
}

/** What Bridge owes one subject, and the log row key its check records it under. */
export interface Owed extends Expectation {
  checkKey: string;
}

export class FaultWorld<K extends FaultKafka = FaultKafka> {
  /** Running processes by `<service>:<instance>`. */
  private readonly services = new Map<string, ServiceProcess>();
  private generation = 0;

  private constructor(
    readonly broker: K,
    readonly registryLink: TcpLink,
    /** Between the services and PostgreSQL, when the world was asked for it. */
    readonly databaseLink: TcpLink | undefined,
    readonly components: SimulatedComponents,
    readonly env: NodeJS.ProcessEnv,
    private readonly scannerEnv: NodeJS.ProcessEnv,
    readonly pool: Pool,
    private readonly observer: Subscription,
    /** Deliveries seen per outbound event id (findings and repairs). */
    readonly deliveries: ReadonlyMap<string, number>,
    /** Dead letters seen, by their reasons. */
    readonly deadLetters: readonly string[],
  ) {}

  /** Starts everything; if any part fails, what was started is stopped again. */
  static async start<K extends FaultKafka>(options: WorldOptions<K>): Promise<FaultWorld<K>> {
    const undo: Array<() => Promise<unknown>> = [];
    try {
      return await FaultWorld.build(options, undo);
    } catch (error) {
      await cleanUp(undo.reverse()).catch(() => undefined);
      throw error;
    }
  }

  private static async build<K extends FaultKafka>(
    options: WorldOptions<K>,
    undo: Array<() => Promise<unknown>>,
  ): Promise<FaultWorld<K>> {
    const broker = options.kafka;
    undo.push(() => broker.remove());
    await broker.up();
    const registry = new URL(stackEnv().registryUrl);
    const registryLink = await TcpLink.open(registry.hostname, Number(registry.port));
    undo.push(() => registryLink.close());
    const components = await startSimulatedComponents({
      KAFKA_BROKERS: broker.directBrokers ?? broker.brokers,
    });
    undo.push(
      () => components.db.drop(),
      () => components.simApp.close(),
    );
    const linkedRegistry = new URL(registry.toString());
    linkedRegistry.port = String(registryLink.port);
    let databaseLink: TcpLink | undefined;
    let databaseUrl = components.db.url;
    if (options.linkDatabase) {
      const direct = new URL(components.db.url);
      databaseLink = await TcpLink.open(direct.hostname, Number(direct.port || 5432));
      const linked = new URL(components.db.url);
      linked.port = String(databaseLink.port);
      databaseUrl = linked.toString();
      undo.push(() => databaseLink?.close() ?? Promise.resolve());
    }
    const env: NodeJS.ProcessEnv = {
      ...components.env,
      KAFKA_BROKERS: broker.brokers,
      DATABASE_URL: databaseUrl,
      SCHEMA_REGISTRY_URL: linkedRegistry.toString().replace(/\/$/, ''),
      COMPONENT_MANIFEST_FILE: manifest(false),
      ...SHORT_PROFILE,
      CHECK_LEASE_MS: '3000',
      CONSUMER_MAX_ATTEMPTS: '5',
      STRATEGY_MISSING_ENTITY: 'resubmit_run',
      STRATEGY_STALE_CACHE: 'evict_immediately',
      REPAIR_INTERVAL_MS: '200',
      REPAIR_LEASE_MS: '5000',
      REPAIR_RETRY_INITIAL_MS: '300',
      REPAIR_RETRY_MAX_MS: '2000',
      REPAIR_MAX_ATTEMPTS: '30',
      REPAIR_CONFIRM_INTERVAL_MS: '300',
      REPAIR_CONFIRM_MAX_INTERVAL_MS: '1000',
      // Past the slowest Cappella of the faults (8 s): a submission still being served is found.
      REPAIR_SUBMISSION_SEARCH_DELAY_MS: '20000',
      OUTBOX_RELAY_INTERVAL_MS: '1000',
      OUTBOX_RELAY_MIN_AGE_MS: '1000',
      SCAN_SCHEDULE: 'off',
      SCAN_GRACE_DELAY_MS: String(SCAN_GRACE_MS),
      SCAN_POLL_INTERVAL_MS: '500',
      STATUS_REPORT_INTERVAL_MS: '2000',
      SHUTDOWN_DRAIN_MS: '2000',
      API_TOKENS: `admin:fault-suite:${tokenDigest(ADMIN_TOKEN)}`,
      API_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'warn',
      ...options.env,
    };
    if (FAULT_PROFILE === 'defaults') {
      // Unset (the harness sets its own too), not copied: whatever the configuration's
      // defaults are is what gets measured.
      for (const name of Object.keys(SHORT_PROFILE)) delete env[name];
    }
    const scannerEnv = { ...env, COMPONENT_MANIFEST_FILE: manifest(true) };
    const pool = new Pool({ connectionString: components.db.url, max: 3 });
    pool.on('error', () => undefined); // the suite restarts PostgreSQL under it
    undo.push(() => pool.end());

    const deliveries = new Map<string, number>();
    const deadLetters: string[] = [];
    const observer = await components.simApp.get(EventSubscriber).subscribe({
      groupId: `${components.prefix}-observer`,
      topics: [...OUTBOUND_TOPICS, DEAD_LETTER_TOPIC],
      handler: ({ topic, event }) => {
        if (topic === DEAD_LETTER_TOPIC) {
          deadLetters.push(`${'reason' in event ? event.reason : '?'}`);
        } else {
          deliveries.set(event.event_id, (deliveries.get(event.event_id) ?? 0) + 1);
        }
        return Promise.resolve();
      },
    });
    const world = new FaultWorld(
      broker,
      registryLink,
      databaseLink,
      components,
      env,
      scannerEnv,
      pool,
      observer,
      deliveries,
      deadLetters,
    );
    undo.push(() => observer.stop());
    undo.push(() => world.stopServices());
    for (const name of SERVICE_NAMES) {
      for (let instance = 1; instance <= (options.instances?.[name] ?? 1); instance += 1) {
        await world.startService(name, instance);
      }
    }
    return world;
  }

  get sim(): SimulatedComponents['sim'] {
    return this.components.sim;
  }

  service(name: ServiceName, instance = 1): ServiceProcess {
    const service = this.services.get(`${name}:${instance}`);
    if (!service) throw new Error(`${name} #${instance} is not running`);
    return service;
  }

  /** Starts (or starts again) an instance of a service on a new port; waits until it is ready. */
  async startService(name: ServiceName, instance = 1): Promise<ServiceProcess> {
    const [port] = await freePorts(1);
    this.generation += 1;
    const label = `${name}-${this.generation}`;
    // The label as kafkajs's client id: the broker's view of a group then names each process.
    const env = { ...(name === 'scanner' ? this.scannerEnv : this.env), KAFKA_CLIENT_ID: label };
    const service = spawnService(name, port, env, label);
    this.services.set(`${name}:${instance}`, service);
    await service.healthy(90_000);
    return service;
  }

  /**
   * SIGKILLs the service (no shutdown hooks, no last commit) and starts a new process of it.
   * `whileDown` runs between the two, so what it reads is the state the kill left (a count
   * taken after the restart could include work the new process already did). Returns when the
   * new process is ready, with the moments of both and what `whileDown` returned.
   */
  async crash<T = undefined>(
    name: ServiceName,
    whileDown?: () => Promise<T>,
    instance = 1,
  ): Promise<{ killedAt: number; readyAt: number; atKill: T | undefined }> {
    await this.service(name, instance).kill();
    const killedAt = Date.now();
    const atKill = await whileDown?.();
    await this.startService(name, instance);
    return { killedAt, readyAt: Date.now(), atKill };
  }

  /** Restarts the machine's PostgreSQL server (fast shutdown: every connection is cut). */
  async restartPostgres(): Promise<void> {
    const { stdout } = await run('pg_lsclusters', ['-h']);
    const port = new URL(stackEnv().databaseUrl).port || '5432';
    const cluster = stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .find((fields) => fields[2] === port);
    if (!cluster) throw new Error(`no PostgreSQL cluster on port ${port}: ${stdout}`);
    await run(
      'pg_ctlcluster',
      ['--skip-systemctl-redirect', cluster[0], cluster[1], 'restart', '-m', 'fast'],
      { timeout: 60_000 },
    );
  }

  /**
   * A paced stream of completed runs, a seeded 5 % of them missing one output. Cappella keeps
   * an event its broker refused and sends it again (a leader election on the cluster).
   */
  stream(ratePerSecond: number, durationMs: number): Promise<GenerationResult> {
    return this.sim.generateStream({
      ratePerSecond,
      durationMs,
      outputsPerRun: 4,
      untilSent: true,
    });
  }

  /** As many completed runs as the transport takes, at once. */
  burst(count: number): Promise<GenerationResult> {
    return this.sim.generateBatch({ count, outputsPerRun: 4, untilSent: true });
  }

  /**
   * Hippo deletes the outputs of `runId` (one already checked), and Canon keeps the artifacts
   * of the first `leave` of them: the stale cache the availability event must lead Bridge to.
   * Returns the event id.
   */
  async deleteOutputs(runId: string, leave: number): Promise<string> {
    const response = await fetch(`${this.components.simUrl}/cappella/runs/${runId}/outputs`);
    if (!response.ok) throw new Error(`outputs of ${runId}: HTTP ${response.status}`);
    const keys = (await response.json()) as Array<{ entity_type: string; external_id: string }>;
    const deletion = await this.sim.deleteEntities({ keys, leaveArtifactsFor: leave });
    return deletion.eventId;
  }

  /**
   * What Bridge owes each run and availability change: the finding the ground truth expects,
   * one repair for a missing output (a resubmission) or a stale cache (an eviction), and an ok
   * for each run resubmitted in repair (which the suite waits for as well).
   */
  expectations(runIds: readonly string[], availabilityIds: readonly string[] = []): Owed[] {
    const truth = this.sim.truth();
    const wanted = new Set(runIds);
    const rootOf = resubmissionRoots(truth.resubmissions);
    const resubmitted = truth.resubmissions
      .filter((r) => wanted.has(rootOf(r.runId) ?? ''))
      .map((r) => r.runId);
    const runs = [...runIds, ...resubmitted].map((runId): Owed => {
      const run = truth.runs[runId];
      if (!run) throw new Error(`the ground truth has no run ${runId}`);
      const checkKey = `post_run:${runId}`;
      if (run.kind === 'missing_entity') {
        return {
          subject: runId,
          checkKey,
          finding: 'bridge.sync.mismatch',
          published: true,
          repaired: true,
        };
      }
      if (run.kind !== 'ok') throw new Error(`unexpected truth for ${runId}: ${run.kind}`);
      return {
        subject: runId,
        checkKey,
        finding: 'bridge.sync.ok',
        published: true,
        repaired: false,
      };
    });
    const changes = availabilityIds.map((eventId): Owed => {
      const change = truth.availability[eventId];
      if (!change) throw new Error(`the ground truth has no availability event ${eventId}`);
      const checkKey = `canon_staleness:${eventId}`;
      return change.kind === 'stale_cache'
        ? {
            subject: eventId,
            checkKey,
            finding: 'bridge.sync.stale_cache',
            published: true,
            repaired: true,
          }
        : {
            subject: eventId,
            checkKey,
            finding: 'bridge.sync.cache_clean',
            published: false,
            repaired: false,
          };
    });
    return [...runs, ...changes];
  }

  /** What Bridge left for each subject: its check's rows, deliveries, repairs carried out. */
  async evidence(owed: readonly Owed[]): Promise<Map<string, Evidence>> {
    const { rows } = await this.pool.query<{
      dedupe_key: string;
      event_type: string;
      outbound_event_id: string | null;
      published_at: Date | null;
    }>(
      `SELECT dedupe_key, event_type, outbound_event_id, published_at FROM sync_events
        WHERE dedupe_key = ANY($1::text[])`,
      [owed.map((o) => o.checkKey)],
    );
    const byKey = new Map<string, FindingRow[]>();
    for (const row of rows) {
      const list = byKey.get(row.dedupe_key) ?? [];
      list.push({
        eventType: row.event_type,
        outboundEventId: row.outbound_event_id,
        publishedAt: row.published_at,
      });
      byKey.set(row.dedupe_key, list);
    }
    const truth = this.sim.truth();
    // A run resubmitted twice shows as a resubmission of its first resubmission (the latest
    // run with those inputs): each is counted against the run the repairs started from.
    const rootOf = resubmissionRoots(truth.resubmissions);
    const repairs = new Map<string, number>();
    for (const r of truth.resubmissions) {
      const root = rootOf(r.runId);
      if (root) repairs.set(root, (repairs.get(root) ?? 0) + 1);
    }
    // Canon records the evictions it accepted: a stale cache is repaired once every artifact
    // left behind was evicted, and twice if two accepted evictions touched it (asking again
    // for artifacts already gone is accepted by nobody, and harmless).
    const evictedBy = (artifactIds: readonly string[]) => {
      const touching = truth.evictions.filter(
        (e) => e.mode === 'immediate' && e.artifactIds.some((id) => artifactIds.includes(id)),
      );
      const evicted = new Set(touching.flatMap((e) => e.artifactIds));
      return artifactIds.every((id) => evicted.has(id)) ? touching.length : 0;
    };
    return new Map(
      owed.map((o) => {
        const change = truth.availability[o.subject];
        const repaired =
          change?.kind === 'stale_cache'
            ? evictedBy(change.artifactIds)
            : (repairs.get(o.subject) ?? 0);
        return [
          o.subject,
          { rows: byKey.get(o.checkKey) ?? [], deliveries: this.deliveries, repairs: repaired },
        ];
      }),
    );
  }

  /** How many of `runIds` have their post-run finding recorded. */
  async findingsAmong(runIds: readonly string[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sync_events WHERE dedupe_key = ANY($1::text[])`,
      [runIds.map((runId) => `post_run:${runId}`)],
    );
    return rows[0].n;
  }

  /** Rows whose outbound event is still owed, and repair jobs not finished yet. */
  async backlog(): Promise<{ findings: number; repairs: number; openRepairs: number }> {
    const { rows } = await this.pool.query<{
      findings: string;
      repairs: string;
      open_repairs: string;
    }>(
      `SELECT
         (SELECT count(*) FROM sync_events WHERE outbound_event_id IS NOT NULL AND published_at IS NULL) AS findings,
         (SELECT count(*) FROM repair_jobs WHERE outbound_event_id IS NOT NULL AND published_at IS NULL) AS repairs,
         (SELECT count(*) FROM repair_jobs WHERE state NOT IN ('DONE', 'FAILED', 'REJECTED')) AS open_repairs`,
    );
    return {
      findings: Number(rows[0].findings),
      repairs: Number(rows[0].repairs),
      openRepairs: Number(rows[0].open_repairs),
    };
  }

  /** Repair jobs that ended FAILED, and check findings that gave up: both count against Bridge. */
  async failures(): Promise<{ failedRepairs: number; failedChecks: number }> {
    const { rows } = await this.pool.query<{ repairs: string; checks: string }>(
      `SELECT (SELECT count(*) FROM repair_jobs WHERE state = 'FAILED') AS repairs,
              (SELECT count(*) FROM sync_events WHERE event_type = 'bridge.sync.check_failed') AS checks`,
    );
    return { failedRepairs: Number(rows[0].repairs), failedChecks: Number(rows[0].checks) };
  }

  /**
   * Repair jobs not DONE (open or FAILED) per state, with the last errors of two of them: what
   * a fault that never settles says about its repairs.
   */
  async repairsNotDone(): Promise<Record<string, { jobs: number; lastErrors: string[] }>> {
    const { rows } = await this.pool.query<{ state: string; jobs: number; errors: string[] }>(
      `SELECT state, count(*)::int AS jobs,
              (array_remove(array_agg(left(last_error, 200) ORDER BY id), NULL))[1:2] AS errors
         FROM repair_jobs WHERE state NOT IN ('DONE', 'REJECTED') GROUP BY state`,
    );
    return Object.fromEntries(
      rows.map((row) => [row.state, { jobs: row.jobs, lastErrors: row.errors ?? [] }]),
    );
  }

  /**
   * Consumer lag of every group of the services, read from the broker itself: for each group
   * (its members say which topics it reads), the messages between its commits and the end of
   * each partition. A group without members, or a broker that does not answer, is an error,
   * not a zero: "settled" must never be concluded from what could not be read.
   */
  async consumerLag(): Promise<number> {
    return sum((await this.consumerLagByPartition()).values());
  }

  /** The lag behind `consumerLag`, per `<group> <topic>[<partition>]` that lags at all. */
  async consumerLagByPartition(): Promise<Map<string, number>> {
    const admin = this.broker.kafka(`${this.components.prefix}-lag`).admin();
    await admin.connect();
    try {
      const prefix = `${this.components.prefix}-`;
      const { groups } = await admin.listGroups();
      const ours = groups
        .map((group) => group.groupId)
        .filter((id) => id.startsWith(prefix) && id !== `${prefix}observer`);
      if (ours.length === 0) throw new Error('the services have no consumer group yet');
      const described = await admin.describeGroups(ours);
      const lagging = new Map<string, number>();
      for (const group of described.groups) {
        if (group.members.length === 0) {
          throw new Error(`group ${group.groupId} has no member (${group.state})`);
        }
        const topics = new Set(group.members.flatMap(topicsOf));
        const committed = await admin.fetchOffsets({ groupId: group.groupId, topics: [...topics] });
        for (const { topic, partitions } of committed) {
          const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e]));
          for (const { partition, offset } of partitions) {
            const end = ends.get(partition);
            if (!end) continue;
            // Every group reads from the beginning: no commit yet means all that is retained.
            const lag =
              partitionLag({ partition, low: end.low, high: end.high, committed: offset }, true) ??
              0;
            if (lag > 0) lagging.set(`${group.groupId} ${topic}[${partition}]`, lag);
          }
        }
      }
      return lagging;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Where a run's event got to, for the failure message of an event without its outcome: every
   * copy of its inbound event and of its check work on Kafka (topic, partition, offset) with
   * each group's committed offset there, and the rows and leases the store holds for it. Tells
   * the stage that dropped it (never published, never claimed, consumed past, or decided without
   * a row).
   */
  async traceRun(runId: string): Promise<string> {
    const topics = [
      'cappella.run.completed',
      'bridge.internal.checks',
      'bridge.internal.checks.recheck',
      ...RETRY_TIER_TOPICS,
    ];
    const kafka = this.broker.kafka(`${this.components.prefix}-trace`);
    const admin = kafka.admin();
    await admin.connect();
    const found: Array<{ topic: string; partition: number; offset: string; attempt?: unknown }> =
      [];
    const inboundKeys = new Set<string>();
    const committed: string[] = [];
    try {
      const ends = new Map<string, Map<number, string>>();
      for (const topic of topics) {
        ends.set(
          topic,
          new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high])),
        );
      }
      // The suite's own groups are named apart (`suite-`), so that the lag of the services never counts them.
      const consumer = kafka.consumer({
        groupId: `suite-${this.components.prefix}-trace-${Date.now()}`,
      });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      const left = new Set(
        [...ends].flatMap(([topic, highs]) =>
          [...highs]
            .filter(([, high]) => high !== '0')
            .map(([partition]) => `${topic}/${partition}`),
        ),
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`trace read ${left.size} partitions short`)),
          60_000,
        );
        if (left.size === 0) {
          clearTimeout(timer);
          resolve();
          return;
        }
        void consumer
          .run({
            eachMessage: ({ topic, partition, message }) => {
              if (message.key?.toString() === runId) {
                found.push({ topic, partition, offset: message.offset });
              }
              if (topic === 'cappella.run.completed' && message.key) {
                inboundKeys.add(message.key.toString());
              }
              const high = ends.get(topic)?.get(partition);
              if (high !== undefined && BigInt(message.offset) + 1n >= BigInt(high)) {
                left.delete(`${topic}/${partition}`);
                if (left.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              }
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      const { groups } = await admin.listGroups();
      const ours = groups
        .map((group) => group.groupId)
        .filter((id) => id.startsWith(`${this.components.prefix}-`) && !id.includes('-trace'));
      for (const groupId of ours) {
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
          for (const { partition, offset } of partitions) {
            if (found.some((f) => f.topic === topic && f.partition === partition)) {
              committed.push(`${groupId} ${topic}/${partition}@${offset}`);
            }
          }
        }
      }
    } catch (error) {
      committed.push(`(trace incomplete: ${(error as Error).message})`);
    } finally {
      await admin.disconnect();
    }
    const { rows } = await this.pool.query<{ dedupe_key: string; event_type: string }>(
      `SELECT dedupe_key, event_type FROM sync_events WHERE source_id = $1`,
      [runId],
    );
    const leases = await this.pool.query<{ check_key: string; holder: string; expires_at: Date }>(
      `SELECT check_key, holder, expires_at FROM check_leases WHERE check_key LIKE $1`,
      [`%${runId}%`],
    );
    // Every run the simulator says it announced, against what the inbound topic holds.
    const announced = Object.entries(this.sim.truth().runs)
      .filter(([, run]) => run.eventId !== null && run.origin !== 'scenario')
      .map(([id]) => id);
    const absent = announced.filter((id) => !inboundKeys.has(id));
    return [
      `inbound topic: ${inboundKeys.size} run keys, ${announced.length} runs announced, absent: ${absent.slice(0, 10).join(' ') || 'none'}${absent.length > 10 ? ` and ${absent.length - 10} more` : ''}`,
      `on Kafka: ${found.map((f) => `${f.topic}/${f.partition}@${f.offset}`).join(', ') || 'nowhere'}`,
      `committed: ${committed.join(', ') || 'none'}`,
      `rows: ${rows.map((r) => `${r.event_type} ${r.dedupe_key}`).join(', ') || 'none'}`,
      `leases: ${leases.rows.map((l) => `${l.holder} until ${l.expires_at.toISOString()}`).join(', ') || 'none'}`,
    ].join('; ');
  }

  /**
   * What holds a lagging partition up, for the failure message of a fault that never settles:
   * the messages between the group's committed offset and the end (their keys, attempt, delay
   * and due time), and the check leases held now, per holder.
   */
  async describeLag(lagging: ReadonlyMap<string, number>): Promise<string> {
    const said: string[] = [];
    const kafka = this.broker.kafka(`${this.components.prefix}-lag-trace`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const name of [...lagging.keys()].slice(0, 3)) {
        const match = /^(\S+) (\S+)\[(\d+)\]$/.exec(name);
        if (!match) continue;
        const [, groupId, topic, partitionText] = match;
        const partition = Number(partitionText);
        const [committed] = (
          await admin.fetchOffsets({ groupId, topics: [topic] })
        )[0].partitions.filter((p) => p.partition === partition);
        const consumer = kafka.consumer({
          groupId: `suite-${this.components.prefix}-lag-trace-${Date.now()}`,
        });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        const end = (await admin.fetchTopicOffsets(topic)).find((e) => e.partition === partition);
        const from = BigInt(committed?.offset === '-1' ? '0' : (committed?.offset ?? '0'));
        const pending: string[] = [];
        const publisher = this.components.simApp.get(EventPublisher);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 20_000);
          void consumer.run({
            eachMessage: async ({ partition: p, message }) => {
              if (p !== partition || BigInt(message.offset) < from || !message.value) return;
              const event = (await publisher
                .decode(topic as Topic, message.value)
                .catch(() => ({}))) as Record<string, unknown>;
              pending.push(
                `@${message.offset} key ${message.key?.toString()} attempt ${String(event.attempt)} ${String(event.delay_reason)} due in ${typeof event.not_before === 'number' ? event.not_before - Date.now() : '?'} ms`,
              );
              if (end && BigInt(message.offset) + 1n >= BigInt(end.high)) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
        await consumer.disconnect();
        said.push(`${name} from ${from}: ${pending.slice(0, 5).join('; ') || 'nothing read'}`);
      }
      // Who holds the lagging partitions: a member that owns one and never reads it, or none.
      const groupIds = new Set([...lagging.keys()].map((name) => name.split(' ')[0]));
      for (const groupId of groupIds) {
        const group = await describeGroup(admin, groupId);
        const members = group.members.map(
          (m) =>
            `${m.clientId} ${m.memberId.slice(-8)} holds ${Object.entries(m.assignment)
              .map(([topic, partitions]) => `${topic}${JSON.stringify(partitions)}`)
              .join(' ')}`,
        );
        said.push(`group ${groupId} ${group.state}: ${members.join('; ') || 'no members'}`);
      }
    } catch (error) {
      said.push(`(lag trace incomplete: ${(error as Error).message})`);
    } finally {
      await admin.disconnect();
    }
    const leases = await this.pool.query<{ holder: string; held: string; until: Date }>(
      `SELECT holder, count(*) AS held, max(expires_at) AS until FROM check_leases GROUP BY holder`,
    );
    said.push(
      `leases: ${leases.rows.map((l) => `${l.holder} ${l.held} until ${l.until.toISOString()}`).join(', ') || 'none'} (now ${new Date().toISOString()})`,
    );
    return said.join(' | ');
  }

  /**
   * Waits until the services' group that reads `topic` is stable with `members` members, and
   * returns how long that took: what a rebalance costs, seen from the broker.
   */
  async awaitGroup(topic: string, members: number, timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    const admin = this.broker.kafka(`${this.components.prefix}-group-watch`).admin();
    await admin.connect();
    let seen = 'no group yet';
    try {
      while (Date.now() - started < timeoutMs) {
        const { groups } = await admin.listGroups();
        const ours = groups
          .map((group) => group.groupId)
          .filter((id) => id.startsWith(`${this.components.prefix}-`));
        const described = await admin.describeGroups(ours);
        const group = described.groups.find((g) =>
          g.members.some((member) => topicsOf(member).includes(topic)),
        );
        if (group) {
          seen = `${group.groupId} ${group.state} with ${group.members.length} members`;
          if (group.state === 'Stable' && group.members.length === members) {
            return Date.now() - started;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await admin.disconnect();
    }
    throw new Error(`the group reading ${topic} never had ${members} stable members: ${seen}`);
  }

  /** The same lag as the services report it on `/metrics`; a service that does not answer fails. */
  async reportedLag(): Promise<number> {
    return sum((await this.reportedLagByService()).values());
  }

  /** `reportedLag` per service process (its label). */
  async reportedLagByService(): Promise<Map<string, number>> {
    const services = [...this.services.values()];
    const lags = await Promise.all(services.map((service) => scrapeConsumerLag(service.port)));
    return new Map(services.map((service, i) => [service.label, lags[i]]));
  }

  /**
   * Partitions the running services re-read from their group's commit after it fell behind
   * (`bridge_consumer_partition_rewinds_total`); a service that does not answer counts 0.
   */
  async partitionRewinds(): Promise<number> {
    const counts = await Promise.all(
      [...this.services.values()].map((service) =>
        scrapeMetricSum(service.port, 'bridge_consumer_partition_rewinds_total').catch(() => 0),
      ),
    );
    return sum(counts);
  }

  /** The scan oracle: what a correct full scan must report now. */
  scanTruth(): ScanTruth {
    return this.sim.scanTruth(SCAN_GRACE_MS);
  }

  /** Calls the API as the suite's admin. */
  async api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(
      `http://127.0.0.1:${this.service('api').port}/api/v1/bridge/sync/${path}`,
      {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      },
    );
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** The last `perService` characters of every service process's output, for a failure message. */
  logs(perService = 20_000): string {
    return [...this.services.values()]
      .map((service) => `----- ${service.label}\n${service.logs().slice(-perService)}`)
      .join('\n');
  }

  /** Writes every service process's kept output to `<dir>/<label>.log`. */
  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const service of this.services.values()) {
      writeFileSync(join(dir, `${service.label}.log`), service.logs());
    }
  }

  /** Stops every service process (SIGTERM, then SIGKILL after 15 s). */
  async stopServices(): Promise<void> {
    await cleanUp([...this.services.values()].map((service) => () => service.stop()));
  }

  async close(): Promise<void> {
    await cleanUp([
      () => this.stopServices(),
      () => this.observer.stop(),
      () => this.components.simApp.close(),
      () => this.pool.end(),
      () => this.components.db.drop(),
      () => this.registryLink.close(),
      () => this.databaseLink?.close() ?? Promise.resolve(),
      () => this.keepBrokerLogs(),
      () => this.broker.remove(),
    ]);
  }

  /** The broker's own logs (this start's and the one before a restart), kept for a failed run. */
  private keepBrokerLogs(): Promise<void> {
    const into = join(ROOT, 'test-output', 'fault-kafka-logs');
    mkdirSync(into, { recursive: true });
    for (const from of this.broker.logFiles()) {
      if (existsSync(from)) copyFileSync(from, join(into, basename(from)));
    }
    return Promise.resolve();
  }
}

/**
 * The topics a group member subscribed to, from its protocol metadata; none while the member
 * has no such metadata yet (in the middle of joining, its metadata may be empty).
 */
function topicsOf(member: { memberMetadata: Buffer }): string[] {
  try {
    return AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.topics ?? [];
  } catch {
    return [];
  }
}

/** The total of `values`. */
export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/**
 * For each resubmitted run, the run its repairs started from: `repeatsRunId` names the latest
 * earlier run with the same inputs, which after a second resubmission is the first one.
 */
export function resubmissionRoots(
  resubmissions: ReadonlyArray<{ runId: string; repeatsRunId: string | null }>,
): (runId: string) => string | undefined {
  const repeats = new Map(resubmissions.map((r) => [r.runId, r.repeatsRunId]));
  return (runId) => {
    let root = repeats.get(runId) ?? undefined;
    for (let hops = 0; root !== undefined && repeats.has(root) && hops < 100; hops += 1) {
      root = repeats.get(root) ?? undefined;
    }
    return root;
  };
}
