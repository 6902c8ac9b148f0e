/**
 * The one configuration schema of Bridge Sync, validated once at start-up.
 *
 * Every service reads its settings from environment variables through `loadConfig`; nothing
 * else reads `process.env`. Invalid or incomplete configuration fails fast with a
 * `ConfigError` that lists every problem, instead of surfacing later as a confusing runtime
 * error. Secrets (database URL, registry credentials) only ever come from here.
 */
import { readFileSync } from 'node:fs';
import { Cron } from 'croner';
import { z } from 'zod';
import {
  ALLOWED_STRATEGIES,
  DEFAULT_STRATEGIES,
  MISMATCH_TYPES,
  RETRY_TIER_TOPICS,
  type MismatchType,
  type RepairStrategy,
} from '@bridge/contracts';
import { ConfigError } from '@bridge/errors';
import { ComponentAuthSchema, resolveComponentAuth, type ComponentAuth } from './component-auth';

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const positiveInt = z.coerce.number().int().positive();

/** A cron expression croner accepts (5 to 7 fields), or `off` for no schedule. */
const cronSchedule = z
  .string()
  .trim()
  .refine((value) => value === 'off' || cronProblem(value) === null, {
    error: (issue) => `not a cron expression: ${cronProblem(String(issue.input)) ?? ''}`,
  });

function cronProblem(expression: string): string | null {
  try {
    new Cron(expression, { paused: true });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * `name=weight,name=weight` (weights are integers, higher first), optionally restricted to
 * known names; absent names weigh 0.
 */
function priorityList(names?: readonly string[]) {
  return commaList
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[a-z_]+=-?\d+$/, 'name=weight, the weight a whole number')
          .refine(
            (pair) => !names || names.includes(pair.split('=')[0]),
            `a name among ${names?.join(', ') ?? ''}`,
          ),
      ),
    )
    .transform((pairs) =>
      Object.fromEntries(pairs.map((pair) => [pair.split('=')[0], Number(pair.split('=')[1])])),
    )
    .default({});
}

/**
 * What one inbound record may cost to decode. Every byte from outside is hostile: a length or a
 * count in a record is checked against the bytes really there before anything is allocated,
 * and these bound what is left (see `checkAvroBounds` in `@bridge/messaging`).
 */
export interface DecodeLimits {
  /** Largest record accepted, in bytes, its wire-format header included. */
  maxEventBytes: number;
  /** Most array items and map entries one record may hold, every field together. */
  maxItems: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxEventBytes: 1_048_576,
  maxItems: 100_000,
};

