/**
 * One all-in-one process per data directory: PGlite is a single-process database, and two
 * processes writing the same files would corrupt it. The lock is a file holding the owner's
 * pid; a lock left by a process that no longer exists (a crash, a SIGKILL) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
  if (!createExclusively(file, pid)) {
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== pid && isAlive(holder)) {
      throw new ConfigError(
        `${dataDir} is in use by process ${holder}; stop it, or set BRIDGE_DATA_DIR to another directory`,
      );
    }
    // Left behind by a process that is gone (a crash, a SIGKILL): ours now.
    writeFileSync(file, String(pid));
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8') === String(pid)) rmSync(file);
    } catch {
      // Already gone.
    }
  };
}

/** Creates the lock file only if there is none, so two processes starting at once cannot both win. */
function createExclusively(file: string, pid: number): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, String(pid));
  } finally {
    closeSync(fd);
  }
  return true;
}

export const DATA_DIR_UNLOCK = Symbol('DataDirUnlock');

/**
 * Gives the directory up at shutdown, after closing the database itself: Nest runs this root
 * module's shutdown hook before the store module's, and the files must be closed before
 * another process may open them. (The store's own hook then finds the data source closed.)
 */
@Injectable()
export class DataDirLockRelease implements OnApplicationShutdown {
  constructor(
    @Inject(DATA_DIR_UNLOCK) private readonly unlock: () => void,
    private readonly dataSource: DataSource,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    this.unlock();
  }
}
