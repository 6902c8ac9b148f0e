/**
 * One all-in-one process per data directory: PGlite is a single-process database, and two
 * processes writing the same files would corrupt it. The lock is a file holding the owner's
 * pid; a lock left by a process that no longer exists (a crash, a SIGKILL) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigError } from '@bridge/errors';

const LOCK_FILE = 'bridge.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory for this process; throws a `ConfigError` naming the holder otherwise. */
export function lockDataDir(dataDir: string, pid = process.pid): () => void {
  const file = join(dataDir, LOCK_FILE);
  let holder: number | undefined;
  try {
    holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch {
    holder = undefined;
  }
  if (holder !== undefined && holder !== pid && Number.isInteger(holder) && isAlive(holder)) {
    throw new ConfigError(
      `${dataDir} is in use by process ${holder}; stop it, or set BRIDGE_DATA_DIR to another directory`,
    );
  }
  writeFileSync(file, String(pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8') === String(pid)) rmSync(file);
    } catch {
      // Already gone.
    }
  };
}

export const DATA_DIR_UNLOCK = Symbol('DataDirUnlock');

/** Gives the directory up when the application has shut down (the store is closed by then). */
@Injectable()
export class DataDirLockRelease implements OnApplicationShutdown {
  constructor(@Inject(DATA_DIR_UNLOCK) private readonly unlock: () => void) {}

  onApplicationShutdown(): void {
    this.unlock();
  }
}