const EnvSchema = z.object({
  BRIDGE_TRANSPORT: z.enum(['kafka', 'in-process']).default('in-process'),
  KAFKA_BROKERS: commaList.optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('bridge-sync'),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(3),
  KAFKA_TOPIC_REPLICATION_FACTOR: positiveInt.optional(),
  KAFKA_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).default(200),
  // The broker refuses sessions outside group.{min,max}.session.timeout.ms (6 s to 30 min).
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(1_800_000).default(30_000),
  KAFKA_SSL: z.enum(['true', 'false']).default('false'),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  DATABASE_SSL_CA_FILE: z.string().optional(),
  SCHEMA_REGISTRY_URL: z.url().optional(),
  SCHEMA_REGISTRY_USERNAME: z.string().optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional(),
  SCHEMA_COMPATIBILITY: z.enum(['BACKWARD', 'FORWARD', 'FULL']).default('BACKWARD'),
  SCHEMA_LOOKUP_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(1_000),
  MAX_EVENT_BYTES: positiveInt.default(DEFAULT_DECODE_LIMITS.maxEventBytes),
  MAX_EVENT_ITEMS: positiveInt.default(DEFAULT_DECODE_LIMITS.maxItems),
  BRIDGE_STORE: z.enum(['postgres', 'pglite']).default('pglite'),
  DATABASE_URL: z.string().optional(),
  PGLITE_DATA_DIR: z.string().optional(),
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HTTP_ALLOWED_HOSTS: commaList.optional(),
  HTTP_TRUST_PROXY: z
    .string()
    .trim()
    .regex(
      /^(true|false|\d+|[\w.:/-]+(,[\w.:/-]+)*)$/,
      'false, true, a number of proxies, or a comma-separated list of addresses or subnets (loopback, 10.0.0.0/8…)',
    )
    .default('false'),
  MANAGEMENT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  ALLOW_INSECURE_CREDENTIALS: z.enum(['true', 'false']).default('false'),
  CONSUMER_MAX_ATTEMPTS: positiveInt.default(5),
  CONSUMER_RETRY_INITIAL_MS: positiveInt.default(200),
  CONSUMER_RETRY_MAX_MS: positiveInt.default(10_000),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  CAPPELLA_URL: z.url().optional(),
  HIPPO_URL: z.url().optional(),
  CANON_URL: z.url().optional(),
  COMPONENT_MANIFEST_FILE: z.string().optional(),
  CHECK_GRACE_DELAY_MS: z.coerce.number().int().min(0).default(30_000),
  CHECK_RETRY_DELAYS_MS: commaList
    .pipe(
      z
        .array(z.string().regex(/^\d+$/, 'a whole number of milliseconds').transform(Number))
        // One delayed-retry topic per tier, so no more tiers than topics.
        .max(
          RETRY_TIER_TOPICS.length,
          `at most ${RETRY_TIER_TOPICS.length} delays (one per retry topic)`,
        ),
    )
    .default([5_000, 30_000, 120_000]),
  CHECK_BATCH_SIZE: positiveInt.max(5_000).default(1_000),
  RETENTION_PROCESSED_EVENTS_DAYS: positiveInt.default(14),
  RETENTION_RECORDS_DAYS: positiveInt.default(7),
  RETENTION_CLOSED_FINDINGS_DAYS: positiveInt.default(90),
  RETENTION_REQUEUED_DEAD_LETTERS_DAYS: positiveInt.default(30),
  RETENTION_PENDING_DEAD_LETTERS_DAYS: positiveInt.default(90),
  RETENTION_REPAIR_JOBS_DAYS: positiveInt.default(90),
  RETENTION_SCANS_DAYS: positiveInt.default(30),
  RETENTION_AUDIT_DAYS: positiveInt.default(400),
  INBOUND_TOPIC_RETENTION_DAYS: positiveInt.default(7),
  STORE_MAINTENANCE_INTERVAL_MS: positiveInt.default(3_600_000),
  FINDING_RECHECK_DELAYS_MS: commaList
    .pipe(z.array(z.string().regex(/^\d+$/, 'a whole number of milliseconds').transform(Number)))
    .default([60_000, 600_000, 3_600_000]),
  FINDING_RECHECK_INTERVAL_MS: positiveInt.default(5_000),
  FINDING_RECHECK_BATCH_SIZE: positiveInt.max(5_000).default(200),
  CHECK_LEASE_MS: positiveInt.default(30_000),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(15_000),
  OUTBOX_RELAY_INTERVAL_MS: positiveInt.default(30_000),
  STATUS_REPORT_INTERVAL_MS: positiveInt.default(10_000),
  OUTBOX_RELAY_MIN_AGE_MS: z.coerce.number().int().min(0).default(10_000),
  REPAIR_BATCH_SIZE: positiveInt.max(5_000).default(200),
  REPAIR_INTERVAL_MS: positiveInt.default(1_000),
  REPAIR_LEASE_MS: positiveInt.default(60_000),
  REPAIR_MAX_ATTEMPTS: positiveInt.default(5),
  REPAIR_RETRY_INITIAL_MS: positiveInt.default(2_000),
  REPAIR_RETRY_MAX_MS: positiveInt.default(60_000),
  REPAIR_CONFIRM_INTERVAL_MS: positiveInt.default(5_000),
  REPAIR_APPROVAL_TIMEOUT_MS: positiveInt.default(86_400_000),
  REPAIR_CONFIRM_DEADLINE_MS: positiveInt.default(30 * 60_000),
  REPAIR_CONFIRM_MAX_INTERVAL_MS: positiveInt.default(60_000),
  REPAIR_PRIORITY_BY_TYPE: priorityList(MISMATCH_TYPES),
  REPAIR_PRIORITY_BY_SOURCE: priorityList(),
  SCAN_SCHEDULE: cronSchedule.default('0 3 * * *'),
  SCAN_TIMEZONE: z
    .string()
    .refine((zone) => Intl.supportedValuesOf('timeZone').includes(zone) || zone === 'UTC', {
      error: 'an IANA time zone such as UTC or Europe/Berlin',
    })
    .default('UTC'),
  SCAN_FULL_INTERVAL_MS: positiveInt.default(7 * 24 * 3_600_000),
  SCAN_POLL_INTERVAL_MS: positiveInt.default(5_000),
  SCAN_GRACE_DELAY_MS: z.coerce.number().int().min(0).optional(),
  SCAN_OUTAGE_TOLERANCE_MS: positiveInt.default(15 * 60_000),
  API_TOKENS: commaList
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^(reader|admin):[A-Za-z0-9._@-]+:[0-9a-f]{64}$/,
            'role:name:sha256-hex, the role reader or admin (see README "API tokens")',
          ),
      ),
    )
    .default([]),
  API_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  API_JWT_PUBLIC_KEY: z
    .string()
    .includes('BEGIN PUBLIC KEY', { error: 'a PEM public key' })
    .optional(),
  API_JWT_ISSUER: z.string().optional(),
  API_JWT_AUDIENCE: z.string().optional(),
  // A stolen JWT stays useful until it expires: tokens that live longer than this are refused.
  API_JWT_MAX_AGE_S: positiveInt.default(86_400),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1_200),
  CONSUMER_GROUP_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only')
    .default('bridge'),
  ...Object.fromEntries(
    MISMATCH_TYPES.map((type) => [
      `STRATEGY_${type.toUpperCase()}`,
      z.enum(ALLOWED_STRATEGIES[type] as [RepairStrategy, ...RepairStrategy[]]).optional(),
    ]),
  ),
});

