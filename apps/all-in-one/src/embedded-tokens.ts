/**
 * The embedded mode's tokens for the query API, an admin one for the operator and a producer
 * one for components handing events in over HTTP: generated on the first start and kept in
 * the data directory (readable by its owner only) so that they survive restarts. They are never
 * printed: the start-up log says where it is and how to read it, so that a log shipped
 * elsewhere or a shared terminal recording does not carry an admin credential.
 *
 * The data directory is created for its owner alone (0700). A token file that others could
 * read, that belongs to someone else, or that is a symbolic link (which could point the token
 * anywhere, or read one planted elsewhere) is refused with a message saying what to do. The
 * distributed mode has no such default: its tokens are configured (`API_TOKENS`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@bridge/errors';
import { tokenDigest } from '@bridge/query-api';

/** The tokens `npm start` keeps, by role: the file in the data directory and the holder's name. */
export const EMBEDDED_TOKENS = {
  admin: { file: 'admin-token', holder: 'operator' },
  producer: { file: 'producer-token', holder: 'components' },
} as const;

export type EmbeddedTokenRole = keyof typeof EMBEDDED_TOKENS;

/** Permission bits for group and others: none may be set on the data directory or the token. */
const GROUP_OR_OTHER = 0o077;

/**
 * Creates the data directory (0700), or takes an existing one of this user back to 0700.
 * Returns what it changed, for the start-up log.
 */
export function prepareDataDir(dataDir: string): { tightened: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stats = lstatSync(dataDir);
  if (!stats.isDirectory()) {
    throw new ConfigError(`BRIDGE_DATA_DIR: ${dataDir} is not a directory`);
  }
  if (stats.uid !== process.getuid?.()) {
    throw new ConfigError(
      `BRIDGE_DATA_DIR: ${dataDir} belongs to another user (uid ${stats.uid}); use a directory of your own`,
    );
  }
  if ((stats.mode & GROUP_OR_OTHER) === 0) return { tightened: false };
  chmodSync(dataDir, 0o700);
  return { tightened: true };
}

/** Why the token file at `file` cannot be trusted, or null when it can. */
export function tokenFileProblem(
  file: string,
  stats: { isSymbolicLink(): boolean; isFile(): boolean; mode: number; uid: number },
  uid: number | undefined,
): string | null {
  if (stats.isSymbolicLink()) {
    return `${file} is a symbolic link; replace it with the token itself (or delete it for a new one)`;
  }
  if (!stats.isFile()) return `${file} is not a regular file`;
  if (uid !== undefined && stats.uid !== uid) {
    return `${file} belongs to another user (uid ${stats.uid}); delete it for a new token`;
  }
  if ((stats.mode & GROUP_OR_OTHER) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
    return `${file} can be read by others (mode ${mode}); run \`chmod 600 ${file}\`, and consider the token seen`;
  }
  return null;
}

/** The data directory's token for `role`, created if it has none yet. */
export function ensureToken(
  dataDir: string,
  role: EmbeddedTokenRole,
): {
  token: string;
  file: string;
  created: boolean;
} {
  const file = join(dataDir, EMBEDDED_TOKENS[role].file);
  let stats: Stats | undefined;
  try {
    stats = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stats) {
    const problem = tokenFileProblem(file, stats, process.getuid?.());
    if (problem) throw new ConfigError(`${role} token: ${problem}`);
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) return { token, file, created: false };
  }
  const token = randomBytes(32).toString('base64url');
  // `wx` when there was no file: a link planted meanwhile is not followed.
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: stats ? 'w' : 'wx' });
  return { token, file, created: true };
}

/** The environment with the tokens accepted, unless API tokens are configured already. */
export function withEmbeddedTokens(
  env: NodeJS.ProcessEnv,
  tokens: Record<EmbeddedTokenRole, string>,
): NodeJS.ProcessEnv {
  if (env.API_TOKENS) return env;
  const entries = (Object.keys(EMBEDDED_TOKENS) as EmbeddedTokenRole[]).map(
    (role) => `${role}:${EMBEDDED_TOKENS[role].holder}:${tokenDigest(tokens[role])}`,
  );
  return { ...env, API_TOKENS: entries.join(',') };
}
