/**
 * In the one-process start the simulated components ask for OAuth2 access tokens, as a real
 * Cappella, Hippo and Canon behind an identity provider would, and Bridge fetches them from the
 * simulator's token endpoint: `npm start` runs the credentials path (tokens cached, renewed
 * before they expire, renewed on a 401) all the time, not only in tests.
 *
 * The client secret is made anew at every start and lives only in this process's environment;
 * the manifest written to the data directory names the variable, never the secret. An operator
 * who configured a manifest (`COMPONENT_MANIFEST_FILE`) or the simulator's authentication
 * (`SIM_AUTH`) keeps what they configured.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS } from '@bridge/config';

/** The variable the written manifest names for the client secret. */
export const SIM_CLIENT_SECRET_VARIABLE = 'BRIDGE_SIM_CLIENT_SECRET';
const MANIFEST_FILE = 'components.json';
/** Short, so that a demo shows renewals (at 80% of it) within its first two minutes. */
const TOKEN_TTL_MS = '120000';

/** The manifest that has Bridge take OAuth2 tokens from the simulator at `componentsUrl`. */
export function simulatedComponentManifest(componentsUrl: string): object {
  const auth = {
    kind: 'oauth2',
    tokenUrl: `${componentsUrl}/oauth/token`,
    clientId: 'bridge-sync',
    clientSecret: { env: SIM_CLIENT_SECRET_VARIABLE },
  };
  return Object.fromEntries(COMPONENTS.map((name) => [name, { auth }]));
}

/**
 * The environment with OAuth2 between Bridge and the simulated components, unless either side's
 * authentication is configured already; writes the manifest to `dataDir` when it applies.
 */
export function withSimulatedComponentAuth(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  componentsUrl: string,
): NodeJS.ProcessEnv {
  if (env.COMPONENT_MANIFEST_FILE || env.SIM_AUTH) return env;
  const file = join(dataDir, MANIFEST_FILE);
  writeFileSync(file, `${JSON.stringify(simulatedComponentManifest(componentsUrl), null, 2)}\n`, {
    mode: 0o600,
  });
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