/** Default simulator address: every component's API on one port, under its own path prefix. */
const DEFAULT_COMPONENT_URL = 'http://127.0.0.1:4010';

/**
 * A component manifest (seed 001): how to reach one component and what it can do. The checks
 * and scans read capabilities from here (e.g. whether Hippo has bulk lookup) instead of
 * assuming them, so a deployment declares its components rather than patching code.
 */
const ManifestSchema = z.object({
  baseUrl: z.url().default(DEFAULT_COMPONENT_URL),
  timeoutMs: positiveInt.default(5_000),
  maxConcurrency: positiveInt.default(32),
  /** Requests per second; 0 means no limit. */
  rateLimitPerSecond: z.number().int().min(0).default(0),
  retry: z
    .object({
      maxAttempts: positiveInt.default(3),
      initialDelayMs: positiveInt.default(100),
      maxDelayMs: positiveInt.default(2_000),
    })
    .prefault({}),
  circuitBreaker: z
    .object({
      consecutiveFailures: positiveInt.default(10),
      halfOpenAfterMs: positiveInt.default(5_000),
    })
    .prefault({}),
  pageSize: positiveInt.max(10_000).default(500),
  capabilities: z
    .object({
      /** Hippo: `POST /hippo/entities/lookup` exists. */
      bulkLookup: z.boolean().default(false),
      /** Largest bulk lookup the component accepts. */
      bulkLookupMax: positiveInt.default(1_000),
    })
    .prefault({}),
  /** How Bridge authenticates to the component (docs/component-auth.md); names secrets only. */
  auth: ComponentAuthSchema.default({ kind: 'none' }),
});

