/**
 * The benchmark's store phase (`BENCH_ONLY=store`): the sync event log as it stands after a
 * month in production, and what triage and dashboards cost on it.
 *
 * It seeds a database of its own with BENCH_STORE_ROWS rows (default 20 million) over 30 days,
 * through the real migrations and partitions: 99.5% ok records, 0.5% mismatches (a tenth of them
 * open, a tenth found by scans), with repair jobs and audit entries on some findings. Then it
 * times, over repeated calls, the store reads behind every listing and dashboard of the API
 * (p50/p99), dropping one day's partition, and the store writes of the ingest and check path
 * (claiming inbound event ids and recording outcomes) on this store against an empty one with
 * the same partitions; and it reports table and index size per million rows.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type StoreConfig } from '@bridge/config';
import {
  SyncEventQueries,
  AuditLog,
  FINDING_PARTITIONS,
  ProcessedInboundEvents,
  RECORD_PARTITIONS,
  RepairJobStore,
  StorePartitions,
  SyncEventLog,
  createDataSource,
  migrateStore,
  partitionFor,
  type SyncEventPosition,
} from '@bridge/store';
import { sampleMismatchFinding, sampleOkFinding } from '@bridge/store/testing';
import { benchDatabase } from './bench-stack';

const DAY_MS = 86_400_000;
const DAYS = 30;
/** Calls per measured query (after WARMUP calls that are not counted). */
const CALLS = Number(process.env.BENCH_STORE_CALLS ?? 200);
const WARMUP = 10;
/** Rows per batch of the write measurement, as ingest and the checker write them. */
const WRITE_BATCH = 500;
const WRITE_BATCHES = 60;

export interface QueryTiming {
  name: string;
  p50Ms: number;
  p99Ms: number;
  /** Rows the call answered with (a sanity check that it read what it should). */
  rows: number;
}

