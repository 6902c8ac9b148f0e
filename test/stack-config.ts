/**
 * Configuration for integration tests against the local stack started by the global setup:
 * the same `loadConfig` the services use, pointed at the real Kafka, registry and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig, type BridgeConfig, type KafkaTransportConfig } from '@bridge/config';
import { errorMessage } from '@bridge/errors';

export function stackEnv(): { brokers: string; registryUrl: string; databaseUrl: string } {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL } = process.env;
  if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL || !DATABASE_URL) {
    throw new Error(
      'integration tests need the local stack: run them with `npm run test:integration`',
    );
  }
  return { brokers: KAFKA_BROKERS, registryUrl: SCHEMA_REGISTRY_URL, databaseUrl: DATABASE_URL };
}

/** Distributed-mode configuration on the local stack, with fast retries for tests. */
export function stackConfig(overrides: NodeJS.ProcessEnv = {}): BridgeConfig {
  const env = stackEnv();
  return loadConfig({
    BRIDGE_TRANSPORT: 'kafka',
    KAFKA_BROKERS: env.brokers,
    KAFKA_CLIENT_ID: `bridge-test-${process.pid}`,
    SCHEMA_REGISTRY_URL: env.registryUrl,
    BRIDGE_STORE: 'postgres',
    DATABASE_URL: env.databaseUrl,
    CONSUMER_MAX_ATTEMPTS: '3',
    CONSUMER_RETRY_INITIAL_MS: '20',
    CONSUMER_RETRY_MAX_MS: '100',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}

export function kafkaTransport(config: BridgeConfig): KafkaTransportConfig {
  if (config.transport.kind !== 'kafka') throw new Error('expected the Kafka transport');
  return config.transport;
}

/** A fresh, empty PostgreSQL database on the stack's server; dropped by the returned cleanup. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new URL(stackEnv().databaseUrl);
  const name = `bridge_t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const run = async (sql: string) => {
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Polls until `probe` returns a value, or fails after `timeoutMs`. A probe that throws (a
 * service still restarting, a connection reset under a fault) is tried again: only the deadline
 * ends the wait, and its error then names the last look's failure.
 */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: { error: unknown } | undefined;
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      failure = { error };
    }
    if (Date.now() > deadline) {
      const last = failure ? `; the last look failed: ${errorMessage(failure.error)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`, {
        cause: failure?.error,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