type DeclaredManifest = z.infer<typeof ManifestSchema>;

/** A manifest as the clients get it: its `auth` with the secrets it names already read. */
export interface ComponentManifest extends Omit<DeclaredManifest, 'auth'> {
  auth: ComponentAuth;
}

export const COMPONENTS = ['cappella', 'hippo', 'canon'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

const ManifestFileSchema = z
  .object({
    cappella: ManifestSchema.prefault({}),
    hippo: ManifestSchema.prefault({}),
    canon: ManifestSchema.prefault({}),
  })
  .strict();

/**
 * The manifests with the secrets their `auth` names read (at start-up, so that a missing
 * variable or unreadable file stops the service), or null with one problem per component that
 * cannot authenticate. No problem ever contains a secret.
 */
function resolveManifests(
  declared: z.output<typeof ManifestFileSchema> | undefined,
  env: NodeJS.ProcessEnv,
): { manifests: Record<ComponentName, ComponentManifest> | null; problems: string[] } {
  if (!declared) return { manifests: null, problems: [] };
  const problems: string[] = [];
  const resolved: Partial<Record<ComponentName, ComponentManifest>> = {};
  for (const name of COMPONENTS) {
    const auth = resolveComponentAuth(
      `COMPONENT_MANIFEST_FILE: ${name}.auth`,
      declared[name].auth,
      env,
    );
    if ('problem' in auth) problems.push(auth.problem);
    else resolved[name] = { ...declared[name], auth: auth.auth };
  }
  const { cappella, hippo, canon } = resolved;
  return cappella && hippo && canon
    ? { manifests: { cappella, hippo, canon }, problems }
    : { manifests: null, problems };
}

/** A PEM file named by `variable`, read at start-up so that a wrong path stops the service. */
function readPemFile(
  variable: string,
  path: string | undefined,
): { value?: string; problem?: string } {
  if (!path) return {};
  try {
    return { value: readFileSync(path, 'utf8') };
  } catch (error) {
    return { problem: `${variable}: cannot read ${path}: ${(error as Error).message}` };
  }
}

function readManifestFile(path: string | undefined): { value?: unknown; problem?: string } {
  if (!path) return { value: {} };
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  } catch (error) {
    return { problem: `COMPONENT_MANIFEST_FILE: cannot read ${path}: ${(error as Error).message}` };
  }
}

/**
 * Settings that are required only in some modes. Checked on the raw environment so that they
 * are reported together with type errors, not after them.
 */
function missingForMode(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const absent = (name: string) => !env[name] || env[name]?.trim() === '';
  if (env.BRIDGE_TRANSPORT === 'kafka') {
    for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL']) {
      if (absent(name)) problems.push(`${name}: required when BRIDGE_TRANSPORT=kafka`);
    }
  }
  if (env.BRIDGE_STORE === 'postgres' && absent('DATABASE_URL')) {
    problems.push('DATABASE_URL: required when BRIDGE_STORE=postgres');
  }
  if (!absent('API_JWT_SECRET') && !absent('API_JWT_PUBLIC_KEY')) {
    problems.push(
      'API_JWT_SECRET, API_JWT_PUBLIC_KEY: set one of them; with both, a token signed with the public key as an HMAC secret could pass',
    );
  }
  if (env.ALLOW_INSECURE_CREDENTIALS !== 'true') {
    if (
      env.KAFKA_SASL_MECHANISM === 'plain' &&
      env.KAFKA_SSL !== 'true' &&
      absent('KAFKA_SSL_CA_FILE')
    ) {
      problems.push(
        'KAFKA_SASL_MECHANISM: plain sends the password in clear without TLS; set KAFKA_SSL=true (or ALLOW_INSECURE_CREDENTIALS=true on a network you trust)',
      );
    }
    if (!absent('SCHEMA_REGISTRY_USERNAME') && /^http:/i.test(env.SCHEMA_REGISTRY_URL ?? '')) {
      problems.push(
        'SCHEMA_REGISTRY_URL: basic auth over plain http sends the password in clear; use https (or ALLOW_INSECURE_CREDENTIALS=true on a network you trust)',
      );
    }
  }
  if (!absent('KAFKA_SASL_MECHANISM')) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      if (absent(name)) problems.push(`${name}: required with KAFKA_SASL_MECHANISM`);
    }
  }
  return problems;
}