export interface StoreBenchResult {
  rows: number;
  findings: number;
  openFindings: number;
  seedSeconds: number;
  listings: QueryTiming[];
  dashboards: QueryTiming[];
  dropPartitionMs: number;
  droppedPartitionRows: number;
  /** Rows per second claimed and recorded in batches of 500, on this store and on an empty one. */
  writesPerSecondLarge: number;
  writesPerSecondEmpty: number;
  /** Looking 500 new de-duplication keys up across every partition (p50), on each store. */
  keyLookupMsLarge: number;
  keyLookupMsEmpty: number;
  /** Partitions of the sync event log holding rows, in the large store. */
  partitions: number;
  tableBytesPerMillion: number;
  indexBytesPerMillion: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function time(name: string, call: () => Promise<number>): Promise<QueryTiming> {
  for (let i = 0; i < WARMUP; i += 1) await call();
  const samples: number[] = [];
  let rows = 0;
  for (let i = 0; i < CALLS; i += 1) {
    const start = performance.now();
    rows = await call();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    name,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    rows,
  };
}

/** The details of an ok row and of each mismatch type, as the checker writes them. */
function sampleDetails() {
  const ok = sampleOkFinding('bench-run').details;
  const mismatches = (['missing_entity', 'partial_output', 'dangling_reference'] as const).map(
    (type) => ({
      type,
      details: sampleMismatchFinding('bench-run', { mismatchType: type }).details,
    }),
  );
  return { ok, mismatches };
}

/** The partitions of the 30 days before `now`, as a store keeping records 30 days has them. */
async function createMonthOfPartitions(dataSource: DataSource, now: Date): Promise<void> {
  const partitions = new StorePartitions(dataSource.manager);
  const first = new Date(now.getTime() - DAYS * DAY_MS);
  for (let day = 0; day <= DAYS; day += 1) {
    const at = new Date(first.getTime() + day * DAY_MS);
    for (const table of [RECORD_PARTITIONS, FINDING_PARTITIONS]) {
      const range = partitionFor(table, at);
      if (!(await partitions.existing(table)).includes(range.name)) {
        await partitions.create(table, range);
      }
    }
  }
}

/**
 * Seeds `rows` rows over the 30 days before `now`, one INSERT per day. Row `i` is a mismatch
 * when `i % 200 = 0`, open when `i % 2000 = 0` and found by a scan when `i % 2000 = 1000`.
 */
async function seed(dataSource: DataSource, rows: number, now: Date): Promise<void> {
  await createMonthOfPartitions(dataSource, now);
  const first = new Date(now.getTime() - DAYS * DAY_MS);
  const { ok, mismatches } = sampleDetails();
  const perDay = Math.ceil(rows / DAYS);
  const scanIds = Array.from({ length: 10 }, () => randomUUID());
  for (let day = 0; day < DAYS; day += 1) {
    const start = new Date(first.getTime() + day * DAY_MS);
    const base = day * perDay;
    const count = Math.min(perDay, rows - base);
    const started = performance.now();
    await dataSource.query(
      `INSERT INTO sync_events (id, event_type, source, source_id, actor, details, resolved,
                                resolved_at, resolved_by, created_at, dedupe_key, mismatch_type,
                                repair_strategy, outbound_event_id, published_at, state, tier,
                                created_day, resolution_note)
       SELECT gen_random_uuid(),
              CASE WHEN finding THEN 'bridge.sync.mismatch' ELSE 'bridge.sync.ok' END,
              'cappella', 'bench-run-' || i, NULL,
              CASE WHEN NOT finding THEN jsonb_set($4::jsonb, '{run_id}', to_jsonb('bench-run-' || i))
                   WHEN i % 2000 = 1000 THEN jsonb_set(jsonb_set($5::jsonb, '{run_id}', to_jsonb('bench-run-' || i)),
                                                       '{scan_id}', to_jsonb(($8::text[])[1 + (i / 2000) % 10]))
                   ELSE jsonb_set((ARRAY[$5::jsonb, $6::jsonb, $7::jsonb])[1 + (i / 200) % 3], '{run_id}',
                                  to_jsonb('bench-run-' || i)) END,
              finding AND NOT open,
              CASE WHEN finding AND NOT open THEN at + interval '1 hour' END,
              CASE WHEN finding AND NOT open THEN 'bench' END,
              at,
              'post_run:bench-run-' || i,
              CASE WHEN finding AND i % 2000 = 1000 THEN $9
                   WHEN finding THEN ($10::text[])[1 + (i / 200) % 3] END,
              CASE WHEN finding THEN 'alert_only' END,
              gen_random_uuid(), at,
              CASE WHEN NOT finding THEN 'record' WHEN open THEN 'open'
                   WHEN i % 400 = 200 THEN 'healed' ELSE 'resolved' END,
              CASE WHEN finding THEN 'finding' ELSE 'record' END,
              (at AT TIME ZONE 'UTC')::date,
              NULL
         FROM generate_series($1::bigint, $1::bigint + $2::bigint - 1) AS i,
              LATERAL (SELECT i % 200 = 0 AS finding, i % 2000 = 0 AS open,
                              $3::timestamptz + (i - $1) * (interval '1 millisecond' * ($11::double precision / $2::double precision)) AS at) AS r`,
      [
        base,
        count,
        start,
        JSON.stringify(ok),
        JSON.stringify(mismatches[0].details),
        JSON.stringify(mismatches[1].details),
        JSON.stringify(mismatches[2].details),
        scanIds,
        'missing_entity',
        mismatches.map((m) => m.type),
        DAY_MS,
      ],
    );
    console.log(
      `[bench:store] day ${day + 1}/${DAYS}: ${count.toLocaleString('en')} rows in ${Math.round(performance.now() - started)} ms`,
    );
  }
  await dataSource.query(
    `INSERT INTO sync_event_counts (hour, event_type, mismatch_type, shard, total)
     SELECT date_trunc('hour', created_at, 'UTC'), event_type, COALESCE(mismatch_type, ''), 0, count(*)
       FROM sync_events GROUP BY 1, 2, 3`,
  );
  // As a month-old table stands: vacuumed and analysed, its writes checkpointed.
  await dataSource.query(`VACUUM (ANALYZE)`);
  await dataSource.query(`CHECKPOINT`);
}

/** Repair jobs and audit entries on the open findings, for the history and the counts. */
async function seedRepairs(dataSource: DataSource): Promise<string> {
  const jobs = new RepairJobStore(dataSource);
  const audit = new AuditLog(dataSource);
  const open = await new SyncEventQueries(dataSource).openFindings({}, 200);
  for (const finding of open.items) {
    const [job] = await jobs.createAnother([
      {
        syncEventId: finding.id,
        mismatchType: 'missing_entity',
        strategy: 'resubmit_run',
        priority: 0,
        subjectKeys: [`run:${finding.sourceId}`],
        findingCreatedAt: finding.createdAt,
      },
    ]);
    for (const [objectType, objectId] of [
      ['sync_event', finding.id],
      ['repair_job', job.id],
    ]) {
      await audit.append({
        actor: 'bench',
        role: 'admin',
        action: 'recheck',
        objectType,
        objectId,
        reason: null,
        clientAddress: null,
        outcome: 'ok',
        details: {},
      });
    }
  }
  return open.items[0].id;
}

/** How far back the checker looks records up for a batch of fresh work (`recordLookupSince`). */
const checkerBound = () => new Date(Date.now() - DAY_MS);

/** The p50 of looking 500 keys nobody recorded up, as the checker does for each batch. */
async function keyLookupMs(dataSource: DataSource): Promise<number> {
  const log = new SyncEventLog(dataSource);
  const timing = await time('key look-up', async () => {
    const keys = Array.from({ length: WRITE_BATCH }, () => `post_run:bench-lookup-${randomUUID()}`);
    return (await log.findByDedupeKeys(keys, { recordsSince: checkerBound() })).size;
  });
  return timing.p50Ms;
}

/**
 * Rows per second through the store writes of the ingest and check path, batch after batch, as
 * the services make them: ingest claims the events' ids; the checker looks its check keys up
 * (twice: before and after leasing them), records the outcomes and marks their outbound
 * events sent.
 */
async function writeRate(dataSource: DataSource): Promise<number> {
  const log = new SyncEventLog(dataSource);
  const processed = new ProcessedInboundEvents(dataSource);
  let started = performance.now();
  // The first batches warm the connection's caches and are not counted.
  for (let batch = -WARMUP; batch < WRITE_BATCHES; batch += 1) {
    if (batch === 0) started = performance.now();
    const ids = Array.from({ length: WRITE_BATCH }, () => randomUUID());
    await processed.claimMany(
      'bench-ingest',
      ids.map((eventId) => ({ eventId, topic: 'cappella.run.completed', occurredAt: Date.now() })),
    );
    const entries = ids.map((id) => sampleOkFinding(`bench-write-${id}`, { publishes: true }));
    // The checker looks its keys up before it leases them and again once it holds them.
    const keys = entries.map((e) => e.dedupeKey);
    await log.findByDedupeKeys(keys, { recordsSince: checkerBound() });
    const existing = await log.findByDedupeKeys(keys, { recordsSince: checkerBound() });
    const recorded = await log.recordMany(entries, { existing });
    await log.markPublished(recorded.map((r) => r.event));
  }
  return Math.round((WRITE_BATCH * WRITE_BATCHES) / ((performance.now() - started) / 1000));
}

async function withStore<T>(
  stack: Record<string, string>,
  name: string,
  use: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const db = await benchDatabase(stack, name);
  const store: StoreConfig = { kind: 'postgres', url: db.url.toString() };
  const dataSource = createDataSource(store);
  await dataSource.initialize();
  try {
    await migrateStore(dataSource);
    return await use(dataSource);
  } finally {
    await dataSource.destroy();
    if (process.env.BENCH_KEEP_STORE_DB !== '1') await db.drop();
  }
}

export async function storePhase(stack: Record<string, string>): Promise<StoreBenchResult> {
  const rows = Number(process.env.BENCH_STORE_ROWS ?? 20_000_000);
  const stamp = Date.now().toString(36);
  // The empty store has the same partitions, analysed like the large one's, and the two are
  // measured in turns (the better of two each), so that the comparison is of the rows
  // underneath and not of which ran first.
  return withStore(stack, `bridge_bench_store_empty_${stamp}`, async (emptyStore) => {
    await createMonthOfPartitions(emptyStore, new Date());
    await emptyStore.query(`VACUUM (ANALYZE)`);
    return withStore(stack, `bridge_bench_store_${stamp}`, async (dataSource) =>
      measureStore(dataSource, emptyStore, rows),
    );
  });
}

async function measureStore(
  dataSource: DataSource,
  emptyStore: DataSource,
  rows: number,
): Promise<StoreBenchResult> {
  const now = new Date();
  const seedStarted = performance.now();
  await seed(dataSource, rows, now);
  const findingId = await seedRepairs(dataSource);
  const seedSeconds = Math.round((performance.now() - seedStarted) / 1000);
  const log = new SyncEventLog(dataSource);
  const queries = new SyncEventQueries(dataSource);
  const jobs = new RepairJobStore(dataSource);
  const audit = new AuditLog(dataSource);

  // A position 25 days deep into the newest-first listing of everything.
  const [deep] = await dataSource.query<Array<{ created_at: string; id: string }>>(
    `SELECT created_at::text AS created_at, id FROM sync_events
        WHERE created_at < $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
    [new Date(now.getTime() - 25 * DAY_MS)],
  );
  const deepPosition: SyncEventPosition = { createdAt: deep.created_at, id: deep.id };
  const [scanId] = (
    await dataSource.query<Array<{ scan_id: string }>>(
      `SELECT details ->> 'scan_id' AS scan_id FROM sync_events
          WHERE tier = 'finding' AND details ? 'scan_id' LIMIT 1`,
    )
  ).map((row) => row.scan_id);
  const page = (query: Partial<Parameters<SyncEventQueries['page']>[0]>) => async () =>
    (await queries.page({ status: 'all', limit: 50, ...query })).items.length;
  const day = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY_MS);

  const listings = [
    await time('open findings, first page', page({ status: 'unresolved' })),
    await time('open findings, second page', async () => {
      const first = await queries.page({ status: 'unresolved', limit: 50 });
      return (await queries.page({ status: 'unresolved', limit: 50, after: first.next })).items
        .length;
    }),
    await time('everything, first page', page({})),
    await time('everything, deep cursor page (25 days back)', page({ after: deepPosition })),
    await time('closed findings', page({ status: 'resolved' })),
    await time('snoozed findings', page({ status: 'snoozed' })),
    await time('by event type (mismatch)', page({ eventType: 'bridge.sync.mismatch' })),
    await time(
      'by event type (ok), deep',
      page({ eventType: 'bridge.sync.ok', after: deepPosition }),
    ),
    await time('by mismatch type', page({ mismatchType: 'partial_output' })),
    await time('by source', page({ source: 'cappella' })),
    await time('by source id', page({ sourceId: 'bench-run-123456' })),
    await time('by scan', page({ scanId })),
    await time(
      'by time window (one hour, 10 days ago)',
      page({ since: day(10), until: new Date(day(10).getTime() + 3_600_000) }),
    ),
    await time(
      'open findings of one mismatch type',
      page({ status: 'unresolved', mismatchType: 'missing_entity' }),
    ),
    await time('a finding by id', async () => ((await log.findById(findingId)) ? 1 : 0)),
    await time("a finding's history", async () => {
      const event = await log.findById(findingId);
      const findingJobs = await jobs.listBySyncEventId(findingId);
      const entries = await Promise.all(
        [
          { objectType: 'sync_event', objectId: findingId },
          ...findingJobs.map((job) => ({ objectType: 'repair_job', objectId: job.id })),
        ].map(async (filter) => (await audit.page(filter, null, 100)).items.length),
      );
      return (event ? 1 : 0) + findingJobs.length + entries.reduce((a, b) => a + b, 0);
    }),
  ];
  const dashboards = [
    await time('counts by kind (status line)', async () => (await queries.countByKind()).length),
    await time(
      'findings per hour, last 24 h',
      async () => (await queries.countsPerHour(day(1), now)).length,
    ),
    await time(
      'findings per hour, last 31 days',
      async () => (await queries.countsPerHour(day(31), now)).length,
    ),
    await time(
      'open mismatches by type and source',
      async () => (await queries.openMismatches()).length,
    ),
    await time('repair jobs by state', async () => Object.keys(await jobs.countByState()).length),
    await time('outbox backlog', async () => log.countOwed()),
  ];

  const [sizes] = await dataSource.query<Array<{ table_bytes: string; index_bytes: string }>>(
    `SELECT sum(pg_table_size(c.oid)) AS table_bytes, sum(pg_indexes_size(c.oid)) AS index_bytes
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE c.relkind = 'r' AND c.relname LIKE 'sync_events_%'`,
  );
  const millions = rows / 1_000_000;

  const rates = { empty: [] as number[], large: [] as number[] };
  const lookups = { empty: [] as number[], large: [] as number[] };
  for (let turn = 0; turn < 2; turn += 1) {
    rates.empty.push(await writeRate(emptyStore));
    lookups.empty.push(await keyLookupMs(emptyStore));
    rates.large.push(await writeRate(dataSource));
    lookups.large.push(await keyLookupMs(dataSource));
  }
  const empty = { rate: Math.max(...rates.empty), lookup: Math.min(...lookups.empty) };
  const writesPerSecondLarge = Math.max(...rates.large);
  const keyLookupMsLarge = Math.min(...lookups.large);
  const [{ partitions }] = await dataSource.query<Array<{ partitions: string }>>(
    `SELECT count(*) AS partitions FROM pg_class
        WHERE relkind = 'r' AND relname LIKE 'sync_events_%' AND reltuples > 0`,
  );

  const oldest = partitionFor(RECORD_PARTITIONS, new Date(now.getTime() - (DAYS - 1) * DAY_MS));
  const [{ count }] = await dataSource.query<Array<{ count: string }>>(
    `SELECT count(*) AS count FROM "${oldest.name}"`,
  );
  const dropStarted = performance.now();
  await new StorePartitions(dataSource.manager).drop(oldest.name);
  const dropPartitionMs = Math.round(performance.now() - dropStarted);

  return {
    rows,
    findings: Math.floor(rows / 200),
    openFindings: Math.floor(rows / 2000),
    seedSeconds,
    listings,
    dashboards,
    dropPartitionMs,
    droppedPartitionRows: Number(count),
    writesPerSecondLarge,
    writesPerSecondEmpty: empty.rate,
    keyLookupMsLarge,
    keyLookupMsEmpty: empty.lookup,
    partitions: Number(partitions),
    tableBytesPerMillion: Math.round(Number(sizes.table_bytes) / millions),
    indexBytesPerMillion: Math.round(Number(sizes.index_bytes) / millions),
  };
}
