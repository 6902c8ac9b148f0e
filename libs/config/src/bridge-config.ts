/**
 * The typed configuration every service receives (`BRIDGE_CONFIG`), as `loadConfig` builds it
 * from the environment. The settings themselves, their defaults and meanings are declared in
 * `environment-schema.ts`; the component manifest in `component-manifest.ts`.
 */
import type { MismatchType, RepairStrategy } from '@bridge/contracts';
import type { ComponentManifest, ComponentName } from './component-manifest';
import type { DecodeLimits } from './environment-schema';

export type KafkaTransportConfig = {
  kind: 'kafka';
  brokers: string[];
  clientId: string;
  topicPartitions: number;
  /** Replication factor of topics Bridge creates; absent: the broker's default. */
  topicReplicationFactor?: number;
  /**
   * `min.insync.replicas` of topics Bridge creates: with the producers' `acks=all`, a write
   * counts once this many replicas hold it. Absent: the broker's default.
   */
  topicMinInSyncReplicas?: number;
  /** Finished offsets are committed together this often (0: after every batch). */
  commitIntervalMs: number;
  /**
   * How long the group coordinator waits for a silent member before handing its partitions to
   * the others: what a crashed process costs its group before work moves on.
   */
  sessionTimeoutMs: number;
  /** TLS to the brokers; `ca` (PEM) replaces the system's trusted authorities when given. */
  ssl: { ca?: string } | null;
  /** SASL authentication to the brokers. */
  sasl: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  } | null;
  registry: {
    url: string;
    username?: string;
    password?: string;
    compatibility: 'BACKWARD' | 'FORWARD' | 'FULL';
    /**
     * Least time between two listings of one subject's schema ids, which a record with an id
     * not known yet triggers: what bounds the registry requests a flood of made-up ids causes.
     */
    lookupMinIntervalMs: number;
  };
};

export type TransportConfig = KafkaTransportConfig | { kind: 'in-process' };

export type StoreConfig =
  | {
      kind: 'postgres';
      /** May carry `sslmode=require` / `verify-full` for TLS. */
      url: string;
      /** PEM authorities that verify the server's certificate (TLS with verification). */
      sslCa?: string;
    }
  | { kind: 'pglite'; dataDir?: string };

export interface RetryConfig {
  /** Attempts per message in the consumer loop before it is dead-lettered. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface ChecksConfig {
  /** How long a missing output may lag behind the run before it is a mismatch. */
  graceDelayMs: number;
  /** Delays of the delayed-retry tier; after the last one a check ends as `check_failed`. */
  retryDelaysMs: number[];
  /** Most check work items handled together (one bulk lookup, one multi-row insert). */
  batchSize: number;
  /** How long a checker holds a check before another may take it over (crash recovery). */
  leaseMs: number;
}

/**
 * How long the store keeps each kind of row, in days (see `StoreMaintenance`). Processed-event
 * ids must outlive the inbound topics' retention, which start-up checks.
 */
export interface RetentionConfig {
  /** Ids of inbound events already handled. */
  processedEventsDays: number;
  /** Rows of the sync event log that are not findings (ok checks, clean caches, component events). */
  recordsDays: number;
  /** Findings closed (resolved or healed), from when they closed; open findings are kept. */
  closedFindingsDays: number;
  /** Dead letters, counted from their requeue. */
  requeuedDeadLettersDays: number;
  /** Dead letters never requeued, counted from their recording. */
  pendingDeadLettersDays: number;
  /** Finished repair jobs (never those of a finding still open), from when they finished. */
  repairJobsDays: number;
  /** Finished scans (never the ones the next scans build on), from when they finished. */
  scansDays: number;
  /** Admin actions, from when they were tried. */
  auditDays: number;
}

export interface StoreMaintenanceConfig {
  retention: RetentionConfig;
  /** How often each process tries to run store maintenance (one runs at a time). */
  intervalMs: number;
}

export interface RecheckConfig {
  /**
   * When open findings are looked at again: the first entry after detection, each next one
   * after the re-check before; after the last, only when a scan runs or an operator asks.
   */
  delaysMs: number[];
  /** How often the checker looks for findings that are due. */
  intervalMs: number;
  /** Most findings re-checked together (one read per component). */
  batchSize: number;
  /** How long a re-checker holds the findings it claimed before another may take them. */
  leaseMs: number;
}