export type KafkaTransportConfig = {
  kind: 'kafka';
  brokers: string[];
  clientId: string;
  topicPartitions: number;
  /** Replication factor of topics Bridge creates; absent: the broker's default. */
  topicReplicationFactor?: number;
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
  /** How often a scanner looks for a requested scan, or one whose scanner died. */
  pollIntervalMs: number;
  /** Runs changed more recently than this before the scan started are left to the next scan. */
  graceDelayMs: number;
  /** How long a scan waits out an unreachable component or database before it fails. */
  outageToleranceMs: number;
}

export type ApiRole = 'reader' | 'admin';

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
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || /^127\./.test(host);
}

/**
 * Component credentials that would cross the network in clear: a token sent to, or a client
 * secret sent to a token endpoint at, an `http://` URL of another machine.
 */
function componentCredentialsInClear(
  components: Record<ComponentName, ComponentManifest>,
): string[] {
  const inClear = (url: string) => {
    const { protocol, hostname } = new URL(url);
    return protocol === 'http:' && !isLoopbackHost(hostname.replace(/^\[|\]$/g, ''));
  };
  return COMPONENTS.flatMap((name) => {
    const { auth, baseUrl } = components[name];
    const problems: string[] = [];
    if (auth.kind !== 'none' && inClear(baseUrl)) {
      problems.push(
        `${name}: its ${auth.kind} credentials would go to ${new URL(baseUrl).host} over plain http; use https (or ALLOW_INSECURE_CREDENTIALS=true on a network you trust)`,
      );
    }
    if (auth.kind === 'oauth2' && inClear(auth.tokenUrl)) {
      problems.push(
        `${name}: its client secret would go to ${new URL(auth.tokenUrl).host} over plain http; use an https token URL (or ALLOW_INSECURE_CREDENTIALS=true on a network you trust)`,
      );
    }
    return problems;
  });
}

function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
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

