/**
 * The benchmark's scan phase (issue 10), run by `run-bench.ts`.
 *
 * The simulator is reset and seeded with a history of SCAN_BENCH_RUNS runs of 10 outputs each
 * (no events: history that predates Bridge), SCAN_BENCH_RATE of the runs carrying each kind of
 * discrepancy (a lost output, a dangling input reference, an orphaned entity, and an artifact
 * Canon kept after a deletion), and Canon caching SCAN_BENCH_CACHED_RATE of the outputs. Then:
 * 1. the floor: this process pages through the three listings once (Cappella's runs, Hippo's
 *    entities, Canon's artifacts), doing nothing with the items;
 * 2. a full scan by a scanner process: wall time, the process's peak RSS, requests per
 *    component, and its findings scored against the simulator's scan oracle;
 * 3. SCAN_BENCH_NEW_RUNS more runs, then an incremental scan: wall time and what it read;
 * 4. digest scans (both manifests declare range digests): for each history size of
 *    SCAN_BENCH_DIGEST_SIZES (outputs) and each count of SCAN_BENCH_DIGEST_DIFFERENCES (half lost
 *    outputs, half orphaned entities), a fresh history and a full scan asked to compare digests:
 *    wall time, requests per component, pairs listed, precision and recall. At the headline
 *    size and count (1M outputs, 100 differences: 0.01%) the floor is measured again on the
 *    same data, so the digest scan is set against it and against the listing scan above;
 *    then one larger history, SCAN_BENCH_DIGEST_LARGE outputs (5M; 0 for none), with the
 *    headline count of differences.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { cpuTimeMs, startService, stopService, type PhaseContext } from './bench-processes';

const RUNS = Number(process.env.SCAN_BENCH_RUNS ?? 100_000);
const RATE = Number(process.env.SCAN_BENCH_RATE ?? 0.001);
const NEW_RUNS = Number(process.env.SCAN_BENCH_NEW_RUNS ?? 1_000);
export const SCAN_PAGE_SIZE = Number(process.env.SCAN_BENCH_PAGE_SIZE ?? 1_000);
const OUTPUTS_PER_RUN = 10;
/** The share of outputs Canon caches an artifact of, in the listing scan's history. */
const CACHED_RATE = Number(process.env.SCAN_BENCH_CACHED_RATE ?? 0.1);
const DIGEST_SIZES = numbers(process.env.SCAN_BENCH_DIGEST_SIZES ?? '100000,1000000');
const DIGEST_DIFFERENCES = numbers(process.env.SCAN_BENCH_DIGEST_DIFFERENCES ?? '0,10,100,1000');
/** The digest scan the targets are about: 1M outputs, 0.01% of them differing. */
const HEADLINE = { outputs: 1_000_000, differences: 100 };
/**
 * The simulator keeps about 650 bytes per output for a seeded history; 5M outputs take about
 * 3.3 GB and three minutes to seed, so the largest size runs once, not for every count.
 */
const DIGEST_LARGE = Number(process.env.SCAN_BENCH_DIGEST_LARGE ?? 5_000_000);
/**
 * The scanner runs as it is deployed (docker-compose.yml, docs/operations.md): with a capped
 * old space, so that V8 collects the pages a scan is done with before its heap grows past need.
 */
export const SCANNER_NODE_ARGS = ['--max-old-space-size=128'];
const KINDS = ['missing_entity', 'dangling_reference', 'orphan_provenance', 'stale_cache'] as const;
type Kind = (typeof KINDS)[number];

/** One digest scan of the series: a fresh history of `outputs` with `differences` injected. */
export interface DigestScanFigures {
  outputs: number;
  differences: number;
  wallMs: number;
  /** Requests the scanner counted, and those the simulator received, per component. */
  requests: { cappella: number; hippo: number };
  simulatorHits: { cappella: number; hippo: number };
  cpuMs: { scanner: number; simulator: number };
  /** Range listings made, and the pairs they held, per side. */
  listings: number;
  pairsListed: { cappella: number; hippo: number };
  score: Pick<ScanBenchResult['score'], 'missing_entity' | 'orphan_provenance'>;
}

export interface DigestBenchResult {
  series: DigestScanFigures[];
  /** The headline history's floor (paging through both listings), measured on its data. */
  headlineFloorMs: number | null;
}

/** A count per listed component. */
export interface PerListing {
  cappella: number;
  hippo: number;
  canon: number;
}