export interface RepairConfig {
  /** Jobs taken per step (planning, execution, confirmation) of one pass. */
  batchSize: number;
  /** Pause between passes when there was nothing to do. */
  intervalMs: number;
  /** How long an instance holds a job it works on before another may take it over. */
  leaseMs: number;
  /** Attempts of a step (planning, submission, eviction) before the job ends FAILED. */
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /**
   * The first check of an executed repair against the components comes this long after it;
   * then each wait is as long as the repair has waited so far, up to `confirmMaxIntervalMs`.
   */
  confirmIntervalMs: number;
  confirmMaxIntervalMs: number;
  /** An executed repair not confirmed within this ends FAILED. */
  confirmDeadlineMs: number;
  /**
   * A resubmission whose outcome is unknown (no answer came, or its worker died as it left) and
   * whose outputs Hippo does not show this long after it left is looked for in Cappella's run
   * listing: adopted when found, sent again when not. Longer than Cappella can take to create
   * a run it received, or a run still being created is submitted a second time.
   */
  submissionSearchDelayMs: number;
  /** A repair awaiting approval longer than this ends EXPIRED (it may still be approved). */
  approvalTimeoutMs: number;
  /** Priority weights per mismatch type and per source component (absent: 0; higher first). */
  priorityByType: Partial<Record<MismatchType, number>>;
  priorityBySource: Record<string, number>;
}

export interface ScanConfig {
  /** Cron expression of scheduled scans (in `timezone`), or null when scans run on demand only. */
  schedule: string | null;
  timezone: string;
  /**
   * A scheduled scan is a full re-scan when the last completed full scan is older than this
   * (what a cursor cannot show, an entity deleted outright, only a full scan sees); otherwise
   * it reads what changed since the last completed scan.
   */
  fullIntervalMs: number;
  /**
   * With range digests on both components, a full scan compares digests, and lists (the
   * reference pass, which alone finds dangling references of runs that did not change) when the
   * last full scan by listing is older than this.
   */
  listingIntervalMs: number;
  /** How often a scanner looks for a requested scan, or one whose scanner died. */
  pollIntervalMs: number;
  /** Runs changed more recently than this before the scan started are left to the next scan. */
  graceDelayMs: number;
  /** How long a scan waits out an unreachable component or database before it fails. */
  outageToleranceMs: number;
}

/**
 * `reader` reads, `admin` also acts (resolve, approve, requeue, scan); `producer` may only hand
 * events in over HTTP ingestion: a component's credential reads nothing and changes nothing.
 */
export type ApiRole = 'reader' | 'admin' | 'producer';

/** A bearer token the API accepts, stored as the SHA-256 of the token, never the token. */
export interface ApiTokenEntry {
  role: ApiRole;
  /** Who holds it: recorded as who resolved or approved something. */
  name: string;
  sha256Hex: string;
}

export interface ApiAuthConfig {
  tokens: ApiTokenEntry[];
  /**
   * JWTs are accepted when a key is configured: an HMAC secret (HS256/384/512) or a PEM public
   * key (the algorithms of its type), never both. Every token must carry `sub` and `exp`, and
   * may not live longer than `maxAgeSeconds` (from `iat`, or from now when it has none).
   */
  jwt: {
    secret?: string;
    publicKey?: string;
    issuer?: string;
    audience?: string;
    maxAgeSeconds: number;
  } | null;
  /** Requests per minute and client address before a 429; 0: no limit. */
  rateLimitPerMinute: number;
  /** HTTP ingestion's own bounds, on top of the decoding limits every inbound record meets. */
  ingest: { maxRecords: number; bodyLimitBytes: number };
}

export interface HttpConfig {
  host: string;
  port?: number;
  /**
   * The `Host` names requests may carry (no port); null: any. A server bound to loopback
   * accepts only loopback names unless told otherwise: a web page whose domain was rebound to
   * 127.0.0.1 (DNS rebinding) still sends its own name, and is refused.
   */
  allowedHosts: string[] | null;
  /** Express's `trust proxy`: whose `X-Forwarded-For` names the client (rate limit, audit). */
  trustProxy: boolean | number | string;
  /** When set, `/metrics` and `/health*` are served on this port only, not on `port`. */
  managementPort?: number;
  /** Where the built operator console is (the API's default: `dist/console`). */
  consoleDir?: string;
}

export interface OutboxConfig {
  /** How often owed outbound events are looked for (and once at start). */
  relayIntervalMs: number;
  /** Only rows at least this old are owed: younger ones are still being published normally. */
  minAgeMs: number;
}

export interface BridgeConfig {
  transport: TransportConfig;
  /** Bounds on decoding records from outside (Kafka, the dead-letter API). */
  decoding: DecodeLimits;
  store: StoreConfig;
  http: HttpConfig;
  consumerRetry: RetryConfig;
  /** Longest a graceful stop waits for the in-process bus to handle what it queued. */
  shutdownDrainMs: number;
  outbox: OutboxConfig;
  /** Prefix of every consumer group, so that two deployments can share one Kafka cluster. */
  consumerGroupPrefix: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** `text` for a terminal, `json` (one object per line) for a log pipeline. */
  logFormat: 'text' | 'json';
  /** How often each process writes its status report (the console's overview). */
  statusReportIntervalMs: number;
  components: Record<ComponentName, ComponentManifest>;
  checks: ChecksConfig;
  recheck: RecheckConfig;
  maintenance: StoreMaintenanceConfig;
  repairStrategies: Record<MismatchType, RepairStrategy>;
  repair: RepairConfig;
  scan: ScanConfig;
  api: ApiAuthConfig;
}