/** Validates the environment and returns the typed configuration, or throws a `ConfigError`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const parsed = EnvSchema.safeParse(env);
  const manifestFile = readManifestFile(env.COMPONENT_MANIFEST_FILE);
  const manifests = ManifestFileSchema.safeParse(manifestFile.value ?? {});
  const resolved = resolveManifests(manifests.data, env);
  const kafkaCa = readPemFile('KAFKA_SSL_CA_FILE', env.KAFKA_SSL_CA_FILE);
  const databaseCa = readPemFile('DATABASE_SSL_CA_FILE', env.DATABASE_SSL_CA_FILE);
  const issues = (prefix: string, error: z.ZodError | undefined) =>
    (error?.issues ?? []).map(
      (issue) => `${prefix}${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  const problems = [
    ...missingForMode(env),
    ...issues('', parsed.error),
    ...(manifestFile.problem ? [manifestFile.problem] : []),
    ...(manifestFile.problem ? [] : issues('COMPONENT_MANIFEST_FILE: ', manifests.error)),
    ...resolved.problems,
    ...[kafkaCa.problem, databaseCa.problem].filter((p): p is string => p !== undefined),
  ];
  if (!parsed.success || !resolved.manifests || problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const components = resolved.manifests;
  const urlOverrides: Record<ComponentName, string | undefined> = {
    cappella: e.CAPPELLA_URL,
    hippo: e.HIPPO_URL,
    canon: e.CANON_URL,
  };
  for (const name of COMPONENTS) {
    components[name].baseUrl = urlOverrides[name] ?? components[name].baseUrl;
  }
  if (e.RETENTION_PROCESSED_EVENTS_DAYS < e.INBOUND_TOPIC_RETENTION_DAYS) {
    throw new ConfigError(
      `invalid configuration:\n  RETENTION_PROCESSED_EVENTS_DAYS (${e.RETENTION_PROCESSED_EVENTS_DAYS}) is shorter than INBOUND_TOPIC_RETENTION_DAYS (${e.INBOUND_TOPIC_RETENTION_DAYS}): an event replayed from a topic after its id was pruned would be handled again`,
    );
  }
  const inClear =
    e.ALLOW_INSECURE_CREDENTIALS === 'true' ? [] : componentCredentialsInClear(components);
  if (inClear.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${inClear.join('\n  ')}`);
  }
  const strategyEnv = e as unknown as Record<string, RepairStrategy | undefined>;
  const repairStrategies = Object.fromEntries(
    MISMATCH_TYPES.map((type) => [
      type,
      strategyEnv[`STRATEGY_${type.toUpperCase()}`] ?? DEFAULT_STRATEGIES[type],
    ]),
  ) as Record<MismatchType, RepairStrategy>;
  const transport: TransportConfig =
    e.BRIDGE_TRANSPORT === 'kafka'
      ? {
          kind: 'kafka',
          brokers: e.KAFKA_BROKERS ?? [],
          clientId: e.KAFKA_CLIENT_ID,
          topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
          topicReplicationFactor: e.KAFKA_TOPIC_REPLICATION_FACTOR,
          commitIntervalMs: e.KAFKA_COMMIT_INTERVAL_MS,
          sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
          ssl: e.KAFKA_SSL === 'true' || kafkaCa.value ? { ca: kafkaCa.value } : null,
          sasl: e.KAFKA_SASL_MECHANISM
            ? {
                mechanism: e.KAFKA_SASL_MECHANISM,
                username: e.KAFKA_SASL_USERNAME ?? '',
                password: e.KAFKA_SASL_PASSWORD ?? '',
              }
            : null,
          registry: {
            url: e.SCHEMA_REGISTRY_URL ?? '',
            username: e.SCHEMA_REGISTRY_USERNAME,
            password: e.SCHEMA_REGISTRY_PASSWORD,
            compatibility: e.SCHEMA_COMPATIBILITY,
            lookupMinIntervalMs: e.SCHEMA_LOOKUP_MIN_INTERVAL_MS,
          },
        }
      : { kind: 'in-process' };
  const store: StoreConfig =
    e.BRIDGE_STORE === 'postgres'
      ? { kind: 'postgres', url: e.DATABASE_URL ?? '', sslCa: databaseCa.value }
      : { kind: 'pglite', dataDir: e.PGLITE_DATA_DIR };
  return {
    transport,
    decoding: { maxEventBytes: e.MAX_EVENT_BYTES, maxItems: e.MAX_EVENT_ITEMS },
    store,
    http: {
      host: e.HTTP_HOST,
      port: e.HTTP_PORT,
      allowedHosts:
        e.HTTP_ALLOWED_HOSTS?.includes('*') === true
          ? null
          : (e.HTTP_ALLOWED_HOSTS?.map((name) => name.toLowerCase()) ??
            (isLoopbackHost(e.HTTP_HOST) ? LOOPBACK_NAMES : null)),
      trustProxy: trustProxySetting(e.HTTP_TRUST_PROXY),
      managementPort: e.MANAGEMENT_PORT,
    },
    consumerRetry: {
      maxAttempts: e.CONSUMER_MAX_ATTEMPTS,
      initialDelayMs: e.CONSUMER_RETRY_INITIAL_MS,
      maxDelayMs: e.CONSUMER_RETRY_MAX_MS,
    },
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    outbox: { relayIntervalMs: e.OUTBOX_RELAY_INTERVAL_MS, minAgeMs: e.OUTBOX_RELAY_MIN_AGE_MS },
    consumerGroupPrefix: e.CONSUMER_GROUP_PREFIX,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    statusReportIntervalMs: e.STATUS_REPORT_INTERVAL_MS,
    components,
    checks: {
      graceDelayMs: e.CHECK_GRACE_DELAY_MS,
      retryDelaysMs: e.CHECK_RETRY_DELAYS_MS,
      batchSize: e.CHECK_BATCH_SIZE,
      leaseMs: e.CHECK_LEASE_MS,
    },
    maintenance: {
      retention: {
        processedEventsDays: e.RETENTION_PROCESSED_EVENTS_DAYS,
        recordsDays: e.RETENTION_RECORDS_DAYS,
        closedFindingsDays: e.RETENTION_CLOSED_FINDINGS_DAYS,
        requeuedDeadLettersDays: e.RETENTION_REQUEUED_DEAD_LETTERS_DAYS,
        pendingDeadLettersDays: e.RETENTION_PENDING_DEAD_LETTERS_DAYS,
        repairJobsDays: e.RETENTION_REPAIR_JOBS_DAYS,
        scansDays: e.RETENTION_SCANS_DAYS,
        auditDays: e.RETENTION_AUDIT_DAYS,
      },
      intervalMs: e.STORE_MAINTENANCE_INTERVAL_MS,
    },
    recheck: {
      delaysMs: e.FINDING_RECHECK_DELAYS_MS,
      intervalMs: e.FINDING_RECHECK_INTERVAL_MS,
      batchSize: e.FINDING_RECHECK_BATCH_SIZE,
      leaseMs: e.CHECK_LEASE_MS,
    },
    repairStrategies,
    repair: {
      batchSize: e.REPAIR_BATCH_SIZE,
      intervalMs: e.REPAIR_INTERVAL_MS,
      leaseMs: e.REPAIR_LEASE_MS,
      maxAttempts: e.REPAIR_MAX_ATTEMPTS,
      retryInitialMs: e.REPAIR_RETRY_INITIAL_MS,
      retryMaxMs: e.REPAIR_RETRY_MAX_MS,
      confirmIntervalMs: e.REPAIR_CONFIRM_INTERVAL_MS,
      confirmMaxIntervalMs: Math.max(
        e.REPAIR_CONFIRM_MAX_INTERVAL_MS,
        e.REPAIR_CONFIRM_INTERVAL_MS,
      ),
      confirmDeadlineMs: e.REPAIR_CONFIRM_DEADLINE_MS,
      approvalTimeoutMs: e.REPAIR_APPROVAL_TIMEOUT_MS,
      priorityByType: e.REPAIR_PRIORITY_BY_TYPE,
      priorityBySource: e.REPAIR_PRIORITY_BY_SOURCE,
    },
    scan: {
      schedule: e.SCAN_SCHEDULE === 'off' ? null : e.SCAN_SCHEDULE,
      timezone: e.SCAN_TIMEZONE,
      fullIntervalMs: e.SCAN_FULL_INTERVAL_MS,
      pollIntervalMs: e.SCAN_POLL_INTERVAL_MS,
      graceDelayMs: e.SCAN_GRACE_DELAY_MS ?? e.CHECK_GRACE_DELAY_MS,
      outageToleranceMs: e.SCAN_OUTAGE_TOLERANCE_MS,
    },
    api: {
      tokens: e.API_TOKENS.map((entry) => {
        const [role, name, sha256Hex] = entry.split(':');
        return { role: role as ApiRole, name, sha256Hex };
      }),
      jwt:
        e.API_JWT_SECRET || e.API_JWT_PUBLIC_KEY
          ? {
              secret: e.API_JWT_SECRET,
              publicKey: e.API_JWT_PUBLIC_KEY,
              issuer: e.API_JWT_ISSUER,
              audience: e.API_JWT_AUDIENCE,
              maxAgeSeconds: e.API_JWT_MAX_AGE_S,
            }
          : null,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    },
  };
}
