/**
 * The local stack as the benchmark and the soak use it: started through tools/stack/stack.sh,
 * restarted empty by default (new consumer groups read from the beginning, so a broker with
 * an earlier run's events would count them again), the environment and component manifest
 * every process of a run shares, and a one-statement SQL helper for their own reads of the
 * store.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT } from './bench-processes';

const STACK_SCRIPT = join(ROOT, 'tools', 'stack', 'stack.sh');

/** A restart empties Kafka: the stack starts the broker on fresh data. */
export function restartStack(): void {
  execFileSync('bash', [STACK_SCRIPT, 'down'], { stdio: 'inherit' });
  execFileSync('bash', [STACK_SCRIPT, 'up'], { stdio: 'inherit' });
}

/** Brings the stack up (fresh unless BENCH_KEEP_STACK=1) and returns its coordinates. */
export function stackEnv(): Record<string, string> {
  if (process.env.BENCH_KEEP_STACK === '1') {
    execFileSync('bash', [STACK_SCRIPT, 'up'], { stdio: 'inherit' });
  } else {
    restartStack();
  }
  const out = execFileSync('bash', [STACK_SCRIPT, 'env'], { encoding: 'utf8' });
  return Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

/** Runs one statement on its own connection. */
export async function sql(url: string, text: string, params: unknown[] = []) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

/** A new database `name` on the stack's server, and how to drop it again. */
export async function benchDatabase(
  stack: Record<string, string>,
  name: string,
): Promise<{ url: URL; drop: () => Promise<unknown> }> {
  await sql(stack.DATABASE_URL, `CREATE DATABASE ${name}`);
  const url = new URL(stack.DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url,
    drop: () => sql(stack.DATABASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * What every process of a run (the simulator and Bridge's services) is started with: the
 * stack's Kafka and registry, the run's own database, and consumer groups of the run's own.
 */
export function runEnv(
  stack: Record<string, string>,
  databaseUrl: URL,
  groupPrefix: string,
): Record<string, string> {
  return {
    BRIDGE_TRANSPORT: 'kafka',
    KAFKA_BROKERS: stack.KAFKA_BROKERS ?? '',
    SCHEMA_REGISTRY_URL: stack.SCHEMA_REGISTRY_URL ?? '',
    BRIDGE_STORE: 'postgres',
    DATABASE_URL: databaseUrl.toString(),
    CONSUMER_GROUP_PREFIX: groupPrefix,
    LOG_LEVEL: 'warn',
  };
}

/** Writes a component manifest (`COMPONENT_MANIFEST_FILE`) to a new temporary file; its path. */
export function writeComponentManifest(prefix: string, manifest: object): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), 'components.json');
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}
