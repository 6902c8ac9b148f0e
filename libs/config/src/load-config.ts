/**
 * Reads the configuration once at start-up: every service calls `loadConfig`, and nothing else
 * reads `process.env`. Invalid or incomplete configuration fails fast with a `ConfigError` that
 * lists every problem, instead of surfacing later as a confusing runtime error. Secrets
 * (database URL, registry and broker credentials, component credentials) only ever come from
 * here.
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_STRATEGIES,
  MISMATCH_TYPES,
  type MismatchType,
  type RepairStrategy,
} from '@bridge/contracts';
import { ConfigError } from '@bridge/errors';
import type { ApiRole, BridgeConfig, StoreConfig, TransportConfig } from './bridge-config';
import {
  COMPONENTS,
  LOOPBACK_NAMES,
  componentCredentialsInClear,
  isLoopbackHost,
  loadManifests,
  type ComponentName,
} from './component-manifest';
import { EnvSchema } from './environment-schema';

/** Validates the environment and returns the typed configuration, or throws a `ConfigError`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const parsed = EnvSchema.safeParse(env);
  const manifests = loadManifests(env.COMPONENT_MANIFEST_FILE, env);
  const kafkaCa = readPemFile('KAFKA_SSL_CA_FILE', env.KAFKA_SSL_CA_FILE);
  const databaseCa = readPemFile('DATABASE_SSL_CA_FILE', env.DATABASE_SSL_CA_FILE);
  const problems = [
    ...missingForMode(env),
    ...(parsed.error?.issues ?? []).map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    ),
    ...manifests.problems,
    ...[kafkaCa.problem, databaseCa.problem].filter((p): p is string => p !== undefined),
  ];
  if (!parsed.success || !manifests.manifests || problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const components = manifests.manifests;
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
  if (
    e.KAFKA_TOPIC_MIN_INSYNC_REPLICAS !== undefined &&
    e.KAFKA_TOPIC_REPLICATION_FACTOR !== undefined &&
    e.KAFKA_TOPIC_MIN_INSYNC_REPLICAS > e.KAFKA_TOPIC_REPLICATION_FACTOR
  ) {
    throw new ConfigError(
      `invalid configuration:\n  KAFKA_TOPIC_MIN_INSYNC_REPLICAS (${e.KAFKA_TOPIC_MIN_INSYNC_REPLICAS}) is more than KAFKA_TOPIC_REPLICATION_FACTOR (${e.KAFKA_TOPIC_REPLICATION_FACTOR}): no write to those topics could ever be acknowledged`,
    );
  }
  if (e.REPAIR_SUBMISSION_SEARCH_DELAY_MS >= e.REPAIR_CONFIRM_DEADLINE_MS) {
    throw new ConfigError(
      `invalid configuration:\n  REPAIR_SUBMISSION_SEARCH_DELAY_MS (${e.REPAIR_SUBMISSION_SEARCH_DELAY_MS}) is not shorter than REPAIR_CONFIRM_DEADLINE_MS (${e.REPAIR_CONFIRM_DEADLINE_MS}): a submission with an unknown outcome would fail at its deadline before anyone looked for it`,
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
          topicMinInSyncReplicas: e.KAFKA_TOPIC_MIN_INSYNC_REPLICAS,
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
      consoleDir: e.CONSOLE_DIR,
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
      submissionSearchDelayMs: e.REPAIR_SUBMISSION_SEARCH_DELAY_MS,
      approvalTimeoutMs: e.REPAIR_APPROVAL_TIMEOUT_MS,
      priorityByType: e.REPAIR_PRIORITY_BY_TYPE,
      priorityBySource: e.REPAIR_PRIORITY_BY_SOURCE,
    },
    scan: {
      schedule: e.SCAN_SCHEDULE === 'off' ? null : e.SCAN_SCHEDULE,
      timezone: e.SCAN_TIMEZONE,
      fullIntervalMs: e.SCAN_FULL_INTERVAL_MS,
      listingIntervalMs: e.SCAN_LISTING_INTERVAL_MS,
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
      ingest: {
        maxRecords: e.INGEST_HTTP_MAX_RECORDS,
        bodyLimitBytes: e.INGEST_HTTP_BODY_LIMIT_BYTES,
      },
    },
  };
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

function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}