export interface ScanRunFigures {
  wallMs: number;
  pages: PerListing;
  items: PerListing;
  /** Requests the scanner counted, and those the simulator received, per component. */
  requests: PerListing;
  simulatorHits: PerListing;
  /** CPU the scanner and the simulator spent from the request to the end (polling included). */
  cpuMs: { scanner: number; simulator: number };
  findings: Record<Kind, number>;
}

/** CPU time so far of the scanner and the simulator, in milliseconds. */
type CpuProbe = () => { scanner: number; simulator: number };

export interface ScanBenchResult {
  runs: number;
  outputs: number;
  entities: number;
  injectedPerKind: Record<Kind, number>;
  /** Artifacts in Canon: of outputs Hippo holds, and left behind (stale). */
  artifacts: { cached: number; stale: number };
  pageSize: number;
  /** Paging through the three listings once, nothing else. */
  floorMs: number;
  full: ScanRunFigures;
  /** Resident set of the scanner process once started, before any scan. */
  idleRssMb: number;
  /** Peak resident set of the scanner process over both scans (VmHWM). */
  peakRssMb: number;
  /** Per kind; for `stale_cache` the units are artifacts (one reported twice counts as wrong). */
  score: Record<Kind, { expected: number; reported: number; precision: number; recall: number }>;
  newRuns: number;
  incremental: ScanRunFigures;
  digest: DigestBenchResult;
}

export type ScanPhaseContext = PhaseContext;

interface SeedResult {
  runs: number;
  entities: number;
  injected: Record<Exclude<Kind, 'stale_cache'>, number>;
  artifacts: { cached: number; stale: number };
}

interface Truth {
  missing_entity: Array<{ run_id: string; entities: unknown[] }>;
  dangling_reference: Array<{ run_id: string; entities: unknown[] }>;
  orphan_provenance: Array<{
    entity: { entity_type: string; external_id: string };
    run_id: string;
  }>;
  stale_cache: Array<{ artifact_id: string }>;
}

interface Hits {
  components: { cappella: number; hippo: number; canon: number };
}

export async function scanPhase(ctx: ScanPhaseContext): Promise<ScanBenchResult> {
  console.log(`scan: seeding ${RUNS} runs × ${OUTPUTS_PER_RUN} outputs`);
  const reset = await fetch(`${ctx.simUrl}/sim/reset`, { method: 'POST' });
  if (!reset.ok) throw new Error(`/sim/reset: HTTP ${reset.status}`);
  const seeded = await ctx.post<SeedResult>('/sim/history', {
    runs: RUNS,
    outputsPerRun: OUTPUTS_PER_RUN,
    missingEntityRate: RATE,
    danglingReferenceRate: RATE,
    orphanProvenanceRate: RATE,
    cachedOutputRate: CACHED_RATE,
    staleCacheRate: RATE,
    ageMs: 3_600_000,
  });

  console.log('scan: the floor (paging through the three listings once)');
  const floorMs = await pageThroughListings(ctx.simUrl);

  const scanner = await startService(
    'scanner',
    'scanner',
    ctx.port,
    {
      ...ctx.env,
      HTTP_PORT: String(ctx.port),
      SCAN_SCHEDULE: 'off',
      SCAN_POLL_INTERVAL_MS: '100',
    },
    [...SCANNER_NODE_ARGS, ...ctx.nodeArgs],
  );
  ctx.services.push(scanner);
  const simulator = ctx.services.find((service) => service.name === 'simulator');
  const cpu: CpuProbe = () => ({
    scanner: cpuTimeMs(scanner.child.pid ?? 0),
    simulator: simulator ? cpuTimeMs(simulator.child.pid ?? 0) : 0,
  });
  const idleRssMb = rssMb(scanner.child.pid ?? 0, 'VmRSS');
  try {
    console.log('scan: full scan');
    const full = await scanOnce(ctx, cpu, 'full');
    const truth = (await (await fetch(`${ctx.simUrl}/sim/truth/scan?graceMs=0`)).json()) as Truth;
    const score = await scoreScan(ctx, full.scanId, truth);

    console.log(`scan: ${NEW_RUNS} new runs, then an incremental scan`);
    await ctx.post('/sim/history', {
      runs: NEW_RUNS,
      outputsPerRun: OUTPUTS_PER_RUN,
      missingEntityRate: RATE * 10,
      ageMs: 60_000,
    });
    const incremental = await scanOnce(ctx, cpu, 'incremental');
    const digest = await digestSeries(ctx, cpu);
    return {
      runs: seeded.runs,
      outputs: seeded.runs * OUTPUTS_PER_RUN,
      entities: seeded.entities,
      injectedPerKind: { ...seeded.injected, stale_cache: seeded.artifacts.stale },
      artifacts: seeded.artifacts,
      pageSize: SCAN_PAGE_SIZE,
      floorMs,
      full: full.figures,
      idleRssMb,
      peakRssMb: rssMb(scanner.child.pid ?? 0, 'VmHWM'),
      score,
      newRuns: NEW_RUNS,
      incremental: incremental.figures,
      digest,
    };
  } finally {
    await stopService(scanner);
  }
}

