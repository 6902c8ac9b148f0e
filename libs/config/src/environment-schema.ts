/**
 * Every environment variable Bridge Sync reads, with its validation, its default and what it
 * means, grouped as the configuration page presents them.
 *
 * This is the single declaration of the settings: `loadConfig` validates the environment with
 * `EnvSchema` built from these sections, and `docs/configuration.md` is generated from the same
 * sections (`renderSettingsReference`; a unit test fails when the page and this file disagree).
 * A setting added here without a description does not compile.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import {
  ALLOWED_STRATEGIES,
  DEFAULT_STRATEGIES,
  MISMATCH_TYPES,
  RETRY_TIER_TOPICS,
  type RepairStrategy,
} from '@bridge/contracts';

/** What the configuration page says of one setting, kept as the schema's metadata. */
export interface SettingDoc {
  description: string;
  /** The default as the page shows it, when it is not a value the schema itself supplies. */
  defaultText?: string;
}

/** Attaches the page's text to a setting's schema. */
function setting<T extends z.ZodType>(schema: T, description: string, defaultText?: string): T {
  const doc: SettingDoc =
    defaultText === undefined ? { description } : { description, defaultText };
  return schema.meta({ ...doc });
}

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const millisecondsList = commaList.pipe(
  z.array(z.string().regex(/^\d+$/, 'a whole number of milliseconds').transform(Number)),
);

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

/** Default simulator address: every component's API on one port, under its own path prefix. */
export const DEFAULT_COMPONENT_URL = 'http://127.0.0.1:4010';

const transport = {
  BRIDGE_TRANSPORT: setting(
    z.enum(['kafka', 'in-process']).default('in-process'),
    '`kafka` for the distributed mode; `in-process` runs every service on one in-process bus (each event still validated and Avro-encoded).',
  ),
  KAFKA_BROKERS: setting(
    commaList.optional(),
    'Comma-separated `host:port` list of the brokers. Required with `BRIDGE_TRANSPORT=kafka`.',
  ),
  KAFKA_CLIENT_ID: setting(z.string().min(1).default('bridge-sync'), 'The kafkajs client id.'),
  KAFKA_TOPIC_PARTITIONS: setting(
    positiveInt.default(3),
    'Partitions of the topics Bridge creates; also how many partitions a consumer handles concurrently.',
  ),
  KAFKA_TOPIC_REPLICATION_FACTOR: setting(
    positiveInt.optional(),
    'Replication factor of the topics Bridge creates.',
    "the broker's own",
  ),
  KAFKA_TOPIC_MIN_INSYNC_REPLICAS: setting(
    positiveInt.optional(),
    '`min.insync.replicas` of the topics Bridge creates. Producers send with `acks=all`, so a write counts once this many replicas hold it (on three brokers: 2, which survives the loss of one). At most `KAFKA_TOPIC_REPLICATION_FACTOR`. Topics that already exist keep their own setting.',
    "the broker's own",
  ),
  KAFKA_COMMIT_INTERVAL_MS: setting(
    nonNegativeInt.default(200),
    'Finished offsets are committed together this often, one request per consumer (0: after every batch). A crash redelivers at most this much, which idempotent handlers absorb.',
  ),
  // The broker refuses sessions outside group.{min,max}.session.timeout.ms (6 s to 30 min).
  KAFKA_SESSION_TIMEOUT_MS: setting(
    z.coerce.number().int().min(6_000).max(1_800_000).default(30_000),
    'How long the group coordinator waits for a silent member (6 s to 30 min): a SIGKILLed process holds its partitions this long before the rest of its group, or its own restart, takes them over. Heartbeats go every third of it, at most every 3 s.',
  ),
  KAFKA_SSL: setting(z.enum(['true', 'false']).default('false'), 'TLS to the brokers.'),
  KAFKA_SSL_CA_FILE: setting(
    z.string().optional(),
    "A PEM file of the authorities that verify the brokers' certificates (else the system's); setting it turns TLS on.",
  ),
  KAFKA_SASL_MECHANISM: setting(
    z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    'SASL authentication to the brokers; `plain` without TLS is refused unless `ALLOW_INSECURE_CREDENTIALS=true`.',
  ),
  KAFKA_SASL_USERNAME: setting(
    z.string().optional(),
    'SASL user name. Required with `KAFKA_SASL_MECHANISM`.',
  ),
  KAFKA_SASL_PASSWORD: setting(
    z.string().optional(),
    'SASL password. Required with `KAFKA_SASL_MECHANISM`.',
  ),
  CONSUMER_GROUP_PREFIX: setting(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only')
      .default('bridge'),
    'Prefix of every consumer group (`<prefix>-ingest`, `<prefix>-checker`, `<prefix>-checker-recheck`, `<prefix>-checker-retry-1` to `-3`), so two deployments can share a cluster.',
  ),
  CONSUMER_MAX_ATTEMPTS: setting(
    positiveInt.default(5),
    "Handler attempts per message before it is dead-lettered. An outage of the database or the broker is waited out instead: it is not the message's fault.",
  ),
  CONSUMER_RETRY_INITIAL_MS: setting(
    positiveInt.default(200),
    'First wait of the exponential backoff (with jitter) between attempts.',
  ),
  CONSUMER_RETRY_MAX_MS: setting(
    positiveInt.default(10_000),
    'Longest wait between attempts; also the pause between tries while an outage lasts.',
  ),
};

