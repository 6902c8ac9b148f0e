import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@bridge/errors';
import { ADMIN_TOKEN_FILE, ensureAdminToken, prepareDataDir } from './admin-token';

const scratch = () => mkdtempSync(join(tmpdir(), 'bridge-admin-token-'));

describe('the data directory and its admin token', () => {
  it('creates the data directory for its owner only, and tightens a loose one', () => {
    const dir = join(scratch(), 'data');
    expect(prepareDataDir(dir)).toEqual({ tightened: false });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(dir, 0o755);
    expect(prepareDataDir(dir)).toEqual({ tightened: true });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('creates a token readable by its owner only, and finds it again', () => {
    const dir = scratch();
    const first = ensureAdminToken(dir);
    expect(first.created).toBe(true);
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(ensureAdminToken(dir)).toEqual({ ...first, created: false });
  });

  it('refuses a token file others can read, saying how to fix it', () => {
    const dir = scratch();
    const { file } = ensureAdminToken(dir);
    chmodSync(file, 0o644);
    expect(() => ensureAdminToken(dir)).toThrow(ConfigError);
    expect(() => ensureAdminToken(dir)).toThrow(
      `can be read by others (mode 644); run \`chmod 600 ${file}\``,
    );
  });

  it('refuses a token file that is a symbolic link, and reads nothing through it', () => {
    const dir = scratch();
    const elsewhere = join(scratch(), 'planted');
    writeFileSync(elsewhere, `${'p'.repeat(40)}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, join(dir, ADMIN_TOKEN_FILE));
    expect(() => ensureAdminToken(dir)).toThrow(/is a symbolic link/);
    expect(readFileSync(elsewhere, 'utf8')).toBe(`${'p'.repeat(40)}\n`);
  });
});
