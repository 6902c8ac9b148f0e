/**
 * The simulator's own settings (`SIM_*` environment variables), validated once at start-up.
 *
 * Transport settings (Kafka, schema registry) are Bridge's and come from `loadConfig`; these
 * only say how the simulator behaves. Invalid values stop the process with every problem listed.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '@bridge/errors';
import { SimAuthEnvSchema, type SimAuthSettings } from './auth/sim-auth-settings';
import { ComponentFaultsSchema, DEFAULT_HANG_MS } from './faults/fault-plan';
import type { DemoSettings } from './scenario/demo-traffic';

const InitialFaultsSchema = z
  .object({
    cappella: ComponentFaultsSchema.optional(),
    hippo: ComponentFaultsSchema.optional(),
    canon: ComponentFaultsSchema.optional(),
  })
  .strict();

const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not JSON: ${(error as Error).message}` });
    return z.NEVER;
  }
});

const SimEnvSchema = z.object({
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  SIM_SEED: z.coerce.number().int().min(0).max(0xffffffff).default(1),
  /** Prefix of every id the simulator generates, so ids stay unique across simulator restarts. */
  SIM_ID_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32')
    .optional(),
  /** Hippo offers `POST /hippo/entities/lookup` (an optional capability of a real Hippo). */
  SIM_HIPPO_BULK_LOOKUP: z.stringbool().default(true),
  /** How long a request picked for a timeout is held before it is answered 504. */
  SIM_HANG_MS: z.coerce.number().int().positive().default(DEFAULT_HANG_MS),
  /** How long a run submitted through `POST /cappella/runs` is RUNNING before it completes. */
  SIM_RUN_DURATION_MS: z.coerce.number().int().min(0).default(0),
  /** Canon sweeps artifacts scheduled with `next_sweep` this often; 0: only on demand. */
  SIM_CANON_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(0),
  /** Canon publishes `canon.cache.evicted` when it actually removes artifacts. */
  SIM_CANON_PUBLISH_EVICTIONS: z.stringbool().default(true),
  /** Demo traffic (`DemoTraffic`): completed runs per second, with faults; 0 turns it off. */
  SIM_DEMO_RATE: z.coerce.number().int().min(0).max(1_000).default(0),
  /** Lag of the demo's slowest Hippo writes; beyond Bridge's grace delay they are reported. */
  SIM_DEMO_LONG_LAG_MS: z.coerce.number().int().min(0).default(15_000),
  /** Faults in effect from start-up, e.g. `{"hippo":{"errorRate":0.05,"lagMs":2000}}`. */
  SIM_FAULTS: jsonText.pipe(InitialFaultsSchema).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

type SimEnv = z.output<typeof SimEnvSchema>;

export interface SimSettings {
  host: string;
  port: number;
  seed: number;
  idPrefix: string;
  hippoBulkLookup: boolean;
  hangMs: number;
  runDurationMs: number;
  canonSweepIntervalMs: number;
  canonPublishEvictions: boolean;
  initialFaults: NonNullable<SimEnv['SIM_FAULTS']>;
  demo: DemoSettings;
  /** What the component endpoints require of Bridge (`SIM_AUTH*`). */
  auth: SimAuthSettings;
  logLevel: SimEnv['LOG_LEVEL'];
}

export const SIM_SETTINGS = Symbol('SimSettings');

/** Validates the `SIM_*` variables; throws a `ConfigError` listing every problem. */
export function loadSimSettings(env: NodeJS.ProcessEnv = process.env): SimSettings {
  const parsed = SimEnvSchema.safeParse(env);
  const auth = SimAuthEnvSchema.safeParse(env);
  if (!parsed.success || !auth.success) {
    const problems = [...(parsed.error?.issues ?? []), ...(auth.error?.issues ?? [])].map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid simulator settings:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    host: e.SIM_HOST,
    port: e.SIM_PORT,
    seed: e.SIM_SEED,
    // A fresh prefix per process by default: Bridge's log outlives the simulator's memory.
    idPrefix: e.SIM_ID_PREFIX ?? `sim${randomBytes(3).toString('hex')}`,
    hippoBulkLookup: e.SIM_HIPPO_BULK_LOOKUP,
    hangMs: e.SIM_HANG_MS,
    runDurationMs: e.SIM_RUN_DURATION_MS,
    canonSweepIntervalMs: e.SIM_CANON_SWEEP_INTERVAL_MS,
    canonPublishEvictions: e.SIM_CANON_PUBLISH_EVICTIONS,
    initialFaults: e.SIM_FAULTS ?? {},
    demo: { ratePerSecond: e.SIM_DEMO_RATE, longLagMs: e.SIM_DEMO_LONG_LAG_MS },
    auth: auth.data,
    logLevel: e.LOG_LEVEL,
  };
}