const registryAndDecoding = {
  SCHEMA_REGISTRY_URL: setting(
    z.url().optional(),
    'The Confluent-compatible schema registry. Required with `BRIDGE_TRANSPORT=kafka`.',
  ),
  SCHEMA_REGISTRY_USERNAME: setting(
    z.string().optional(),
    'Basic-auth user for the registry, if it needs one; over plain `http://` refused unless `ALLOW_INSECURE_CREDENTIALS=true`.',
  ),
  SCHEMA_REGISTRY_PASSWORD: setting(z.string().optional(), 'Basic-auth password for the registry.'),
  SCHEMA_COMPATIBILITY: setting(
    z.enum(['BACKWARD', 'FORWARD', 'FULL']).default('BACKWARD'),
    'Compatibility level Bridge pins on each subject it registers.',
  ),
  SCHEMA_LOOKUP_MIN_INTERVAL_MS: setting(
    nonNegativeInt.default(1_000),
    "Least time between two listings of a subject's schema ids. A record with an id not registered under its topic's subject triggers one at most this often and is dead-lettered, so a flood of made-up ids costs one registry request per interval.",
  ),
  MAX_EVENT_BYTES: setting(
    positiveInt.default(DEFAULT_DECODE_LIMITS.maxEventBytes),
    'Largest record decoded; bigger ones are dead-lettered unread, without their bytes.',
  ),
  MAX_EVENT_ITEMS: setting(
    positiveInt.default(DEFAULT_DECODE_LIMITS.maxItems),
    'Most array items and map entries in one record. Every length and count in a record is also checked against the bytes really there before anything is allocated.',
  ),
  ALLOW_INSECURE_CREDENTIALS: setting(
    z.enum(['true', 'false']).default('false'),
    '`true` lets SASL `plain` run without TLS, registry basic auth go over `http://` and component credentials go to another machine over `http://`; all refused otherwise (passwords in clear).',
  ),
};

