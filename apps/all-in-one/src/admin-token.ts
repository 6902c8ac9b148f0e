/**
 * The embedded mode's admin token for the query API: generated on the first start, kept in the
 * data directory (readable by its owner only) so that it survives restarts, and printed at every
 * start. The distributed mode has no such default: its tokens are configured (`API_TOKENS`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenDigest } from '../../api/src/auth/api-credentials';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** The data directory's admin token, created if it has none yet. */
export function ensureAdminToken(dataDir: string): {
  token: string;
  file: string;
  created: boolean;
} {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) return { token, file, created: false };
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}

/** The environment with the admin token accepted, unless API tokens are configured already. */
export function withAdminToken(env: NodeJS.ProcessEnv, token: string): NodeJS.ProcessEnv {
  if (env.API_TOKENS) return env;
  return { ...env, API_TOKENS: `admin:operator:${tokenDigest(token)}` };
}
