/**
 * The store's migrations on both engines it supports: real PostgreSQL and embedded PGlite.
 * Each gets an empty database, the migrations apply, the sync event log accepts and
 * de-duplicates findings, and the audit log appends, settles and pages the same on both.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { InvalidRecordError } from '@bridge/errors';
import {
  FindingOperatorActions,
  SyncEventQueries,
  AuditLog,
  CheckLeases,
  ProcessedInboundEvents,
  SyncEventLog,
  SyncEventTypes,
  createDataSource,
  migrateStore,
  type AuditPosition,
} from '@bridge/store';
import {
  sampleCheckFailedFinding,
  sampleMismatchFinding,
  sampleOkFinding,
  sampleStaleCacheFinding,
} from '@bridge/store/testing';
import { MIGRATIONS } from '../src/migrations';
import { FindingStates1764800000000 } from '../src/migrations/1764800000000-finding-states';
import { STORE_ENGINES } from './store-engines';

const claimOf = (eventId: string) => ({
  eventId,
  topic: 'cappella.run.completed',
  occurredAt: Date.now(),
});

describe.each(STORE_ENGINES)('store on %s', (_engine, provision) => {
  let dataSource: DataSource;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const provisioned = await provision();
    cleanup = provisioned.cleanup;
    dataSource = createDataSource(provisioned.store);
    await dataSource.initialize();
  });

  afterAll(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await cleanup();
  });

  it('applies every migration to an empty database, and a second run finds nothing to do', async () => {
    expect(await migrateStore(dataSource)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await migrateStore(dataSource)).toEqual([]);
    const tables = await dataSource.query<Array<{ table_name: string }>>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['bridge_migrations', 'processed_inbound_events', 'sync_events']),
    );
  });

  it('has entities that agree with the migrations: generating a migration now would yield nothing', async () => {
    // What `npm run migration:generate` computes: the SQL that would bring the schema to the
    // entities. Empty means no entity change lacks its migration, and no migration drifted.
    await migrateStore(dataSource);
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('has an entity for every table the migrations create, so the agreement above covers them all', async () => {
    // The schema builder compares only the tables that entities name: a table without an entity
    // could drift unseen. Partitions belong to their parent's entity; TypeORM owns its own table.
    await migrateStore(dataSource);
    const tables = await dataSource.query<Array<{ table_name: string }>>(
      `SELECT t.table_name FROM information_schema.tables t
         JOIN pg_namespace n ON n.nspname = t.table_schema
         JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
        WHERE t.table_schema = 'public' AND t.table_name <> 'bridge_migrations'
          AND NOT c.relispartition
        ORDER BY t.table_name`,
    );
    const mapped = new Set(dataSource.entityMetadatas.map((metadata) => metadata.tableName));
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.map((t) => t.table_name).filter((table) => !mapped.has(table))).toEqual([]);
  });

  it('records a finding once however often it is recorded', async () => {
    const log = new SyncEventLog(dataSource);
    const runId = `run-${randomUUID()}`;
    const finding = sampleMismatchFinding(runId, {
      actor: 'alice',
      missing: [{ entity_type: 'sample', external_id: 'S-2' }],
    });
    const first = await log.record(finding);
    const second = await log.record({ ...finding, actor: 'someone-else' });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.event.id).toBe(first.event.id);
    expect(second.event.actor).toBe('alice');

    const stored = await log.findById(first.event.id);
    expect(stored).toMatchObject({
      eventType: 'bridge.sync.mismatch',
      source: 'cappella',
      sourceId: runId,
      resolved: false,
      resolvedAt: null,
      mismatchType: 'missing_entity',
      repairStrategy: 'alert_only',
      details: finding.details,
    });
    expect(stored?.createdAt).toBeInstanceOf(Date);
    const [{ count }] = await dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM sync_events WHERE dedupe_key = $1`,
      [finding.dedupeKey],
    );
    expect(count).toBe(1);
  });

  it('records a batch with one insert, reporting which entries were new', async () => {
    const log = new SyncEventLog(dataSource);
    const key = (n: number) => `batch:${randomUUID()}:${n}`;
    const existing = await log.record(sampleOkFinding('r0', { dedupeKey: key(0) }));
    const fresh = key(1);
    const results = await log.recordMany([
      sampleOkFinding('r0', { dedupeKey: existing.event.dedupeKey }),
      sampleOkFinding('r1', { dedupeKey: fresh }),
      sampleOkFinding('r1', { dedupeKey: fresh }),
    ]);
    expect(results.map((r) => r.created)).toEqual([false, true, false]);
    expect(results[1].event.id).toBe(results[2].event.id);
  });

  it('replaces a replaceable row with a real finding, keeping its id, and nothing else', async () => {
    const log = new SyncEventLog(dataSource);
    const dedupeKey = `post_run:${randomUUID()}`;
    const failed = await log.record(sampleCheckFailedFinding('r-requeued', { dedupeKey }));
    const options = { replaceable: SyncEventTypes.CheckFailed };
    const [failedAgain] = await log.recordMany(
      [sampleCheckFailedFinding('r-requeued', { dedupeKey })],
      options,
    );
    expect(failedAgain.created).toBe(false);
    const [ok] = await log.recordMany(
      [sampleOkFinding('r-requeued', { dedupeKey, publishes: true })],
      options,
    );
    expect(ok).toMatchObject({
      created: true,
      event: { id: failed.event.id, eventType: 'bridge.sync.ok' },
    });
    expect(ok.event.outboundEventId).not.toBeNull();
    const [okAgain] = await log.recordMany(
      [sampleMismatchFinding('r-requeued', { dedupeKey })],
      options,
    );
    expect(okAgain).toMatchObject({ created: false, event: { eventType: 'bridge.sync.ok' } });
  });

  it('refuses a resolved row without a resolution time', async () => {
    await expect(
      dataSource.query(
        `INSERT INTO sync_events (id, event_type, source, source_id, dedupe_key, resolved, state, tier, created_day)
         VALUES ($1, 'x', 'y', 'z', $2, true, 'resolved', 'finding', current_date)`,
        [randomUUID(), `bad:${randomUUID()}`],
      ),
    ).rejects.toThrow(/ck_sync_events_resolution/);
  });

  it('keeps findings open until closed and records never open, and holds the state to resolved', async () => {
    const log = new SyncEventLog(dataSource);
    const ok = (await log.record(sampleOkFinding(`r-state-${randomUUID()}`))).event;
    const mismatch = (await log.record(sampleMismatchFinding(`r-state-${randomUUID()}`))).event;
    expect(ok.state).toBe('record');
    expect(mismatch.state).toBe('open');
    const open = await new SyncEventQueries(dataSource).page({ status: 'unresolved', limit: 500 });
    expect(open.items.every((item) => item.state === 'open')).toBe(true);
    expect(open.items.map((item) => item.id)).toContain(mismatch.id);
    expect(open.items.map((item) => item.id)).not.toContain(ok.id);
    await expect(
      new FindingOperatorActions(dataSource).resolveByOperator(ok.id, 'alice', null),
    ).rejects.toThrow(/is a record \(bridge.sync.ok\), not a finding/);
    const resolved = await new FindingOperatorActions(dataSource).resolveByOperator(
      mismatch.id,
      'alice',
      null,
    );
    expect(resolved).toMatchObject({ state: 'resolved', resolved: true, resolutionNote: null });
    await expect(
      dataSource.query(`UPDATE sync_events SET state = 'open' WHERE id = $1`, [mismatch.id]),
    ).rejects.toThrow(/ck_sync_events_state/);
  });

  it('migrates existing rows: findings open or resolved by their flag, everything else a record', async () => {
    const runner = dataSource.createQueryRunner();
    const migration = new FindingStates1764800000000();
    const ok = (await new SyncEventLog(dataSource).record(sampleOkFinding(`r-mig-${randomUUID()}`)))
      .event;
    const finding = (
      await new SyncEventLog(dataSource).record(sampleMismatchFinding(`r-mig-${randomUUID()}`))
    ).event;
    try {
      await migration.down(runner);
      // As rows stood before states: an ok resolved by hand, a mismatch resolved by a repair.
      await runner.query(
        `UPDATE sync_events SET resolved = true, resolved_at = now() WHERE id = ANY($1::uuid[])`,
        [[ok.id, finding.id]],
      );
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const log = new SyncEventLog(dataSource);
    expect(await log.findById(ok.id)).toMatchObject({ state: 'record', resolved: false });
    expect(await log.findById(finding.id)).toMatchObject({ state: 'resolved', resolved: true });
  });

  it('gives a check lease to one holder at a time, and to another once it expires', async () => {
    const leases = new CheckLeases(dataSource);
    const [a, b] = [`post_run:${randomUUID()}`, `post_run:${randomUUID()}`];
    expect(await leases.acquire([a, b], 'first', 60_000)).toEqual(new Set([a, b]));
    expect(await leases.acquire([a, b], 'second', 60_000)).toEqual(new Set());
    expect(await leases.acquire([a], 'first', 60_000)).toEqual(new Set([a]));
    await leases.release([b], 'first');
    expect(await leases.acquire([b], 'second', 1)).toEqual(new Set([b]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await leases.acquire([b], 'third', 60_000)).toEqual(new Set([b]));
  });

  it('keeps the outbound event id of a finding and marks it published once', async () => {
    const log = new SyncEventLog(dataSource);
    const quoted = sampleOkFinding('r-outbox', {
      dedupeKey: `post_run:${randomUUID()}`,
      publishes: true,
    });
    quoted.details.pipeline_id = 'it\'s "quoted"';
    const { event } = await log.record(quoted);
    expect(event.outboundEventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.publishedAt).toBeNull();
    expect(event.details).toEqual(quoted.details);
    await log.markPublished([event]);
    const [again] = await log.recordMany([
      sampleOkFinding('r-outbox', { dedupeKey: event.dedupeKey }),
    ]);
    expect(again.created).toBe(false);
    expect(again.event.outboundEventId).toBe(event.outboundEventId);
    expect(again.event.publishedAt).toBeInstanceOf(Date);
  });

  it('refuses to read a row whose details do not fit its kind, naming the row and the field', async () => {
    const log = new SyncEventLog(dataSource);
    const { event } = await log.record(sampleOkFinding(`r-${randomUUID()}`));
    await dataSource.query(
      `UPDATE sync_events SET details = details - 'checked_count' WHERE id = $1`,
      [event.id],
    );
    const read = log.findById(event.id);
    await expect(read).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(log.findById(event.id)).rejects.toThrow(
      new RegExp(`${event.id} \\(bridge\\.sync\\.ok\\).*checked_count`, 's'),
    );
  });

  it('finds open stale caches by artifact and settles one only through its own kind', async () => {
    const log = new SyncEventLog(dataSource);
    const artifact = `art-${randomUUID()}`;
    const mismatch = await log.record(sampleMismatchFinding(`r-${randomUUID()}`));
    const { event: stale } = await log.record(
      sampleStaleCacheFinding({
        artifactIds: [artifact, `${artifact}-2`],
        entities: [{ entity_type: 'sample', external_id: 'S-1' }],
        repairStrategy: 'evict_immediately',
      }),
    );
    const open = await log.findOpenStaleCaches([artifact, 'unrelated']);
    expect(open.map((row) => row.id)).toEqual([stale.id]);
    expect(open[0].details.artifact_ids).toContain(artifact);

    // A stale cache's details cannot be written over a row of another kind.
    const details = { ...open[0].details, evicted_artifact_ids: [artifact] };
    expect(
      await log.updateDetails(mismatch.event.id, SyncEventTypes.StaleCache, details, null),
    ).toBe(false);
    expect(await log.updateDetails(stale.id, SyncEventTypes.StaleCache, details, null)).toBe(true);
    expect(
      await log.updateDetails(stale.id, SyncEventTypes.StaleCache, details, {
        as: 'resolved',
        by: 'canon',
      }),
    ).toBe(true);
    expect(await log.findById(stale.id)).toMatchObject({
      resolved: true,
      resolvedBy: 'canon',
      details: { evicted_artifact_ids: [artifact] },
    });
    expect(await log.findOpenStaleCaches([artifact])).toEqual([]);
    expect(await log.updateDetails(stale.id, SyncEventTypes.StaleCache, details, null)).toBe(false);
  });

  it('claims due re-checks once, schedules the next, and closes healed findings once', async () => {
    const log = new SyncEventLog(dataSource);
    const due = await log.record(sampleMismatchFinding(`recheck-${randomUUID()}`));
    const record = await log.record(sampleOkFinding(`recheck-ok-${randomUUID()}`));
    // Recorded a moment ago: not due with a one-hour first step, due with a zero one.
    const claim = { limit: 1_000, leaseMs: 60_000 };
    const claimedIds = async (firstDelayMs: number | null) =>
      (await log.claimDueRechecks({ ...claim, firstDelayMs })).map((row) => row.id);
    expect(await claimedIds(3_600_000)).not.toContain(due.event.id);
    expect(await claimedIds(null)).not.toContain(due.event.id);
    expect(await claimedIds(0)).toContain(due.event.id);
    // Claimed: due again only after the lease, so a second claim skips it; records never are.
    const again = await claimedIds(0);
    expect(again).not.toContain(due.event.id);
    expect(again).not.toContain(record.event.id);

    await log.recordRechecks([{ id: due.event.id, nextInMs: null, counted: true }]);
    expect(await log.findById(due.event.id)).toMatchObject({
      state: 'open',
      recheckCount: 1,
      nextRecheckAt: null,
    });
    // Past the schedule it is due only when made so (a scan, an operator).
    expect(await claimedIds(0)).not.toContain(due.event.id);
    expect(await log.makeRechecksDue({ ids: [due.event.id] })).toBe(1);
    expect(await claimedIds(0)).toContain(due.event.id);

    const healed = await log.closeAsHealed([{ id: due.event.id, reason: 'Hippo has it now' }]);
    expect(healed.map((row) => row.id)).toEqual([due.event.id]);
    expect(healed[0]).toMatchObject({
      state: 'healed',
      resolved: true,
      resolvedBy: 'bridge',
      resolutionNote: 'Hippo has it now',
      recheckCount: 2,
    });
    expect(await log.closeAsHealed([{ id: due.event.id, reason: 'again' }])).toEqual([]);
    expect(await log.makeRechecksDue({ ids: [due.event.id, record.event.id] })).toBe(0);
  });

  it('claims an inbound event once per consumer group', async () => {
    const processed = new ProcessedInboundEvents(dataSource);
    const eventId = randomUUID();
    expect(await processed.claim('ingest', claimOf(eventId))).toBe(true);
    expect(await processed.claim('ingest', claimOf(eventId))).toBe(false);
    expect(await processed.claim('audit', claimOf(eventId))).toBe(true);
  });

  it('appends audit entries, settles a pending one once, and pages them newest first', async () => {
    const audit = new AuditLog(dataSource);
    const actor = `auditor-${randomUUID().slice(0, 8)}`;
    const entry = (action: string, objectId: string | null) => ({
      actor,
      role: 'admin',
      action,
      objectType: 'repair_job',
      objectId,
      reason: null,
      clientAddress: '127.0.0.1',
      outcome: 'pending',
      details: { filter: { status: 'pending' } },
    });
    const job = randomUUID();
    const first = await audit.append(entry('approve', job));
    const second = await audit.append({ ...entry('reject', job), reason: 'it\'s "done"' });
    const third = await audit.append({ ...entry('requeue_many', null), outcome: 'ok' });
    expect(first.at).toBeInstanceOf(Date);
    await audit.settle(first.id, { outcome: 'ok', objectId: job, details: { count: 2 } });
    // Settled once: a second settlement, or one of an entry that never was pending, is refused.
    await expect(
      audit.settle(first.id, { outcome: 'forbidden', objectId: null, details: {} }),
    ).rejects.toThrow(/no pending audit entry/);
    await expect(
      audit.settle(third.id, { outcome: 'forbidden', objectId: null, details: {} }),
    ).rejects.toThrow(/no pending audit entry/);

    const all = await audit.page({ actor }, null, 10);
    expect(all.items.map((item) => item.id)).toEqual([third.id, second.id, first.id]);
    expect(all.next).toBeNull();
    expect(all.items[2]).toMatchObject({ outcome: 'ok', objectId: job, details: { count: 2 } });
    expect(all.items[1]).toMatchObject({
      reason: 'it\'s "done"',
      details: { filter: { status: 'pending' } },
    });

    const seen: string[] = [];
    let after: AuditPosition | null = null;
    do {
      const page = await audit.page({ actor }, after, 1);
      seen.push(...page.items.map((item) => item.id));
      after = page.next;
    } while (after);
    expect(seen).toEqual([third.id, second.id, first.id]);

    const byObject = await audit.page({ objectType: 'repair_job', objectId: job }, null, 10);
    expect(byObject.items.map((item) => item.id)).toEqual([second.id, first.id]);
    expect((await audit.page({ actor, action: 'reject' }, null, 10)).items).toHaveLength(1);
    const later = new Date(Date.now() + 60_000);
    expect((await audit.page({ actor, since: later }, null, 10)).items).toEqual([]);
    expect((await audit.page({ actor, until: later }, null, 10)).items).toHaveLength(3);
  });
});
