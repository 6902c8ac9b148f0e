/**
 * The one configuration schema of Bridge Sync, validated once at start-up.
 *
 * Every service reads its settings from environment variables through `loadConfig`; nothing
 * else reads `process.env`. Invalid or incomplete configuration fails fast with a
 * `ConfigError` that lists every problem, instead of surfacing later as a confusing runtime
 * error. Secrets (database URL, registry credentials) only ever come from here.
 */
import { z } from 'zod';
import { ConfigError } from '@bridge/errors';

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const positiveInt = z.coerce.number().int().positive();

const EnvSchema = z.object({
  BRIDGE_TRANSPORT: z.enum(['kafka', 'in-process']).default('in-process'),
  KAFKA_BROKERS: commaList.optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('bridge-sync'),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(3),
  SCHEMA_REGISTRY_URL: z.url().optional(),
  SCHEMA_REGISTRY_USERNAME: z.string().optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional(),
  SCHEMA_COMPATIBILITY: z.enum(['BACKWARD', 'FORWARD', 'FULL']).default('BACKWARD'),
  BRIDGE_STORE: z.enum(['postgres', 'pglite']).default('pglite'),
  DATABASE_URL: z.string().optional(),
  PGLITE_DATA_DIR: z.string().optional(),
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  CONSUMER_MAX_ATTEMPTS: positiveInt.default(5),
  CONSUMER_RETRY_INITIAL_MS: positiveInt.default(200),
  CONSUMER_RETRY_MAX_MS: positiveInt.default(10_000),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

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
  return problems;
}

export type KafkaTransportConfig = {
  kind: 'kafka';
  brokers: string[];
  clientId: string;
  topicPartitions: number;
  registry: {
    url: string;
    username?: string;
    password?: string;
    compatibility: 'BACKWARD' | 'FORWARD' | 'FULL';
  };
};

export type TransportConfig = KafkaTransportConfig | { kind: 'in-process' };

export type StoreConfig = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir?: string };

export interface RetryConfig {
  /** Attempts per message in the consumer loop before it is dead-lettered. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface BridgeConfig {
  transport: TransportConfig;
  store: StoreConfig;
  http: { host: string; port?: number };
  consumerRetry: RetryConfig;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
}

/** Validates the environment and returns the typed configuration, or throws a `ConfigError`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...missingForMode(env),
    ...(parsed.error?.issues ?? []).map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    ),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const transport: TransportConfig =
    e.BRIDGE_TRANSPORT === 'kafka'
      ? {
          kind: 'kafka',
          brokers: e.KAFKA_BROKERS ?? [],
          clientId: e.KAFKA_CLIENT_ID,
          topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
          registry: {
            url: e.SCHEMA_REGISTRY_URL ?? '',
            username: e.SCHEMA_REGISTRY_USERNAME,
            password: e.SCHEMA_REGISTRY_PASSWORD,
            compatibility: e.SCHEMA_COMPATIBILITY,
          },
        }
      : { kind: 'in-process' };
  const store: StoreConfig =
    e.BRIDGE_STORE === 'postgres'
      ? { kind: 'postgres', url: e.DATABASE_URL ?? '' }
      : { kind: 'pglite', dataDir: e.PGLITE_DATA_DIR };
  return {
    transport,
    store,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    consumerRetry: {
      maxAttempts: e.CONSUMER_MAX_ATTEMPTS,
      initialDelayMs: e.CONSUMER_RETRY_INITIAL_MS,
      maxDelayMs: e.CONSUMER_RETRY_MAX_MS,
    },
    logLevel: e.LOG_LEVEL,
  };
}
