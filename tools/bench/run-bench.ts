/**
 * `npm run bench`: the end-to-end benchmark of ingestion and checking on the local stack.
 *
 * It starts the stack, the built simulator, ingest and checker as separate processes, then:
 * 1. throughput: the simulator publishes BENCH_RUNS `cappella.run.completed` events at once
 *    (10 outputs each, 5% with one output missing) and we time publish → last finding recorded;
 * 2. latency: a steady stream at BENCH_RATE events/s for BENCH_STREAM_SECONDS, and the
 *    publish → recorded-finding latency of each run;
 * 3. correctness: every finding scored against the simulator's ground truth;
 * 4. the raw ceiling: a bare kafkajs consumer draining the same topic from the same broker;
 * 5. repairs (`repair-phase.ts`): with the checker restarted to stamp `resubmit_run` on
 *    missing entities, a backlog of repairable mismatches and a stream of them, through the
 *    repair service: jobs per second, finding → resolved latency, resubmissions counted at the
 *    simulator;
 * 6. full scans (`scan-phase.ts`): a seeded history of 100,000 runs scanned in full by a
 *    scanner process (wall time, peak RSS, requests, precision and recall against the
 *    simulator's scan oracle, against the floor of paging through both listings), then 1,000
 *    new runs and an incremental scan;
 * 7. the all-in-one process (`npm start`): time to healthy on fresh and on existing data, to
 *    its first finding, and to stop;
 * 8. the store (`store-phase.ts`): a 20-million-row sync event log over 30 days, and what each
 *    listing and dashboard read, a partition drop and the pipeline's writes cost on it.
 * Results go to docs/benchmarks.md and to stdout as JSON.
 */
import { cpus, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  cpuTimeMs,
  machineCpuMs,
  ROOT,
  startService,
  stopService,
  type ServiceProcess,
} from './bench-processes';
import type { GenerationResult } from '@bridge/simulator';
import {
  STORE_SECTION_END,
  STORE_SECTION_START,
  renderReport,
  renderStore,
  type BenchResult,
} from './bench-report';
import { storePhase } from './store-phase';
import {
  benchDatabase,
  restartStack,
  runEnv,
  sql,
  stackEnv,
  writeComponentManifest,
} from './bench-stack';
import { REPAIR_RUN_DURATION_MS, repairPhase } from './repair-phase';
import { SCAN_PAGE_SIZE, scanPhase } from './scan-phase';
import { profilePhase } from './profile-phase';
import {
  scoreFindings,
  summarise,
  type EntityKeyLike,
  type RecordedFinding,
} from './bench-scoring';

const RUNS = Number(process.env.BENCH_RUNS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const STREAM_SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 20);
const GRACE_MS = Number(process.env.BENCH_GRACE_MS ?? 1_000);
/**
 * `BENCH_ONLY=throughput`, `BENCH_ONLY=repair`, `BENCH_ONLY=scan` or `BENCH_ONLY=profile` runs
 * that phase alone (after a warm-up), for work on it: it prints its figures and leaves
 * docs/benchmarks.md as it is. `BENCH_ONLY=latency` does the same for the throughput phase
 * followed by the latency stream. `BENCH_ONLY=store` runs the store phase alone (it needs no
 * services) and replaces its section of docs/benchmarks.md.
 */
const ONLY = process.env.BENCH_ONLY;
const PHASES = ['throughput', 'latency', 'repair', 'scan', 'profile', 'store'];
if (ONLY !== undefined && !PHASES.includes(ONLY)) {
  throw new Error(`BENCH_ONLY=${ONLY}: only ${PHASES.map((p) => `"${p}"`).join(', ')} are known`);
}
const SIM_PORT = 4510;
const INGEST_PORT = 4511;
const CHECKER_PORT = 4512;
const ALL_IN_ONE_PORT = 4513;
const REPAIR_PORT = 4514;
const SCANNER_PORT = 4515;

/** What the simulator's `/sim/generate/*` routes answer. */
type Generation = GenerationResult;

/**
 * Node options of a benchmarked process (`BENCH_<SERVICE>_NODE_ARGS`). The simulator gets a
 * heap large enough for the scan phase's largest seeded history (5M outputs, about 3.3 GB).
 */
