/**
 * The store's time partitions: which tables are split by time, how a partition is named and
 * what range it holds, and the DDL that creates partitions ahead of need and drops them once
 * retention is past. Store maintenance (`store-maintenance.ts`) runs it under its advisory
 * lock, so one process at a time changes partitions; the migration that introduced
 * partitioning runs it once to create the first ones.
 *
 * Three tables grow with traffic and are split:
 * - `sync_events` is split first by tier (records apart from findings, since they are kept for
 *   very different times), then by the UTC day a row was recorded (`created_day`): records by
 *   day, findings by month (there are far fewer of them, and they live longer).
 * - `processed_inbound_events` by the UTC day an event was handled (`processed_day`).
 *
 * Each split table also has a default partition, so an insert never fails for want of a
 * partition (when maintenance has not run for days); creating a partition whose range already
 * has rows in the default moves them into it first.
 *
 * The planning functions are pure (dates in, names and ranges out) and unit-tested; the class
 * below is the I/O.
 */
import type { EntityManager } from 'typeorm';
import { errorMessage } from '@bridge/errors';

export type PartitionUnit = 'day' | 'month';

/** A table split by a date column into ranges of one unit each. */
export interface TimePartitionedTable {
  /** The partitioned table the ranges hang under. */
  parent: string;
  /** The date column it is split by. */
  column: string;
  unit: PartitionUnit;
  /** Ranges created ahead of today, in units (so inserts find theirs after a quiet weekend). */
  ahead: number;
}

export const RECORD_PARTITIONS: TimePartitionedTable = {
  parent: 'sync_events_record',
  column: 'created_day',
  unit: 'day',
  ahead: 3,
};

export const FINDING_PARTITIONS: TimePartitionedTable = {
  parent: 'sync_events_finding',
  column: 'created_day',
  unit: 'month',
  ahead: 1,
};

export const PROCESSED_EVENT_PARTITIONS: TimePartitionedTable = {
  parent: 'processed_inbound_events',
  column: 'processed_day',
  unit: 'day',
  ahead: 3,
};

export const TIME_PARTITIONED_TABLES = [
  RECORD_PARTITIONS,
  FINDING_PARTITIONS,
  PROCESSED_EVENT_PARTITIONS,
] as const;

/** A partition change put off to the next run, and why. */
export interface DeferredPartition {
  name: string;
  reason: string;
}

/** One range partition: `[from, to)` as ISO dates. */
export interface PartitionRange {
  name: string;
  from: string;
  to: string;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** The first day (UTC) of the unit holding `date`. */
function unitStart(unit: PartitionUnit, date: Date): Date {
  return unit === 'day'
    ? new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
    : new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

function addUnits(unit: PartitionUnit, start: Date, count: number): Date {
  return unit === 'day'
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + count))
    : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + count, 1));
}

/** The partition of `table` that holds `date`. */
export function partitionFor(table: TimePartitionedTable, date: Date): PartitionRange {
  const start = unitStart(table.unit, date);
  const from = isoDay(start);
  const suffix = table.unit === 'day' ? from.replace(/-/g, '') : from.slice(0, 7).replace('-', '');
  return { name: `${table.parent}_${suffix}`, from, to: isoDay(addUnits(table.unit, start, 1)) };
}

/** The partitions that should exist now: the current unit and `ahead` more. */
export function partitionsToHave(table: TimePartitionedTable, now: Date): PartitionRange[] {
  const start = unitStart(table.unit, now);
  return Array.from({ length: table.ahead + 1 }, (_, i) =>
    partitionFor(table, addUnits(table.unit, start, i)),
  );
}

/**
 * The range an existing partition's name stands for, or null for a name this module did not
 * give (the default partition, or anything an operator attached by hand, which is left alone).
 */
export function rangeOfPartition(table: TimePartitionedTable, name: string): PartitionRange | null {
  const pattern = table.unit === 'day' ? /^(\d{4})(\d{2})(\d{2})$/ : /^(\d{4})(\d{2})$/;
  if (!name.startsWith(`${table.parent}_`)) return null;
  const match = pattern.exec(name.slice(table.parent.length + 1));
  if (!match) return null;
  const [, year, month, day] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, day ? Number(day) : 1));
  const range = partitionFor(table, date);
  return range.name === name ? range : null;
}