const store = {
  BRIDGE_STORE: setting(
    z.enum(['postgres', 'pglite']).default('pglite'),
    '`postgres` for a PostgreSQL server; `pglite` for the embedded database.',
  ),
  DATABASE_URL: setting(
    z.string().optional(),
    'PostgreSQL connection URL; TLS is asked for here (`?sslmode=require` or `verify-full`). Required with `BRIDGE_STORE=postgres`.',
  ),
  DATABASE_SSL_CA_FILE: setting(
    z.string().optional(),
    "PEM authorities that verify PostgreSQL's certificate.",
  ),
  PGLITE_DATA_DIR: setting(
    z.string().optional(),
    'Directory of the embedded PGlite database.',
    'in memory',
  ),
  BRIDGE_DATA_DIR: setting(
    z.string().optional(),
    '`npm start` only: its data directory (PGlite in `pglite/` below it, the admin and producer tokens in `admin-token` and `producer-token`).',
    '`.data`',
  ),
  BRIDGE_SIMULATOR: setting(
    z.enum(['on', 'off']).default('on'),
    '`npm start` only: `off` serves no simulated components and makes no demo traffic. Bridge then checks the components at `CAPPELLA_URL`, `HIPPO_URL` and `CANON_URL` (required), and events come in over HTTP ingestion: the single-server deployment of [operations.md](operations.md).',
  ),
  RETENTION_PROCESSED_EVENTS_DAYS: setting(
    positiveInt.default(14),
    'How long the ids of handled inbound events are kept; may not be shorter than `INBOUND_TOPIC_RETENTION_DAYS`. See [store-retention.md](store-retention.md).',
  ),
  INBOUND_TOPIC_RETENTION_DAYS: setting(
    positiveInt.default(7),
    "How long the inbound topics keep events (the brokers' setting, declared here so start-up can check the one above against it).",
  ),
  RETENTION_RECORDS_DAYS: setting(
    positiveInt.default(7),
    'How long the sync event log keeps rows that are not findings: ok checks, clean caches, component events.',
  ),
  RETENTION_CLOSED_FINDINGS_DAYS: setting(
    positiveInt.default(90),
    'How long findings are kept after they closed (resolved or healed); open findings are kept until they close.',
  ),
  RETENTION_REQUEUED_DEAD_LETTERS_DAYS: setting(
    positiveInt.default(30),
    'How long dead letters are kept after their requeue.',
  ),
  RETENTION_PENDING_DEAD_LETTERS_DAYS: setting(
    positiveInt.default(90),
    'How long dead letters never requeued are kept.',
  ),
  RETENTION_REPAIR_JOBS_DAYS: setting(
    positiveInt.default(90),
    'How long finished repair jobs are kept (never those of a finding still open).',
  ),
  RETENTION_SCANS_DAYS: setting(
    positiveInt.default(30),
    'How long finished scans are kept (never the ones the next scans build on).',
  ),
  RETENTION_AUDIT_DAYS: setting(
    positiveInt.default(400),
    'How long the audit log of admin actions and the hourly counts are kept.',
  ),
  STORE_MAINTENANCE_INTERVAL_MS: setting(
    positiveInt.default(3_600_000),
    'How often each process tries to run store maintenance (partitions ahead and behind, retention); one runs at a time.',
  ),
  OUTBOX_RELAY_INTERVAL_MS: setting(
    positiveInt.default(30_000),
    'How often the checker (and a standalone scanner) re-publishes findings whose outbound event was never acknowledged.',
  ),
  OUTBOX_RELAY_MIN_AGE_MS: setting(
    nonNegativeInt.default(10_000),
    'How old such a row must be before it is re-published (younger ones are still being published).',
  ),
};

const processes = {
  HTTP_HOST: setting(z.string().default('127.0.0.1'), 'Address the HTTP server listens on.'),
  HTTP_PORT: setting(
    z.coerce.number().int().min(0).max(65535).optional(),
    'Port of the HTTP server: api 3000, ingest 3001, checker 3002, repair 3003, scanner 3004; `npm start` 3000 (the simulated components too).',
    'per service',
  ),
  HTTP_ALLOWED_HOSTS: setting(
    commaList.optional(),
    'Comma-separated host names requests may carry in `Host` (403 otherwise; `*`: any): a page whose domain an attacker rebinds to 127.0.0.1 still names its own domain.',
    'loopback names on a loopback server, else any',
  ),
  HTTP_TRUST_PROXY: setting(
    z
      .string()
      .trim()
      .regex(
        /^(true|false|\d+|[\w.:/-]+(,[\w.:/-]+)*)$/,
        'false, true, a number of proxies, or a comma-separated list of addresses or subnets (loopback, 10.0.0.0/8…)',
      )
      .default('false'),
    "Express's `trust proxy`: a hop count, `loopback`, or the addresses and subnets of the proxies whose `X-Forwarded-For` names the client (for the rate limit and the audit log).",
  ),
  MANAGEMENT_PORT: setting(
    z.coerce.number().int().min(1).max(65535).optional(),
    'Serve `/metrics` and `/health*` on this port only, not on `HTTP_PORT`.',
  ),
  LOG_LEVEL: setting(
    z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    'Least severe level logged.',
  ),
  LOG_FORMAT: setting(
    z.enum(['text', 'json']).default('text'),
    '`text` for a terminal; `json` for one JSON object per line with the service, the level and, while a message is handled, its topic, partition, offset, consumer group, event id, run id and trace id (see [operations.md](operations.md)).',
  ),
  STATUS_REPORT_INTERVAL_MS: setting(
    positiveInt.default(10_000),
    'How often each process writes its status report (throughput, latency, lag, circuits over the last interval) for `GET /summary/operations` and the console.',
  ),
  SHUTDOWN_DRAIN_MS: setting(
    nonNegativeInt.default(15_000),
    'On a graceful stop, how long the in-process bus may finish queued work before the consumers stop; what is left is kept in the store and resumed at the next start (`5000` in `npm start`).',
  ),
  CONSOLE_DIR: setting(
    z.string().optional(),
    'The built operator console the API serves at `/console/`.',
    '`dist/console`',
  ),
};

