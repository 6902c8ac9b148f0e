/**
 * One scan at a time across every scanner instance: the scan lock is a PostgreSQL advisory
 * lock held by a connection of its own for as long as the holder works. If the holder dies,
 * its connection closes and PostgreSQL releases the lock, so another scanner can take the
 * unfinished scan over; nothing has to expire first.
 *
 * PGlite serves one process through one connection, which a held lock would block, and no
 * other process can open its data directory anyway: there the lock is kept in memory.
 */
import type { DataSource } from 'typeorm';

/** Arbitrary constant naming the scan lock among PostgreSQL advisory locks. */
const SCAN_LOCK_ID = 472_019_552;

/** Data sources whose in-memory scan lock is taken (PGlite). */
const heldInProcess = new WeakSet<DataSource>();

export type LockedOutcome<T> = { ran: true; value: T } | { ran: false };

export class ScanLock {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` holding the lock, or returns `{ ran: false }` at once if someone holds it. */
  async withLock<T>(work: () => Promise<T>): Promise<LockedOutcome<T>> {
    if (this.dataSource.options.driver !== undefined) return this.inProcess(work);
    const holder = this.dataSource.createQueryRunner();
    await holder.connect();
    try {
      // Raw SQL: advisory locks are functions, not tables.
      const rows = (await holder.query('SELECT pg_try_advisory_lock($1) AS locked', [
        SCAN_LOCK_ID,
      ])) as Array<{ locked: boolean }>;
      if (!rows[0]?.locked) return { ran: false };
      try {
        return { ran: true, value: await work() };
      } finally {
        // Raw SQL: advisory locks are functions, not tables.
        await holder.query('SELECT pg_advisory_unlock($1)', [SCAN_LOCK_ID]).catch(() => undefined);
      }
    } finally {
      await holder.release();
    }
  }

  private async inProcess<T>(work: () => Promise<T>): Promise<LockedOutcome<T>> {
    if (heldInProcess.has(this.dataSource)) return { ran: false };
    heldInProcess.add(this.dataSource);
    try {
      return { ran: true, value: await work() };
    } finally {
      heldInProcess.delete(this.dataSource);
    }
  }
}