/**
 * The digest series: for each size and count of differences, a fresh history and a full scan
 * asked to compare digests, scored for the two kinds digests find.
 */
async function digestSeries(ctx: ScanPhaseContext, cpu: CpuProbe): Promise<DigestBenchResult> {
  const series: DigestScanFigures[] = [];
  let headlineFloorMs: number | null = null;
  const histories = DIGEST_SIZES.flatMap((outputs) =>
    DIGEST_DIFFERENCES.map((differences) => ({ outputs, differences })),
  );
  if (DIGEST_LARGE > 0)
    histories.push({ outputs: DIGEST_LARGE, differences: HEADLINE.differences });
  for (const { outputs, differences } of histories) {
    const runs = Math.round(outputs / OUTPUTS_PER_RUN);
    console.log(`scan: digests, ${outputs} outputs, ${differences} differences`);
    const reset = await fetch(`${ctx.simUrl}/sim/reset`, { method: 'POST' });
    if (!reset.ok) throw new Error(`/sim/reset: HTTP ${reset.status}`);
    const lost = Math.floor(differences / 2);
    await ctx.post<SeedResult>('/sim/history', {
      runs,
      outputsPerRun: OUTPUTS_PER_RUN,
      missingEntityRate: lost / runs,
      danglingReferenceRate: 0,
      orphanProvenanceRate: (differences - lost) / runs,
      ageMs: 3_600_000,
    });
    if (outputs === HEADLINE.outputs && differences === HEADLINE.differences) {
      headlineFloorMs = await pageThroughListings(ctx.simUrl);
    }
    const scan = await scanOnce(ctx, cpu, 'full', 'digest');
    const truth = (await (await fetch(`${ctx.simUrl}/sim/truth/scan?graceMs=0`)).json()) as Truth;
    const score = await scoreScan(ctx, scan.scanId, truth);
    const { figures } = scan;
    series.push({
      outputs,
      differences,
      wallMs: figures.wallMs,
      requests: figures.requests,
      simulatorHits: figures.simulatorHits,
      cpuMs: figures.cpuMs,
      listings: figures.pages.cappella,
      pairsListed: figures.items,
      score: { missing_entity: score.missing_entity, orphan_provenance: score.orphan_provenance },
    });
  }
  return { series, headlineFloorMs };
}

