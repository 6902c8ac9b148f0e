/**
 * The time-split tables on both engines the store supports (real PostgreSQL and embedded
 * PGlite): uniqueness the pipeline relies on holds across partitions (one row per
 * de-duplication key, one claim per inbound event id, whatever day the first was written),
 * maintenance creates partitions ahead (moving stray rows out of the default partition) and
 * drops whole partitions behind, and never one that holds an open finding, a finding under
 * repair or an outbound event still owed.
 *
 * Each test gets a database of its own, since maintenance acts on every partition there is.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import {
  SyncEventQueries,
  FINDING_PARTITIONS,
  PROCESSED_EVENT_PARTITIONS,
  ProcessedInboundEvents,
  RECORD_PARTITIONS,
  RepairJobStore,
  StoreMaintenance,
  StorePartitions,
  SyncEventLog,
  SyncEventTypes,
  createDataSource,
  migrateStore,
  partitionFor,
  type TimePartitionedTable,
} from '@bridge/store';
import {
  sampleCheckFailedFinding,
  sampleMismatchFinding,
  sampleOkFinding,
} from '@bridge/store/testing';
import { TimePartitions1765300000000 } from '../src/migrations/1765300000000-time-partitions';
import { STORE_ENGINES, TEST_RETENTION } from './store-engines';

const DAY_MS = 86_400_000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY_MS);

describe.each(STORE_ENGINES)('time partitions on %s', (_engine, provision) => {
  let dataSource: DataSource;
  let cleanup: () => Promise<void>;
  let url: string | undefined;

  beforeEach(async () => {
    const provisioned = await provision();
    cleanup = provisioned.cleanup;
    url = provisioned.url;
    dataSource = createDataSource(provisioned.store);
    await dataSource.initialize();
    await migrateStore(dataSource);
  });

  afterEach(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await cleanup();
  });

  /** Moves a row to the partition of a day `days` from today, creating it if need be. */
  const moveToDay = async (
    table: TimePartitionedTable,
    column: string,
    where: string,
    params: unknown[],
    days: number,
  ) => {
    const range = partitionFor(table, daysFromNow(days));
    const partitions = new StorePartitions(dataSource.manager);
    if (!(await partitions.existing(table)).includes(range.name)) {
      await partitions.create(table, range);
    }
    await dataSource.query(
      `UPDATE ${table.parent} SET ${column} = $${params.length + 1} WHERE ${where}`,
      [...params, range.from],
    );
    return range.name;
  };

  const partitionOf = async (table: string, where: string, params: unknown[]) => {
    const rows = await dataSource.query<Array<{ partition: string }>>(
      `SELECT tableoid::regclass::text AS partition FROM ${table} WHERE ${where}`,
      params,
    );
    return rows.map((row) => row.partition);
  };

  it('keeps one row per de-duplication key even when the first was recorded on another day', async () => {
    const log = new SyncEventLog(dataSource);
    const runId = `r-${randomUUID()}`;
    const first = await log.record(sampleMismatchFinding(runId));
    const oldPartition = await moveToDay(
      FINDING_PARTITIONS,
      'created_day',
      'id = $1',
      [first.event.id],
      -40,
    );

    const again = await log.record(sampleMismatchFinding(runId));
    expect(again).toMatchObject({ created: false, event: { id: first.event.id } });
    expect(await partitionOf('sync_events', 'dedupe_key = $1', [first.event.dedupeKey])).toEqual([
      oldPartition,
    ]);
  });

  it('looks records up from a given day on, and findings in every partition, skipping the older days', async () => {
    const log = new SyncEventLog(dataSource);
    const oldOk = (await log.record(sampleOkFinding(`r-${randomUUID()}`))).event;
    const oldFinding = (await log.record(sampleMismatchFinding(`r-${randomUUID()}`))).event;
    const oldDay = await moveToDay(RECORD_PARTITIONS, 'created_day', 'id = $1', [oldOk.id], -10);
    await moveToDay(FINDING_PARTITIONS, 'created_day', 'id = $1', [oldFinding.id], -40);
    const keys = [oldOk.dedupeKey, oldFinding.dedupeKey];

    expect([...(await log.findByDedupeKeys(keys)).keys()].sort()).toEqual([...keys].sort());
    const bounded = await log.findByDedupeKeys(keys, { recordsSince: daysFromNow(-2) });
    expect([...bounded.keys()]).toEqual([oldFinding.dedupeKey]);
    // The older days' partitions are not even read: PostgreSQL leaves them out of the plan.
    const plan = await dataSource.query<Array<Record<string, string>>>(
      `EXPLAIN SELECT * FROM sync_events
        WHERE dedupe_key = ANY($1::text[]) AND (tier = 'finding' OR created_day >= $2::date)`,
      [keys, partitionFor(RECORD_PARTITIONS, daysFromNow(-2)).from],
    );
    const text = plan.map((row) => Object.values(row).join(' ')).join('\n');
    expect(text).not.toContain(oldDay);
    expect(text).toContain(partitionFor(RECORD_PARTITIONS, new Date()).name);
  });

  it('replaces a failed check recorded on an earlier day by its real outcome, in place of it', async () => {
    const log = new SyncEventLog(dataSource);
    const runId = `r-${randomUUID()}`;
    const failed = await log.record(sampleCheckFailedFinding(runId));
    await moveToDay(FINDING_PARTITIONS, 'created_day', 'id = $1', [failed.event.id], -40);

    const [ok] = await log.recordMany([sampleOkFinding(runId)], {
      replaceable: SyncEventTypes.CheckFailed,
    });
    expect(ok).toMatchObject({ created: true, event: { id: failed.event.id, state: 'record' } });
    // The row moved to today's records partition: one row for the key, in the records' tier.
    expect(await partitionOf('sync_events', 'dedupe_key = $1', [failed.event.dedupeKey])).toEqual([
      partitionFor(RECORD_PARTITIONS, new Date()).name,
    ]);
    const counts = await new SyncEventQueries(dataSource).countByKind();
    expect(counts.find((c) => c.eventType === SyncEventTypes.CheckFailed)).toBeUndefined();
    expect(counts.find((c) => c.eventType === SyncEventTypes.Ok)).toMatchObject({ total: 1 });
  });

  it('claims an inbound event once: a redelivery meets its first claim in the partition of the day it occurred', async () => {
    const processed = new ProcessedInboundEvents(dataSource);
    const partitions = new StorePartitions(dataSource.manager);
    const threeDaysAgo = partitionFor(PROCESSED_EVENT_PARTITIONS, daysFromNow(-3));
    await partitions.create(PROCESSED_EVENT_PARTITIONS, threeDaysAgo);
    const late = {
      eventId: randomUUID(),
      topic: 'cappella.run.completed',
      occurredAt: daysFromNow(-3).getTime(),
    };
    const ancient = {
      eventId: randomUUID(),
      topic: 'cappella.run.completed',
      occurredAt: Date.UTC(2001, 0, 1),
    };
    const undated = { eventId: randomUUID(), topic: 'cappella.run.completed', occurredAt: 8.64e15 };

    for (const event of [late, ancient, undated]) {
      expect(await processed.claim('ingest', event)).toBe(true);
    }
    expect(await partitionOf('processed_inbound_events', 'event_id = $1', [late.eventId])).toEqual([
      threeDaysAgo.name,
    ]);
    expect(
      await partitionOf('processed_inbound_events', 'event_id = $1', [ancient.eventId]),
    ).toEqual(['processed_inbound_events_default']);
    // Redelivered (the same event, so the same occurred_at), in a batch with a new one.
    const fresh = {
      eventId: randomUUID(),
      topic: 'cappella.run.completed',
      occurredAt: Date.now(),
    };
    const claimed = await processed.claimMany('ingest', [late, ancient, undated, fresh]);
    expect([...claimed]).toEqual([fresh.eventId]);
    // Another consumer group claims for itself.
    expect(await processed.claim('checker', late)).toBe(true);
  });

  it('creates partitions ahead, moving rows written meanwhile to the default partition into theirs', async () => {
    const eventId = randomUUID();
    const inTenDays = daysFromNow(10);
    await dataSource.query(
      `INSERT INTO processed_inbound_events (consumer_group, event_id, topic, processed_at, processed_day)
       VALUES ('ingest', $1, 'cappella.run.completed', $2, $3)`,
      [eventId, inTenDays, partitionFor(PROCESSED_EVENT_PARTITIONS, inTenDays).from],
    );
    expect(await partitionOf('processed_inbound_events', 'event_id = $1', [eventId])).toEqual([
      'processed_inbound_events_default',
    ]);

    const report = await new StoreMaintenance(dataSource, TEST_RETENTION).runOnce(inTenDays);
    const expected = partitionFor(PROCESSED_EVENT_PARTITIONS, inTenDays).name;
    expect(report?.partitionsCreated).toContain(expected);
    expect(report?.partitionsCreated).toContain(partitionFor(RECORD_PARTITIONS, inTenDays).name);
    expect(await partitionOf('processed_inbound_events', 'event_id = $1', [eventId])).toEqual([
      expected,
    ]);
  });

  it('drops whole partitions past retention, and never one an open finding, a repair or the outbox needs', async () => {
    const log = new SyncEventLog(dataSource);
    const jobs = new RepairJobStore(dataSource);
    const partitions = new StorePartitions(dataSource.manager);
    const maintenance = new StoreMaintenance(dataSource, TEST_RETENTION);

    const ok = (await log.record(sampleOkFinding(`r-${randomUUID()}`))).event;
    const owed = (await log.record(sampleOkFinding(`r-${randomUUID()}`, { publishes: true })))
      .event;
    const open = (await log.record(sampleMismatchFinding(`r-${randomUUID()}`))).event;
    const closed = (await log.record(sampleMismatchFinding(`r-${randomUUID()}`))).event;
    await log.resolveMany([closed.id], 'tester');
    const repaired = (
      await log.record(
        sampleMismatchFinding(`r-${randomUUID()}`, { repairStrategy: 'resubmit_run' }),
      )
    ).event;
    await jobs.createAnother([
      {
        syncEventId: repaired.id,
        mismatchType: 'missing_entity',
        strategy: 'resubmit_run',
        priority: 0,
        subjectKeys: [],
        findingCreatedAt: repaired.createdAt,
      },
    ]);
    await log.resolveMany([repaired.id], 'tester');
    const eventId = randomUUID();
    await new ProcessedInboundEvents(dataSource).claim('ingest', {
      eventId,
      topic: 'x',
      occurredAt: Date.now(),
    });

    const today = partitionFor(RECORD_PARTITIONS, new Date()).name;
    const thisMonth = partitionFor(FINDING_PARTITIONS, new Date()).name;
    const processedToday = partitionFor(PROCESSED_EVENT_PARTITIONS, new Date()).name;

    // A year on: every partition of today is past retention. The records' partition holds an
    // event the outbox still owes, the findings' an open finding and one under repair.
    const later = daysFromNow(365);
    const first = await maintenance.runOnce(later);
    expect(first?.partitionsDropped).toContain(processedToday);
    expect(first?.partitionsDropped).not.toContain(today);
    expect(first?.partitionsDropped).not.toContain(thisMonth);
    expect(first?.closedFindings).toBe(1);
    expect(await log.findById(closed.id)).toBeNull();
    expect(await log.findById(open.id)).not.toBeNull();
    expect(await log.findById(repaired.id)).not.toBeNull();
    expect(await log.findById(ok.id)).not.toBeNull();

    // Once the outbox has sent its event, the records' day goes whole.
    await log.markPublished([owed]);
    const second = await maintenance.runOnce(later);
    expect(second?.partitionsDropped).toEqual([today]);
    expect(await log.findById(ok.id)).toBeNull();
    expect(await partitions.existing(RECORD_PARTITIONS)).not.toContain(today);

    // Once the open finding is closed and the repair has finished, the month goes whole.
    await log.resolveMany([open.id], 'tester');
    await dataSource.query(`UPDATE repair_jobs SET state = 'DONE', finished_at = now()`);
    const third = await maintenance.runOnce(later);
    expect(third?.partitionsDropped).toEqual([thisMonth]);
    expect(await log.findById(open.id)).toBeNull();

    // What was counted stays counted: the rollup is history, not the rows.
    const counts = await new SyncEventQueries(dataSource).countByKind();
    expect(counts.find((c) => c.eventType === SyncEventTypes.Ok)).toMatchObject({
      total: 2,
      open: 0,
    });
    expect(counts.find((c) => c.eventType === SyncEventTypes.Mismatch)).toMatchObject({
      total: 3,
      open: 0,
    });
    // And recording goes on into the partitions kept ahead.
    expect((await log.record(sampleOkFinding(`r-${randomUUID()}`))).created).toBe(true);
  });

  it('records into the default partition when no partition exists yet, and never fails an insert', async () => {
    const partitions = new StorePartitions(dataSource.manager);
    const today = partitionFor(RECORD_PARTITIONS, new Date()).name;
    await partitions.drop(today);
    const log = new SyncEventLog(dataSource);
    const recorded = await log.record(sampleOkFinding(`r-${randomUUID()}`));
    expect(await partitionOf('sync_events', 'id = $1', [recorded.event.id])).toEqual([
      'sync_events_record_default',
    ]);
    // Maintenance creates today's partition again and moves the row into it.
    await new StoreMaintenance(dataSource, TEST_RETENTION).runOnce();
    expect(await partitionOf('sync_events', 'id = $1', [recorded.event.id])).toEqual([today]);
  });

  it('moves the rows of a store written before partitioning into partitions, and back on down', async () => {
    const log = new SyncEventLog(dataSource);
    const open = (await log.record(sampleMismatchFinding(`r-${randomUUID()}`))).event;
    const ok = (await log.record(sampleOkFinding(`r-${randomUUID()}`))).event;
    const claim = {
      eventId: randomUUID(),
      topic: 'cappella.run.completed',
      occurredAt: Date.now(),
    };
    const processed = new ProcessedInboundEvents(dataSource);
    await processed.claim('ingest', claim);
    // PGlite has one connection: while the runner holds it, ask through the runner.
    const runner = dataSource.createQueryRunner();
    const kindOf = async (table: string) =>
      (
        (await runner.query(`SELECT relkind FROM pg_class WHERE relname = $1`, [table])) as Array<{
          relkind: string;
        }>
      )[0]?.relkind;

    const migration = new TimePartitions1765300000000();
    try {
      await migration.down(runner);
      expect(await kindOf('sync_events')).toBe('r');
      expect(await kindOf('processed_inbound_events')).toBe('r');
      await migration.up(runner);
      expect(await kindOf('sync_events')).toBe('p');
    } finally {
      await runner.release();
    }

    expect(await partitionOf('sync_events', 'id = $1', [open.id])).toEqual([
      partitionFor(FINDING_PARTITIONS, open.createdAt).name,
    ]);
    expect(await partitionOf('sync_events', 'id = $1', [ok.id])).toEqual([
      partitionFor(RECORD_PARTITIONS, ok.createdAt).name,
    ]);
    expect(await log.findById(open.id)).toMatchObject({ state: 'open', dedupeKey: open.dedupeKey });
    // The rollup is filled from the rows there were.
    const counts = await new SyncEventQueries(dataSource).countByKind();
    expect(counts.find((c) => c.eventType === SyncEventTypes.Mismatch)).toMatchObject({
      total: 1,
      open: 1,
    });
    expect(await processed.claim('ingest', claim)).toBe(false);
    expect((await log.record(sampleMismatchFinding(open.sourceId))).created).toBe(false);
  });

  it('puts a partition it cannot lock off to the next run, and goes on with the rest of the run', async () => {
    const partitions = new StorePartitions(dataSource.manager);
    const old = partitionFor(RECORD_PARTITIONS, daysFromNow(-20));
    await partitions.create(RECORD_PARTITIONS, old);
    const maintenance = new StoreMaintenance(dataSource, TEST_RETENTION);
    if (!url) {
      // PGlite is one process with one connection: nobody else can hold a lock on it.
      expect((await maintenance.runOnce())?.partitionsDropped).toContain(old.name);
      return;
    }
    const reader = new Client({ connectionString: url });
    await reader.connect();
    try {
      // A long reader of the old day: dropping it must wait for its lock, and gives up.
      await reader.query('BEGIN');
      await reader.query(`LOCK TABLE "${old.name}" IN ACCESS SHARE MODE`);
      const blocked = await maintenance.runOnce();
      expect(blocked?.partitionsDeferred.map((d) => d.name)).toEqual([old.name]);
      expect(blocked?.partitionsDeferred[0].reason).toMatch(/lock timeout/);
      expect(blocked?.partitionsDropped).not.toContain(old.name);
      await reader.query('ROLLBACK');
      const next = await maintenance.runOnce();
      expect(next?.partitionsDropped).toEqual([old.name]);
      expect(next?.partitionsDeferred).toEqual([]);
    } finally {
      await reader.end();
    }
  });
});