const components = {
  CAPPELLA_URL: setting(
    z.url().optional(),
    "Cappella's base URL; overrides the manifest's `baseUrl`.",
    `\`${DEFAULT_COMPONENT_URL}\``,
  ),
  HIPPO_URL: setting(
    z.url().optional(),
    "Hippo's base URL; overrides the manifest's `baseUrl`.",
    `\`${DEFAULT_COMPONENT_URL}\``,
  ),
  CANON_URL: setting(
    z.url().optional(),
    "Canon's base URL; overrides the manifest's `baseUrl`.",
    `\`${DEFAULT_COMPONENT_URL}\``,
  ),
  COMPONENT_MANIFEST_FILE: setting(
    z.string().optional(),
    'A JSON component manifest: how to reach each component and what it can do (see _Component manifest_ below).',
  ),
};

const checks = {
  CHECK_GRACE_DELAY_MS: setting(
    nonNegativeInt.default(30_000),
    "How long a missing output may lag behind its run (counted from the run's event) before it is a `missing_entity` mismatch.",
  ),
  CHECK_RETRY_DELAYS_MS: setting(
    commaList
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
    'The delayed-retry tiers: one delay per retry after a component stayed unreachable (at most three, each on its own topic `bridge.internal.checks.retry.N`); after the last one the check ends as `check_failed` and is dead-lettered.',
  ),
  CHECK_BATCH_SIZE: setting(
    positiveInt.max(5_000).default(1_000),
    'Most check work items a checker takes at once (one bulk lookup, one multi-row insert).',
  ),
  CHECK_LEASE_MS: setting(
    positiveInt.default(30_000),
    'How long a check, or a finding being re-checked, stays claimed by a checker that may have died.',
  ),
  FINDING_RECHECK_DELAYS_MS: setting(
    millisecondsList.default([60_000, 600_000, 3_600_000]),
    'When open findings are looked at again: the first delay after detection, each next after the one before; after the last, at every scan (empty: scans only). A finding whose discrepancy is gone is closed as `healed`.',
  ),
  FINDING_RECHECK_INTERVAL_MS: setting(
    positiveInt.default(5_000),
    'How often the checker looks for findings due a re-check.',
  ),
  FINDING_RECHECK_BATCH_SIZE: setting(
    positiveInt.max(5_000).default(200),
    'Most findings re-checked together (one read per component).',
  ),
};

const strategies = Object.fromEntries(
  MISMATCH_TYPES.map((type) => [
    `STRATEGY_${type.toUpperCase()}`,
    setting(
      z.enum(ALLOWED_STRATEGIES[type] as [RepairStrategy, ...RepairStrategy[]]).optional(),
      `Repair strategy for \`${type}\` findings; a strategy the type does not allow is refused at start-up.`,
      `\`${DEFAULT_STRATEGIES[type]}\``,
    ),
  ]),
);

