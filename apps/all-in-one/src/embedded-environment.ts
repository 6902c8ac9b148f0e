/**
 * The settings of the all-in-one process (`npm start`), derived from the environment: what a
 * newcomer gets with no configuration at all.
 *
 * Everything stays overridable by the same variables as the services. Only unset variables get
 * an all-in-one default: the in-process bus, PGlite persisted under the data directory, the
 * component URLs pointing at the simulator served by this very process, demo traffic on, and
 * shorter delays than production so that findings show up within seconds.
 *
 * With `BRIDGE_SIMULATOR=off` the same process is a single-server deployment against real
 * components: no simulator, no demo delays (the services' own defaults hold), the components'
 * URLs required, and events arriving over HTTP ingestion.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { COMPONENTS } from '@bridge/config';
import { ConfigError } from '@bridge/errors';

export interface EmbeddedEnvironment {
  /** The environment to validate with `loadConfig` and `loadSimSettings`. */
  env: NodeJS.ProcessEnv;
  /** Absolute data directory (PGlite lives in `pglite/` below it unless configured apart). */
  dataDir: string;
  port: number;
  /** This process's own address: the API, the console and, with the simulator, the components. */
  componentsUrl: string;
  /** False with `BRIDGE_SIMULATOR=off`: real components, events over HTTP ingestion. */
  simulator: boolean;
}

export const DEFAULT_DATA_DIR = '.data';
export const DEFAULT_PORT = 3000;

/** Defaults of the embedded mode; a variable that is set always wins. */
const EMBEDDED_DEFAULTS: Readonly<Record<string, string>> = {
  BRIDGE_TRANSPORT: 'in-process',
  BRIDGE_STORE: 'pglite',
  // Short delays: a demo should show re-checks and retries finishing within seconds.
  CHECK_GRACE_DELAY_MS: '5000',
  CHECK_RETRY_DELAYS_MS: '2000,5000,10000',
  CHECK_BATCH_SIZE: '200',
  OUTBOX_RELAY_MIN_AGE_MS: '5000',
  // What is still queued after this is kept in the store for the next start.
  SHUTDOWN_DRAIN_MS: '5000',
  SIM_DEMO_RATE: '5',
  SIM_DEMO_LONG_LAG_MS: '12000',
  SIM_CANON_SWEEP_INTERVAL_MS: '20000',
  // Repairs on: resubmit what the simulator's idempotent pipelines lost (the others wait for
  // an operator's approval), and confirm within seconds.
  STRATEGY_MISSING_ENTITY: 'resubmit_run',
  STRATEGY_PARTIAL_OUTPUT: 'resubmit_run',
  REPAIR_CONFIRM_INTERVAL_MS: '2000',
  REPAIR_CONFIRM_MAX_INTERVAL_MS: '10000',
  REPAIR_CONFIRM_DEADLINE_MS: '120000',
  // Within the deadline: a submission lost with a killed worker is looked for after a minute.
  REPAIR_SUBMISSION_SEARCH_DELAY_MS: '60000',
  REPAIR_RETRY_INITIAL_MS: '1000',
  // Open findings looked at again within seconds (outputs that lagged past the grace delay heal
  // on screen), and approvals that expire within ten minutes.
  FINDING_RECHECK_DELAYS_MS: '15000,60000,300000',
  FINDING_RECHECK_INTERVAL_MS: '2000',
  REPAIR_APPROVAL_TIMEOUT_MS: '600000',
  // A scan every minute (a full re-scan every ten), so that a newcomer soon sees one complete.
  SCAN_SCHEDULE: '* * * * *',
  SCAN_FULL_INTERVAL_MS: '600000',
  SCAN_POLL_INTERVAL_MS: '2000',
};

export function embeddedEnvironment(env: NodeJS.ProcessEnv, cwd: string): EmbeddedEnvironment {
  const dataDirSetting = env.BRIDGE_DATA_DIR ?? DEFAULT_DATA_DIR;
  const dataDir = isAbsolute(dataDirSetting) ? dataDirSetting : resolve(cwd, dataDirSetting);
  const port = env.HTTP_PORT ? Number(env.HTTP_PORT) : DEFAULT_PORT;
  const host = env.HTTP_HOST ?? '127.0.0.1';
  const componentsUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const simulator = env.BRIDGE_SIMULATOR !== 'off';
  const derived: Record<string, string> = simulator
    ? {
        ...EMBEDDED_DEFAULTS,
        HTTP_PORT: String(port),
        PGLITE_DATA_DIR: join(dataDir, 'pglite'),
        CAPPELLA_URL: componentsUrl,
        HIPPO_URL: componentsUrl,
        CANON_URL: componentsUrl,
      }
    : {
        ...SINGLE_SERVER_DEFAULTS,
        HTTP_PORT: String(port),
        PGLITE_DATA_DIR: join(dataDir, 'pglite'),
      };
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(derived)) {
    if (merged[name] === undefined || merged[name] === '') merged[name] = value;
  }
  if (!simulator) requireComponentAddresses(merged);
  return { env: merged, dataDir, port, componentsUrl, simulator };
}

/** Without the simulator only the storage and transport defaults hold. */
const SINGLE_SERVER_DEFAULTS: Readonly<Record<string, string>> = {
  BRIDGE_TRANSPORT: 'in-process',
  BRIDGE_STORE: 'pglite',
  SHUTDOWN_DRAIN_MS: EMBEDDED_DEFAULTS.SHUTDOWN_DRAIN_MS,
};

/**
 * Real components must be named: falling back to the default address would have Bridge check a
 * simulator that is not there and report every run as unreachable.
 */
function requireComponentAddresses(env: NodeJS.ProcessEnv): void {
  if (env.COMPONENT_MANIFEST_FILE) return;
  const missing = COMPONENTS.map((name) => `${name.toUpperCase()}_URL`).filter((v) => !env[v]);
  if (missing.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  ${missing.join(', ')}: BRIDGE_SIMULATOR=off checks real components, so their addresses are required (or a COMPONENT_MANIFEST_FILE with their baseUrl)`,
    );
  }
}
