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
import { loadConfig } from '@bridge/config';
import {
  EMBEDDED_TOKENS,
  ensureToken,
  prepareDataDir,
  withEmbeddedTokens,
} from './embedded-tokens';

const scratch = () => mkdtempSync(join(tmpdir(), 'bridge-admin-token-'));

describe('the data directory and its tokens', () => {
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
    const first = ensureToken(dir, 'admin');
    expect(first.created).toBe(true);
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(ensureToken(dir, 'admin')).toEqual({ ...first, created: false });
  });

  it('refuses a token file others can read, saying how to fix it', () => {
    const dir = scratch();
    const { file } = ensureToken(dir, 'admin');
    chmodSync(file, 0o644);
    expect(() => ensureToken(dir, 'admin')).toThrow(ConfigError);
    expect(() => ensureToken(dir, 'admin')).toThrow(
      `can be read by others (mode 644); run \`chmod 600 ${file}\``,
    );
  });

  it('refuses a token file that is a symbolic link, and reads nothing through it', () => {
    const dir = scratch();
    const elsewhere = join(scratch(), 'planted');
    writeFileSync(elsewhere, `${'p'.repeat(40)}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, join(dir, EMBEDDED_TOKENS.admin.file));
    expect(() => ensureToken(dir, 'admin')).toThrow(/is a symbolic link/);
    expect(readFileSync(elsewhere, 'utf8')).toBe(`${'p'.repeat(40)}\n`);
  });

  it('keeps one token per role apart, and accepts each with its role', () => {
    const dir = scratch();
    const admin = ensureToken(dir, 'admin');
    const producer = ensureToken(dir, 'producer');
    expect(producer.file).toBe(join(dir, 'producer-token'));
    expect(producer.token).not.toBe(admin.token);
    const env = withEmbeddedTokens({}, { admin: admin.token, producer: producer.token });
    expect(loadConfig(env).api.tokens.map((t) => [t.role, t.name])).toEqual([
      ['admin', 'operator'],
      ['producer', 'components'],
    ]);
    expect(withEmbeddedTokens({ API_TOKENS: 'x' }, { admin: 'a', producer: 'p' })).toEqual({
      API_TOKENS: 'x',
    });
  });
});