const repair = {
  ...strategies,
  REPAIR_BATCH_SIZE: setting(
    positiveInt.max(5_000).default(200),
    'Jobs a repair worker takes per step (planning, execution, confirmation).',
  ),
  REPAIR_INTERVAL_MS: setting(
    positiveInt.default(1_000),
    "A repair worker's pause when a pass found nothing to do.",
  ),
  REPAIR_LEASE_MS: setting(
    positiveInt.default(60_000),
    'How long a job stays claimed by a worker that may have died.',
  ),
  REPAIR_MAX_ATTEMPTS: setting(
    positiveInt.default(5),
    'Attempts of a repair step (planning, submission, eviction) before the job ends `FAILED`.',
  ),
  REPAIR_RETRY_INITIAL_MS: setting(
    positiveInt.default(2_000),
    'First wait of the exponential backoff between attempts of a repair step.',
  ),
  REPAIR_RETRY_MAX_MS: setting(
    positiveInt.default(60_000),
    'Longest wait between attempts of a repair step.',
  ),
  REPAIR_CONFIRM_INTERVAL_MS: setting(
    positiveInt.default(5_000),
    "When an executed repair is first checked against Hippo or Canon; each later wait is as long as it has waited so far (the rerun's `bridge.sync.ok` makes the check due at once).",
  ),
  REPAIR_CONFIRM_MAX_INTERVAL_MS: setting(
    positiveInt.default(60_000),
    'Longest wait between two checks of an executed repair.',
  ),
  REPAIR_CONFIRM_DEADLINE_MS: setting(
    positiveInt.default(30 * 60_000),
    'An executed repair not confirmed within this ends `FAILED`.',
  ),
  REPAIR_SUBMISSION_SEARCH_DELAY_MS: setting(
    positiveInt.default(5 * 60_000),
    'A resubmission with an unknown outcome whose outputs Hippo lacks this long after it left is looked for in the run listing of Cappella: adopted if found, sent again if not. Keep it above the time Cappella may take to create a run it received, and below `REPAIR_CONFIRM_DEADLINE_MS`.',
  ),
  REPAIR_APPROVAL_TIMEOUT_MS: setting(
    positiveInt.default(86_400_000),
    'A repair awaiting approval longer than this becomes `EXPIRED` (it may still be approved).',
  ),
  REPAIR_PRIORITY_BY_TYPE: setting(
    priorityList(MISMATCH_TYPES),
    "`type=weight,…` (e.g. `partial_output=10,missing_entity=5`): a job's priority is its mismatch type's weight plus its source component's; higher first, then the oldest finding.",
    'every type 0',
  ),
  REPAIR_PRIORITY_BY_SOURCE: setting(
    priorityList(),
    '`component=weight,…` (e.g. `cappella=1`): the source component part of the priority above.',
    'every component 0',
  ),
};

const scans = {
  SCAN_SCHEDULE: setting(
    cronSchedule.default('0 3 * * *'),
    'Cron expression (5 to 7 fields) of scheduled scans, or `off` for on-demand scans only (`* * * * *` in `npm start`).',
  ),
  SCAN_TIMEZONE: setting(
    z
      .string()
      .refine((zone) => Intl.supportedValuesOf('timeZone').includes(zone) || zone === 'UTC', {
        error: 'an IANA time zone such as UTC or Europe/Berlin',
      })
      .default('UTC'),
    'The IANA time zone of the schedule.',
  ),
  SCAN_FULL_INTERVAL_MS: setting(
    positiveInt.default(7 * 24 * 3_600_000),
    'A scheduled scan is a full re-scan when the last completed full scan is older than this (7 days by default), otherwise incremental.',
  ),
  SCAN_LISTING_INTERVAL_MS: setting(
    positiveInt.default(28 * 24 * 3_600_000),
    'When both component manifests offer range digests, a full scan compares digests and reads only what differs; it lists both components instead (the reference pass, which also finds dangling references of runs that did not change) when the last full scan by listing is older than this (28 days by default).',
  ),
  SCAN_POLL_INTERVAL_MS: setting(
    positiveInt.default(5_000),
    'How often a scanner looks for a requested scan (from another process) or one whose scanner died.',
  ),
  SCAN_GRACE_DELAY_MS: setting(
    nonNegativeInt.optional(),
    'Runs changed less than this before a scan started are left to the next scan (their outputs may still be in flight).',
    '`CHECK_GRACE_DELAY_MS`',
  ),
  SCAN_OUTAGE_TOLERANCE_MS: setting(
    positiveInt.default(15 * 60_000),
    'How long a scan waits, paused, for an unreachable component or database before it fails (its checkpoint kept); 15 minutes by default.',
  ),
};

