/**
 * Store maintenance on both engines the store supports (real PostgreSQL and embedded PGlite):
 * rows past their retention go, kind by kind, and nothing that something active needs is ever
 * pruned (the finished repairs of an open finding, the scans the cursors and the next scan's
 * mode build on, active scans and repairs, recent rows). On PostgreSQL, one process at a time.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import {
  createDataSource,
  migrateStore,
  RepairJobStore,
  STORE_MAINTENANCE_LOCK,
  StoreMaintenance,
  SyncEventLog,
} from '@bridge/store';
import { sampleMismatchFinding } from '@bridge/store/testing';
import { STORE_ENGINES, TEST_RETENTION } from './store-engines';

describe.each(STORE_ENGINES)('store maintenance on %s', (engine, provision) => {
  let dataSource: DataSource;
  let url: string | undefined;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const provisioned = await provision();
    cleanup = provisioned.cleanup;
    url = provisioned.url;
    dataSource = createDataSource(provisioned.store);
    await dataSource.initialize();
    await migrateStore(dataSource);
  });

  afterAll(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await cleanup();
  });

  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
  const exists = async (table: string, column: string, value: string) =>
    (await dataSource.query<unknown[]>(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [value]))
      .length > 0;

  it('deletes each kind past its retention and keeps what is recent or still needed', async () => {
    const log = new SyncEventLog(dataSource);
    const jobs = new RepairJobStore(dataSource);

    // Processed-event ids: 20 days old goes, 10 days old stays.
    const [oldEvent, newEvent] = [randomUUID(), randomUUID()];
    for (const [id, age] of [
      [oldEvent, 20],
      [newEvent, 10],
    ] as const) {
      // Older than any partition: these land in the default partition.
      await dataSource.query(
        `INSERT INTO processed_inbound_events (consumer_group, event_id, topic, processed_at, processed_day)
         VALUES ('ingest', $1, 'cappella.run.completed', $2, $2::timestamptz::date)`,
        [id, daysAgo(age)],
      );
    }

    // Dead letters: requeued 40 and 10 days ago, pending for 100 and 10 days.
    const letter = async (recordedDays: number, requeuedDays: number | null) => {
      const id = randomUUID();
      await dataSource.query(
        `INSERT INTO dead_letters (id, occurred_at, source_topic, source_partition, source_offset,
                                   consumer_group, reason, failure_kind, attempts, recorded_at,
                                   requeued_at)
         VALUES ($1, $2, 'cappella.run.completed', 0, '1', 'ingest', 'bad', 'undecodable', 1, $2, $3)`,
        [id, daysAgo(recordedDays), requeuedDays === null ? null : daysAgo(requeuedDays)],
      );
      return id;
    };
    const letters = {
      requeuedLongAgo: await letter(50, 40),
      requeuedLately: await letter(50, 10),
      pendingLongAgo: await letter(100, null),
      pendingLately: await letter(10, null),
    };

    // Repairs: finished 100 days ago on a closed finding goes (its retry keeps going, its link
    // cleared); the same on an open finding stays; an old active job stays.
    const jobOf = async (runId: string, open: boolean, state: 'DONE' | 'PENDING') => {
      const finding = (
        await log.record(sampleMismatchFinding(runId, { repairStrategy: 'resubmit_run' }))
      ).event;
      if (!open) await log.resolveMany([finding.id], 'tester');
      const [job] = await jobs.createAnother([
        {
          syncEventId: finding.id,
          mismatchType: 'missing_entity',
          strategy: 'resubmit_run',
          priority: 0,
          subjectKeys: [`run:${runId}`],
          findingCreatedAt: finding.createdAt,
        },
      ]);
      if (state === 'DONE') {
        await dataSource.query(
          `UPDATE repair_jobs SET state = 'DONE', finished_at = $2 WHERE id = $1`,
          [job.id, daysAgo(100)],
        );
      }
      return { finding, job };
    };
    const closedDone = await jobOf(`run-closed-${randomUUID()}`, false, 'DONE');
    const [retry] = await jobs.createAnother([
      {
        syncEventId: closedDone.finding.id,
        mismatchType: 'missing_entity',
        strategy: 'resubmit_run',
        priority: 0,
        subjectKeys: [],
        findingCreatedAt: closedDone.finding.createdAt,
        retryOf: closedDone.job.id,
      },
    ]);
    const openDone = await jobOf(`run-open-${randomUUID()}`, true, 'DONE');
    const active = await jobOf(`run-active-${randomUUID()}`, true, 'PENDING');
    await dataSource.query(`UPDATE repair_jobs SET created_at = $2 WHERE id = $1`, [
      active.job.id,
      daysAgo(200),
    ]);

    // Scans: an old completed full scan with a finding link goes; the latest completed scan of
    // each mode and method and the one the cursors point at stay, however old (the latest full
    // scan by listing too, although a digest scan completed after it); an active scan stays.
    const scan = async (
      mode: 'full' | 'incremental',
      status: string,
      finishedDays: number | null,
      method: 'listing' | 'digest' = 'listing',
    ) => {
      const id = randomUUID();
      await dataSource.query(
        `INSERT INTO scans (id, trigger, mode, method, status, requested_at, finished_at)
         VALUES ($1, 'schedule', $2, $3, $4, $5, $6)`,
        [
          id,
          mode,
          method,
          status,
          daysAgo(finishedDays ?? 1),
          finishedDays === null ? null : daysAgo(finishedDays),
        ],
      );
      return id;
    };
    const scans = {
      oldFull: await scan('full', 'completed', 70),
      oldFailed: await scan('incremental', 'failed', 65),
      cursorOf: await scan('incremental', 'completed', 60),
      latestFull: await scan('full', 'completed', 50),
      latestIncremental: await scan('incremental', 'completed', 45),
      latestDigest: await scan('full', 'completed', 40, 'digest'),
      running: await scan('full', 'running', null),
    };
    await dataSource.query(`INSERT INTO scan_findings (scan_id, sync_event_id) VALUES ($1, $2)`, [
      scans.oldFull,
      openDone.finding.id,
    ]);
    await dataSource.query(
      `INSERT INTO scan_cursors (component, cursor, scan_id) VALUES ('cappella', 'c-1', $1)`,
      [scans.cursorOf],
    );

    // Audit: 500 days goes, 10 days stays.
    const audit = async (days: number) => {
      const id = randomUUID();
      await dataSource.query(
        `INSERT INTO audit_log (id, at, actor, role, action, object_type, outcome)
         VALUES ($1, $2, 'alice', 'admin', 'resolve', 'sync_event', 'ok')`,
        [id, daysAgo(days)],
      );
      return id;
    };
    const [oldAudit, newAudit] = [await audit(500), await audit(10)];

    const report = await new StoreMaintenance(dataSource, TEST_RETENTION).runOnce();
    expect(report).toMatchObject({
      processedEvents: 1,
      records: 0,
      closedFindings: 0,
      deadLetters: 2,
      repairJobs: 1,
      scans: 2,
      audit: 1,
      checkLeases: 0,
      partitionsDropped: [],
    });

    expect(await exists('processed_inbound_events', 'event_id', oldEvent)).toBe(false);
    expect(await exists('processed_inbound_events', 'event_id', newEvent)).toBe(true);
    expect(await exists('dead_letters', 'id', letters.requeuedLongAgo)).toBe(false);
    expect(await exists('dead_letters', 'id', letters.requeuedLately)).toBe(true);
    expect(await exists('dead_letters', 'id', letters.pendingLongAgo)).toBe(false);
    expect(await exists('dead_letters', 'id', letters.pendingLately)).toBe(true);
    expect(await jobs.findById(closedDone.job.id)).toBeNull();
    expect(await jobs.findById(retry.id)).toMatchObject({ retryOf: null });
    expect(await jobs.findById(openDone.job.id)).not.toBeNull();
    expect(await jobs.findById(active.job.id)).not.toBeNull();
    expect(await exists('scans', 'id', scans.oldFull)).toBe(false);
    expect(await exists('scan_findings', 'scan_id', scans.oldFull)).toBe(false);
    expect(await exists('scans', 'id', scans.oldFailed)).toBe(false);
    for (const kept of [
      scans.cursorOf,
      scans.latestFull,
      scans.latestIncremental,
      scans.latestDigest,
      scans.running,
    ]) {
      expect(await exists('scans', 'id', kept)).toBe(true);
    }
    expect(await exists('audit_log', 'id', oldAudit)).toBe(false);
    expect(await exists('audit_log', 'id', newAudit)).toBe(true);
    // The findings themselves are not store maintenance's to delete.
    expect(await log.findById(closedDone.finding.id)).not.toBeNull();

    // A second run finds nothing more to do.
    expect(await new StoreMaintenance(dataSource, TEST_RETENTION).runOnce()).toEqual({
      partitionsCreated: [],
      partitionsDropped: [],
      partitionsDeferred: [],
      processedEvents: 0,
      records: 0,
      closedFindings: 0,
      deadLetters: 0,
      repairJobs: 0,
      scans: 0,
      audit: 0,
      checkLeases: 0,
      counts: 0,
    });
  });

  it('runs in one process at a time: a run finding the lock taken does nothing', async () => {
    if (!url) {
      // PGlite is one process with one connection: there is nobody else to exclude.
      expect(engine).toBe('PGlite');
      expect(await new StoreMaintenance(dataSource, TEST_RETENTION).runOnce()).not.toBeNull();
      return;
    }
    const other = new Client({ connectionString: url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock($1::bigint)`, [STORE_MAINTENANCE_LOCK]);
      expect(await new StoreMaintenance(dataSource, TEST_RETENTION).runOnce()).toBeNull();
      await other.query(`SELECT pg_advisory_unlock($1::bigint)`, [STORE_MAINTENANCE_LOCK]);
      expect(await new StoreMaintenance(dataSource, TEST_RETENTION).runOnce()).not.toBeNull();
    } finally {
      await other.end();
    }
  });
});