function nodeArgsFor(service: string): string[] {
  const defaults: Record<string, string> = { SIMULATOR: '--max-old-space-size=8192' };
  return (process.env[`BENCH_${service}_NODE_ARGS`] ?? defaults[service] ?? '')
    .split(' ')
    .filter(Boolean);
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${SIM_PORT}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface FindingRow {
  source_id: string;
  event_type: string;
  details: { missing_entities?: EntityKeyLike[] };
  created_ms: string;
  published: boolean;
}

/** Waits until every run has a finding; returns the rows. */
async function awaitFindings(dbUrl: string, runIds: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql(
      dbUrl,
      `SELECT source_id, event_type, details, (extract(epoch from created_at) * 1000)::bigint AS created_ms,
              published_at IS NOT NULL AS published
         FROM sync_events WHERE dedupe_key = ANY($1::text[])`,
      [runIds.map((id) => `post_run:${id}`)],
    );
    const found = rows as FindingRow[];
    if (found.length >= runIds.length && found.every((row) => row.published)) return found;
    if (Date.now() > deadline) {
      throw new Error(`only ${found.length}/${runIds.length} findings after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function rawCeiling(
  brokers: string[],
  count: number,
): Promise<{ messages: number; perSecond: number }> {
  const kafka = new Kafka({ clientId: 'bench-ceiling', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets('cappella.run.completed');
  await admin.disconnect();
  const target = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId: `bench-ceiling-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: ['cappella.run.completed'], fromBeginning: true });
  let seen = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (first === 0) first = Date.now();
        seen += batch.messages.length;
        if (seen >= target) resolve(Date.now());
        await Promise.resolve();
      },
    });
  });
  const last = await done;
  await consumer.disconnect();
  void count;
  return { messages: seen, perSecond: Math.round((seen * 1000) / Math.max(1, last - first)) };
}

async function allInOneStatus(): Promise<{ findings: Array<{ total: number }> }> {
  const response = await fetch(`http://127.0.0.1:${ALL_IN_ONE_PORT}/status`);
  return (await response.json()) as { findings: Array<{ total: number }> };
}