/** Asks for a scan (as the API would: a requested row), waits for it, and reads its record. */
async function scanOnce(
  ctx: ScanPhaseContext,
  cpu: CpuProbe,
  mode: 'full' | 'incremental',
  method: 'listing' | 'digest' = 'listing',
): Promise<{ scanId: string; figures: ScanRunFigures }> {
  const hitsBefore = await hits(ctx.simUrl);
  const cpuBefore = cpu();
  const { rows } = await ctx.sql(
    ctx.dbUrl,
    `INSERT INTO scans (id, trigger, mode, method, requested_by)
     VALUES (gen_random_uuid(), 'manual', $1, $2, 'bench')
     RETURNING id`,
    [mode, method],
  );
  const [{ id }] = rows as Array<{ id: string }>;
  for (;;) {
    const { rows: scans } = await ctx.sql(
      ctx.dbUrl,
      `SELECT status, last_error, pages, items, requests, counts,
              (extract(epoch from finished_at - started_at) * 1000)::bigint AS wall_ms
         FROM scans WHERE id = $1`,
      [id],
    );
    const [scan] = scans as Array<{
      status: string;
      last_error: string | null;
      pages: Partial<PerListing>;
      items: Partial<PerListing>;
      requests: Partial<PerListing>;
      counts: Partial<Record<Kind, number>>;
      wall_ms: string | null;
    }>;
    if (scan.status === 'failed') throw new Error(`scan failed: ${scan.last_error}`);
    if (scan.status === 'completed') {
      const hitsAfter = await hits(ctx.simUrl);
      const cpuAfter = cpu();
      return {
        scanId: id,
        figures: {
          wallMs: Number(scan.wall_ms),
          pages: perListing(scan.pages),
          items: perListing(scan.items),
          requests: perListing(scan.requests),
          simulatorHits: {
            cappella: hitsAfter.components.cappella - hitsBefore.components.cappella,
            hippo: hitsAfter.components.hippo - hitsBefore.components.hippo,
            canon: hitsAfter.components.canon - hitsBefore.components.canon,
          },
          cpuMs: {
            scanner: cpuAfter.scanner - cpuBefore.scanner,
            simulator: cpuAfter.simulator - cpuBefore.simulator,
          },
          findings: Object.fromEntries(
            KINDS.map((kind) => [kind, scan.counts[kind] ?? 0]),
          ) as Record<Kind, number>,
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function perListing(counts: Partial<PerListing>): PerListing {
  return { cappella: counts.cappella ?? 0, hippo: counts.hippo ?? 0, canon: counts.canon ?? 0 };
}

async function hits(simUrl: string): Promise<Hits> {
  return (await (await fetch(`${simUrl}/sim/hits`)).json()) as Hits;
}

/**
 * Precision and recall per kind: a finding is right when its subject and entities match; for
 * stale caches each reported artifact is an item, so one reported twice lowers the precision.
 */
async function scoreScan(
  ctx: ScanPhaseContext,
  scanId: string,
  truth: Truth,
): Promise<ScanBenchResult['score']> {
  const { rows } = await ctx.sql(
    ctx.dbUrl,
    `SELECT e.mismatch_type, e.details FROM scan_findings f JOIN sync_events e ON e.id = f.sync_event_id
      WHERE f.scan_id = $1`,
    [scanId],
  );
  const reported = new Map<Kind, string[]>(KINDS.map((kind) => [kind, []]));
  for (const row of rows as Array<{
    mismatch_type: Kind;
    details: { run_id: string; missing_entities?: unknown[]; artifact_ids?: string[] };
  }>) {
    const items =
      row.mismatch_type === 'stale_cache'
        ? (row.details.artifact_ids ?? [])
        : [JSON.stringify([row.details.run_id, row.details.missing_entities])];
    reported.get(row.mismatch_type)?.push(...items);
  }
  const expected: Record<Kind, Set<string>> = {
    missing_entity: new Set(
      truth.missing_entity.map((f) => JSON.stringify([f.run_id, f.entities])),
    ),
    dangling_reference: new Set(
      truth.dangling_reference.map((f) => JSON.stringify([f.run_id, f.entities])),
    ),
    orphan_provenance: new Set(
      truth.orphan_provenance.map((f) => JSON.stringify([f.run_id, [f.entity]])),
    ),
    stale_cache: new Set(truth.stale_cache.map((f) => f.artifact_id)),
  };
  return Object.fromEntries(
    KINDS.map((kind) => {
      const got = reported.get(kind) ?? [];
      const want = expected[kind];
      const right = [...new Set(got)].filter((item) => want.has(item)).length;
      return [
        kind,
        {
          expected: want.size,
          reported: got.length,
          precision: got.length === 0 ? (want.size === 0 ? 1 : 0) : right / got.length,
          recall: want.size === 0 ? 1 : right / want.size,
        },
      ];
    }),
  ) as ScanBenchResult['score'];
}

/** Wall time of reading the three listings page by page (what any full scan must do). */
async function pageThroughListings(simUrl: string): Promise<number> {
  const agent = new Agent({ connections: 1 });
  const started = Date.now();
  try {
    for (const path of ['/cappella/runs', '/hippo/entities', '/canon/artifacts']) {
      let after: string | null = null;
      do {
        const query = new URLSearchParams({ limit: String(SCAN_PAGE_SIZE) });
        if (after) query.set('after', after);
        const response = await request(`${simUrl}${path}?${query.toString()}`, {
          dispatcher: agent,
        });
        const page = (await response.body.json()) as { next_cursor: string | null };
        after = page.next_cursor;
      } while (after !== null);
    }
    return Date.now() - started;
  } finally {
    await agent.close();
  }
}

/** A process's resident set now (VmRSS) or at its peak so far (VmHWM), in MiB (Linux `/proc`). */
function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : 0;
}

function numbers(list: string): number[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map(Number)
    .filter((value) => Number.isFinite(value) && value >= 0);
}