const api = {
  API_TOKENS: setting(
    commaList
      .pipe(
        z.array(
          z
            .string()
            .regex(
              /^(reader|admin|producer):[A-Za-z0-9._@-]+:[0-9a-f]{64}$/,
              'role:name:sha256-hex, the role reader, admin or producer (see docs/api.md, "API tokens")',
            ),
        ),
      )
      .default([]),
    '`role:name:sha256-hex,…`: the bearer tokens the query API accepts, as the SHA-256 of each token; `role` is `reader`, `admin` or `producer` (HTTP ingestion only), `name` is recorded as who resolved or asked for something. The api refuses to start without a credential; `npm start` makes an admin token.',
    'none',
  ),
  API_JWT_SECRET: setting(
    z.string().min(32, 'at least 32 characters').optional(),
    'JWTs are accepted too when a key is set: this HMAC secret (HS256/384/512, 32+ characters), or else the public key below, never both.',
  ),
  API_JWT_PUBLIC_KEY: setting(
    z.string().includes('BEGIN PUBLIC KEY', { error: 'a PEM public key' }).optional(),
    'A PEM public key for JWTs (RS256, ES256, EdDSA: the algorithms of its type).',
  ),
  API_JWT_ISSUER: setting(z.string().optional(), 'The JWT issuer required, when set.'),
  API_JWT_AUDIENCE: setting(z.string().optional(), 'The JWT audience required, when set.'),
  // A stolen JWT stays useful until it expires: tokens that live longer than this are refused.
  API_JWT_MAX_AGE_S: setting(
    positiveInt.default(86_400),
    'Longest life a JWT may have (from `iat` to `exp`, or from now without `iat`); `sub` and `exp` are required. The role is the `role` claim or the strongest of `roles`, the name the `sub`.',
  ),
  INGEST_HTTP_MAX_RECORDS: setting(
    positiveInt.max(10_000).default(500),
    'Most records one HTTP ingestion request may carry (a 413 beyond, nothing accepted).',
  ),
  INGEST_HTTP_BODY_LIMIT_BYTES: setting(
    positiveInt.default(4_194_304),
    'Largest HTTP ingestion body read, in bytes (a 413 beyond, unread). Each record is also held to `MAX_EVENT_BYTES` and `MAX_EVENT_ITEMS` once encoded, as on Kafka.',
  ),
  API_RATE_LIMIT_PER_MINUTE: setting(
    nonNegativeInt.default(1_200),
    'Requests per minute from one client address before the API answers 429 with `Retry-After` (counted before authentication, so guessing tokens is slow too); 0 turns it off.',
  ),
};

/** The settings as the configuration page groups them, in its order. */
export const SETTING_SECTIONS = [
  { title: 'Transport and Kafka', settings: transport },
  { title: 'Schema registry and decoding', settings: registryAndDecoding },
  { title: 'Store and retention', settings: store },
  { title: 'HTTP, logs and processes', settings: processes },
  { title: 'Components', settings: components },
  { title: 'Checks', settings: checks },
  { title: 'Repair', settings: repair },
  { title: 'Scans', settings: scans },
  { title: 'Query API', settings: api },
] as const satisfies ReadonlyArray<{ title: string; settings: Record<string, z.ZodType> }>;

export const EnvSchema = z.object({
  ...transport,
  ...registryAndDecoding,
  ...store,
  ...processes,
  ...components,
  ...checks,
  ...repair,
  ...scans,
  ...api,
});

export type Environment = z.output<typeof EnvSchema>;
