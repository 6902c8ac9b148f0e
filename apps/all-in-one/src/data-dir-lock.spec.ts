import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@bridge/errors';
import { lockDataDir } from './data-dir-lock';

describe('lockDataDir', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bridge-lock-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a directory a running process holds, naming it', () => {
    // The test runner itself is alive: a second process claiming its directory is refused.
    writeFileSync(join(dir, 'bridge.pid'), String(process.pid));
    expect(() => lockDataDir(dir, process.pid + 1)).toThrow(ConfigError);
    expect(() => lockDataDir(dir, process.pid + 1)).toThrow(`in use by process ${process.pid}`);
  });

  it('takes over a lock left by a process that is gone, and releases it', () => {
    writeFileSync(join(dir, 'bridge.pid'), '2147483646');
    const release = lockDataDir(dir);
    expect(existsSync(join(dir, 'bridge.pid'))).toBe(true);
    release();
    expect(existsSync(join(dir, 'bridge.pid'))).toBe(false);
  });
});
