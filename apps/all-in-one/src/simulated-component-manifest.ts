/**
 * The component manifest of the one-process start: what the simulated Cappella, Hippo and
 * Canon offer, declared the way an operator declares real components, so that `npm start`
 * runs the paths a deployment with capable components runs. Hippo's bulk lookup (unless the
 * simulator was told to refuse it) and range digests on Cappella and Hippo, so full scans
 * compare digests once the first listing scan (the reference pass) is done; Canon's artifact
 * listing, so every full scan also finds artifacts left behind after deletions.
 *
 * The simulated components also ask for OAuth2 access tokens, as a real Cappella, Hippo and
 * Canon behind an identity provider would, and Bridge fetches them from the simulator's token
 * endpoint: the credentials path (tokens cached, renewed before they expire, renewed on a 401)
 * runs all the time, not only in tests. The client secret is made anew at every start and
 * lives only in this process's environment; the manifest written to the data directory names
 * the variable, never the secret.
 *
 * An operator who configured a manifest (`COMPONENT_MANIFEST_FILE`) keeps it; one who
 * configured the simulator's authentication (`SIM_AUTH`) keeps that, and the manifest declares
 * the capabilities only.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS } from '@bridge/config';
import { loadSimSettings } from '@bridge/simulator';

/** The variable the written manifest names for the client secret. */
export const SIM_CLIENT_SECRET_VARIABLE = 'BRIDGE_SIM_CLIENT_SECRET';
const MANIFEST_FILE = 'components.json';
/** Short, so that a demo shows renewals (at 80% of it) within its first two minutes. */
const TOKEN_TTL_MS = '120000';

/**
 * The manifest of the simulated components at `componentsUrl`: their capabilities, and with
 * `oauth2` the simulator's token endpoint.
 */
export function simulatedComponentManifest(
  componentsUrl: string,
  options: { oauth2: boolean; bulkLookup: boolean },
): object {
  const auth = {
    kind: 'oauth2',
    tokenUrl: `${componentsUrl}/oauth/token`,
    clientId: 'bridge-sync',
    clientSecret: { env: SIM_CLIENT_SECRET_VARIABLE },
  };
  const capabilities: Record<string, object> = {
    cappella: { rangeDigests: true },
    hippo: { rangeDigests: true, bulkLookup: options.bulkLookup },
    canon: { artifactListing: true },
  };
  return Object.fromEntries(
    COMPONENTS.map((name) => [
      name,
      { capabilities: capabilities[name], ...(options.oauth2 ? { auth } : {}) },
    ]),
  );
}

/**
 * The environment with the simulated components' manifest written to `dataDir` (unless one is
 * configured), and OAuth2 between Bridge and them unless the simulator's authentication is
 * configured already.
 */
export function withSimulatedComponentManifest(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  componentsUrl: string,
): NodeJS.ProcessEnv {
  if (env.COMPONENT_MANIFEST_FILE) return env;
  const oauth2 = !env.SIM_AUTH;
  const { hippoBulkLookup: bulkLookup } = loadSimSettings(env);
  const file = join(dataDir, MANIFEST_FILE);
  writeFileSync(
    file,
    `${JSON.stringify(simulatedComponentManifest(componentsUrl, { oauth2, bulkLookup }), null, 2)}\n`,
    { mode: 0o600 },
  );
  if (!oauth2) return { ...env, COMPONENT_MANIFEST_FILE: file };
  const secret = randomBytes(32).toString('base64url');
  return {
    ...env,
    COMPONENT_MANIFEST_FILE: file,
    [SIM_CLIENT_SECRET_VARIABLE]: secret,
    SIM_AUTH: 'oauth2',
    SIM_AUTH_CLIENT_ID: 'bridge-sync',
    SIM_AUTH_CLIENT_SECRET: secret,
    SIM_AUTH_TOKEN_TTL_MS: env.SIM_AUTH_TOKEN_TTL_MS ?? TOKEN_TTL_MS,
  };
}