/**
 * The partitions whose whole range is older than `cutoff` (their last day is before the
 * cutoff's day): everything in them is past retention, as far as age goes.
 */
export function partitionsBefore(
  table: TimePartitionedTable,
  existing: readonly string[],
  cutoff: Date,
): PartitionRange[] {
  const cutoffDay = isoDay(cutoff);
  return existing
    .map((name) => rangeOfPartition(table, name))
    .filter((range): range is PartitionRange => range !== null && range.to <= cutoffDay)
    .sort((a, b) => a.from.localeCompare(b.from));
}

/** The default partition of a split table. */
export function defaultPartitionOf(table: TimePartitionedTable): string {
  return `${table.parent}_default`;
}

/**
 * How long DDL on a split table may wait for its lock before giving up until the next run:
 * short, because writers of the table queue behind a DDL statement waiting for its lock.
 */
const DDL_LOCK_TIMEOUT = '1s';

/**
 * Partition DDL. Creating or dropping a partition locks its parent briefly; each change runs
 * in its own transaction with a lock timeout, so a long query on the table delays a change
 * to the next maintenance run instead of queueing every writer behind it.
 */
export class StorePartitions {
  constructor(private readonly em: EntityManager) {}

  /** The partitions of `table` that exist now, by name (the default one included). */
  async existing(table: TimePartitionedTable): Promise<string[]> {
    // Raw SQL: the partitions are read from PostgreSQL's catalog, which has no entities.
    const rows = await this.em.query<Array<{ name: string }>>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = $1
        ORDER BY c.relname`,
      [table.parent],
    );
    return rows.map((row) => row.name);
  }

  /**
   * Creates the partitions `partitionsToHave` names that are missing; returns their names, and
   * those it could not create this time (their lock was not to be had), with why.
   */
  async createAhead(
    table: TimePartitionedTable,
    now: Date,
  ): Promise<{ created: string[]; deferred: DeferredPartition[] }> {
    const have = new Set(await this.existing(table));
    const created: string[] = [];
    const deferred: DeferredPartition[] = [];
    for (const range of partitionsToHave(table, now)) {
      if (have.has(range.name)) continue;
      try {
        await this.create(table, range);
        created.push(range.name);
      } catch (error) {
        deferred.push({ name: range.name, reason: errorMessage(error) });
      }
    }
    return { created, deferred };
  }

  /**
   * Creates one partition. Rows of its range already in the default partition (written while
   * no partition was there) are moved into it in the same transaction: PostgreSQL refuses a
   * partition whose range the default partition still holds rows of.
   */
  async create(table: TimePartitionedTable, range: PartitionRange): Promise<void> {
    const fallback = defaultPartitionOf(table);
    // Raw SQL: partitions are made with DDL and table locks, which the builder does not cover.
    await this.em.transaction(async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
      // No row may reach the default partition between the look at it and the new partition.
      await tx.query(`LOCK TABLE "${fallback}" IN SHARE ROW EXCLUSIVE MODE`);
      const [{ stray }] = await tx.query<Array<{ stray: boolean }>>(
        `SELECT EXISTS (SELECT 1 FROM "${fallback}"
                         WHERE "${table.column}" >= $1 AND "${table.column}" < $2) AS stray`,
        [range.from, range.to],
      );
      if (!stray) {
        await tx.query(
          `CREATE TABLE "${range.name}" PARTITION OF "${table.parent}"
             FOR VALUES FROM ('${range.from}') TO ('${range.to}')`,
        );
        return;
      }
      await tx.query(
        `CREATE TABLE "${range.name}" (LIKE "${table.parent}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
      );
      await tx.query(
        `WITH moved AS (DELETE FROM "${fallback}"
                         WHERE "${table.column}" >= $1 AND "${table.column}" < $2 RETURNING *)
         INSERT INTO "${range.name}" SELECT * FROM moved`,
        [range.from, range.to],
      );
      await tx.query(
        `ALTER TABLE "${table.parent}" ATTACH PARTITION "${range.name}"
           FOR VALUES FROM ('${range.from}') TO ('${range.to}')`,
      );
    });
  }

  /** Drops one partition with everything in it. */
  async drop(name: string): Promise<void> {
    // Raw SQL: DDL.
    await this.em.transaction(async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
      await tx.query(`DROP TABLE IF EXISTS "${name}"`);
    });
  }
}