/** `npm start` as a newcomer meets it: start on an empty data directory, stop, start again. */
async function allInOneTimings(): Promise<BenchResult['allInOne']> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-all-in-one-'));
  const env = { BRIDGE_DATA_DIR: dataDir, HTTP_PORT: String(ALL_IN_ONE_PORT), LOG_LEVEL: 'warn' };
  try {
    let started = Date.now();
    let service = await startService('all-in-one', 'all-in-one', ALL_IN_ONE_PORT, env);
    const readyFreshMs = Date.now() - started;
    for (;;) {
      const status = await allInOneStatus();
      if (status.findings.some((f) => f.total > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const firstFindingMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    started = Date.now();
    await stopService(service);
    const stopMs = Date.now() - started;
    started = Date.now();
    service = await startService('all-in-one', 'all-in-one', ALL_IN_ONE_PORT, env);
    const readyResumedMs = Date.now() - started;
    await stopService(service);
    return { readyFreshMs, firstFindingMs, stopMs, readyResumedMs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The store phase alone: its figures to stdout and its section of docs/benchmarks.md. */
async function storeOnly(stack: Record<string, string>): Promise<void> {
  const store = await storePhase(stack);
  console.log(JSON.stringify(store, null, 2));
  const file = join(ROOT, 'docs', 'benchmarks.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(STORE_SECTION_START);
  const end = current.indexOf(STORE_SECTION_END);
  const section = renderStore(store);
  writeFileSync(
    file,
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + STORE_SECTION_END.length)
      : `${current.trimEnd()}\n\n${section}\n`,
  );
}

async function main(): Promise<void> {
  const stack = stackEnv();
  if (ONLY === 'store') return storeOnly(stack);
  const stamp = Date.now().toString(36);
  const db = await benchDatabase(stack, `bridge_bench_${stamp}`);
  const dbUrl = db.url;
  const manifestFile = writeComponentManifest('bench-', {
    // The page size only matters to the scan phase's listings.
    cappella: { pageSize: SCAN_PAGE_SIZE, capabilities: { rangeDigests: true } },
    hippo: {
      pageSize: SCAN_PAGE_SIZE,
      capabilities: { bulkLookup: true, bulkLookupMax: 1000, rangeDigests: true },
    },
    canon: { pageSize: SCAN_PAGE_SIZE, capabilities: { artifactListing: true } },
    ...(process.env.BENCH_CAPPELLA_CONCURRENCY
      ? {
          cappella: {
            pageSize: SCAN_PAGE_SIZE,
            maxConcurrency: Number(process.env.BENCH_CAPPELLA_CONCURRENCY),
            capabilities: { rangeDigests: true },
          },
        }
      : {}),
  });
  const simUrl = `http://127.0.0.1:${SIM_PORT}`;
  const common = runEnv(stack, dbUrl, `bench-${stamp}`);
  const services: ServiceProcess[] = [];
  try {
    services.push(
      await startService(
        'simulator',
        'component-sim',
        SIM_PORT,
        {
          ...common,
          SIM_PORT: String(SIM_PORT),
          SIM_ID_PREFIX: `b${stamp}`,
          SIM_RUN_DURATION_MS: String(REPAIR_RUN_DURATION_MS),
        },
        nodeArgsFor('SIMULATOR'),
      ),
    );
    const bridgeEnv = {
      ...common,
      CAPPELLA_URL: simUrl,
      HIPPO_URL: simUrl,
      CANON_URL: simUrl,
      COMPONENT_MANIFEST_FILE: manifestFile,
      CHECK_GRACE_DELAY_MS: String(GRACE_MS),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ...(process.env.BENCH_BATCH_SIZE ? { CHECK_BATCH_SIZE: process.env.BENCH_BATCH_SIZE } : {}),
    };
    const ingest = await startService(
      'ingest',
      'ingest',
      INGEST_PORT,
      { ...bridgeEnv, HTTP_PORT: String(INGEST_PORT) },
      nodeArgsFor('INGEST'),
    );
    const checker = await startService(
      'checker',
      'checker',
      CHECKER_PORT,
      { ...bridgeEnv, HTTP_PORT: String(CHECKER_PORT) },
      nodeArgsFor('CHECKER'),
    );
    services.push(ingest, checker);
    const bridgeCpu = () => cpuTimeMs(ingest.child.pid!) + cpuTimeMs(checker.child.pid!);

    console.log('warm-up: 500 runs');
    const warm = await post<Generation>('/sim/generate/batch', { count: 500, outputsPerRun: 10 });
    await awaitFindings(dbUrl.toString(), warm.runIds, 120_000);

    // Repairs need findings stamped with a repairing strategy: the checker starts again with it.
    const repairs = async () => {
      await stopService(checker);
      const repairEnv = {
        ...bridgeEnv,
        STRATEGY_MISSING_ENTITY: 'resubmit_run',
      };
      services.push(
        await startService(
          'checker-repairing',
          'checker',
          CHECKER_PORT,
          { ...repairEnv, HTTP_PORT: String(CHECKER_PORT) },
          nodeArgsFor('CHECKER'),
        ),
      );
      return repairPhase({
        dbUrl: dbUrl.toString(),
        simUrl,
        port: REPAIR_PORT,
        env: repairEnv,
        nodeArgs: nodeArgsFor('REPAIR'),
        sql,
        post,
        services,
      });
    };

    const scans = () =>
      scanPhase({
        dbUrl: dbUrl.toString(),
        simUrl,
        port: SCANNER_PORT,
        env: bridgeEnv,
        nodeArgs: nodeArgsFor('SCANNER'),
        sql,
        post,
        services,
      });

    const profile = () =>
      profilePhase({
        dbUrl: dbUrl.toString(),
        ingestPort: INGEST_PORT,
        checkerPort: CHECKER_PORT,
        env: bridgeEnv,
        services,
        post,
        awaitFindings,
      });

    if (ONLY === 'repair' || ONLY === 'scan' || ONLY === 'profile') {
      const phases = { repair: repairs, scan: scans, profile };
      console.log(JSON.stringify(await phases[ONLY](), null, 2));
      return;
    }

    console.log(`throughput: ${RUNS} runs published at once`);
    const cpuBefore = bridgeCpu();
    const simCpuBefore = cpuTimeMs(services[0].child.pid!);
    const machineBefore = machineCpuMs();
    const batch = await post<Generation>('/sim/generate/batch', {
      count: RUNS,
      outputsPerRun: 10,
      missingRate: 0.05,
    });
    const batchRows = await awaitFindings(dbUrl.toString(), batch.runIds, 600_000);
    const cpuPerEventMs = (bridgeCpu() - cpuBefore) / RUNS;
    const simCpuPerEventMs = (cpuTimeMs(services[0].child.pid!) - simCpuBefore) / RUNS;
    const machineAfter = machineCpuMs();
    const machineBusy =
      (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
    const machineCpuPerEventMs = (machineAfter.busy - machineBefore.busy) / RUNS;
    console.log(
      `cpu ms/event: ingest+checker ${cpuPerEventMs.toFixed(3)}, simulator ${simCpuPerEventMs.toFixed(3)}, machine ${machineCpuPerEventMs.toFixed(3)} (${(machineBusy * 100).toFixed(0)}% busy)`,
    );
    const lastOk = Math.max(
      ...batchRows
        .filter((r) => r.event_type === 'bridge.sync.ok')
        .map((r) => Number(r.created_ms)),
    );
    const lastAny = Math.max(...batchRows.map((r) => Number(r.created_ms)));
    const firstPublish = batch.startedAt;
    if (ONLY === 'throughput') {
      const seconds = (lastOk - firstPublish) / 1000;
      console.log(
        JSON.stringify({ runs: RUNS, okPerSecond: Math.round(RUNS / seconds), cpuPerEventMs }),
      );
      return;
    }

    console.log(`latency: ${RATE}/s for ${STREAM_SECONDS} s`);
    const stream = await post<Generation>('/sim/generate/stream', {
      ratePerSecond: RATE,
      count: RATE * STREAM_SECONDS,
      outputsPerRun: 10,
      missingRate: 0.05,
    });
    const streamRows = await awaitFindings(dbUrl.toString(), stream.runIds, 300_000);
    const published = new Map(stream.runIds.map((id, i) => [id, stream.publishedAt[i]]));
    const okLatency: number[] = [];
    const mismatchLatency: number[] = [];
    for (const row of streamRows) {
      const latency = Number(row.created_ms) - (published.get(row.source_id) ?? Number.NaN);
      if (row.event_type === 'bridge.sync.ok') okLatency.push(latency);
      else mismatchLatency.push(latency - GRACE_MS);
    }

    if (ONLY === 'latency') {
      console.log(
        JSON.stringify({
          cpuPerEventMs,
          simCpuPerEventMs,
          ok: summarise(okLatency),
          mismatchBeyondGrace: summarise(mismatchLatency),
        }),
      );
      return;
    }

    const truth = (await (await fetch(`${simUrl}/sim/truth?findingsOnly=true`)).json()) as {
      runs: Record<string, { kind: string; missing?: EntityKeyLike[] }>;
    };
    const expected = new Map(
      Object.entries(truth.runs)
        .filter(([, t]) => t.kind === 'missing_entity')
        .map(([runId, t]) => [runId, t.missing ?? []]),
    );
    const allRuns = [...batch.runIds, ...stream.runIds];
    const findings: RecordedFinding[] = [...batchRows, ...streamRows].map((row) => ({
      runId: row.source_id,
      eventType: row.event_type,
      missing: row.details.missing_entities ?? [],
    }));
    const score = scoreFindings(allRuns, expected, findings);

    const repair = await repairs();
    const scan = await scans();
    console.log('profile: ingest and checker under --cpu-prof');
    const profiled = await profile();

    console.log('raw ceiling: bare kafkajs consumer');
    const ceiling = await rawCeiling(stack.KAFKA_BROKERS.split(','), allRuns.length);

    console.log('all-in-one: start, first finding, stop, resume');
    const allInOne = await allInOneTimings();
    console.log('store: a 30-day sync event log');
    const store = await storePhase(stack);

    const throughputAll = (RUNS * 1000) / (lastAny - firstPublish);
    const throughputOk = (RUNS * 1000) / (lastOk - firstPublish);
    const result: BenchResult = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      runs: RUNS,
      graceMs: GRACE_MS,
      publishRate: Math.round(batch.ratePerSecond),
      throughputAll: Math.round(throughputAll),
      throughputOk: Math.round(throughputOk),
      entityChecksPerSecond: Math.round(throughputOk * 10),
      cpuPerEventMs: Number(cpuPerEventMs.toFixed(3)),
      simCpuPerEventMs: Number(simCpuPerEventMs.toFixed(3)),
      machineCpuPerEventMs: Number(machineCpuPerEventMs.toFixed(3)),
      machineBusy: Number(machineBusy.toFixed(3)),
      streamRate: RATE,
      streamAchieved: Math.round(stream.ratePerSecond),
      okLatency: summarise(okLatency),
      mismatchLatencyBeyondGrace: summarise(mismatchLatency),
      score,
      repair,
      scan,
      profile: profiled,
      store,
      ceiling,
      allInOne,
    };
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), renderReport(result));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const service of services.reverse()) await stopService(service);
    await db.drop();
    // Leave an empty Kafka behind, so tests run next do not wade through the benchmark's events.
    if (process.env.BENCH_KEEP_STACK !== '1') restartStack();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
