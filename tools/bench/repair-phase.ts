/**
 * The benchmark's repair phase (issue 9), run by `run-bench.ts` once the checks are measured.
 *
 * 1. Backlog: REPAIR_BENCH_JOBS runs each lose one output (10% on a non-idempotent pipeline),
 *    the checker records their mismatches, and only then the repair service starts: we time
 *    start → every job executed (submitted) and confirmed, and the repair process's CPU.
 * 2. Latency: with the repair service running, a stream of such runs, and per finding the time
 *    from its recording to its resolution by the repair (`resolved_at - created_at`).
 * 3. Exactly once: the resubmissions the simulator received, against the jobs executed.
 */
import {
  cpuByProcess,
  cpuTimeMs,
  machineCpuMs,
  startService,
  type ServiceProcess,
} from './bench-processes';
import {
  scoreResubmissions,
  summarise,
  type LatencySummary,
  type ResubmissionScore,
} from './bench-scoring';
import type { GenerationResult } from '../../apps/component-sim/src/scenario/load-generator';

export interface RepairBenchResult {
  backlogJobs: number;
  /** Jobs executed (submitted) per second, repair start → last submission. */
  executedPerSecond: number;
  /** Jobs confirmed and closed (DONE) per second, repair start → last one. */
  donePerSecond: number;
  awaitingApproval: number;
  failed: number;
  cpuPerJobMs: number;
  /** The rest of the round trip: the simulator (run reads, submissions, the rerun's events)… */
  simCpuPerJobMs: number;
  /** …and the whole machine, with how busy it was while the backlog was repaired. */
  machineCpuPerJobMs: number;
  machineBusy: number;
  /** Where the machine's CPU went while the backlog was repaired: ms per job, by process. */
  cpuPerJobByProcess: Record<string, number>;
  streamRate: number;
  /** Finding recorded → resolved by its repair (resubmitted, re-checked, confirmed). */
  latency: LatencySummary;
  exactlyOnce: ResubmissionScore;
}

export interface RepairPhaseContext {
  dbUrl: string;
  simUrl: string;
  port: number;
  env: NodeJS.ProcessEnv;
  nodeArgs: string[];
  sql: (url: string, text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;
  post: <T>(path: string, body: unknown) => Promise<T>;
  services: ServiceProcess[];
}

const JOBS = Number(process.env.REPAIR_BENCH_JOBS ?? 10_000);
const STREAM_RATE = Number(process.env.REPAIR_BENCH_RATE ?? 50);
const STREAM_SECONDS = Number(process.env.REPAIR_BENCH_SECONDS ?? 20);
const NON_IDEMPOTENT_RATE = 0.1;

interface JobRow {
  run_id: string | null;
  state: string;
  submitted_ms: string | null;
  finished_ms: string | null;
}

export async function repairPhase(ctx: RepairPhaseContext): Promise<RepairBenchResult> {
  console.log(`repair: ${JOBS} mismatches recorded, then the repair service started`);
  const backlog = await ctx.post<GenerationResult>('/sim/generate/batch', {
    count: JOBS,
    outputsPerRun: 10,
    missingRate: 1,
    nonIdempotentRate: NON_IDEMPOTENT_RATE,
  });
  await awaitMismatches(ctx, backlog.runIds, 600_000);

  const started = Date.now();
  const repair = await startService(
    'repair',
    'repair',
    ctx.port,
    {
      ...ctx.env,
      HTTP_PORT: String(ctx.port),
      // BENCH_REPAIR_LOG_LEVEL=debug logs each pass's steps and durations.
      LOG_LEVEL: process.env.BENCH_REPAIR_LOG_LEVEL ?? ctx.env.LOG_LEVEL,
    },
    ctx.nodeArgs,
  );
  ctx.services.push(repair);
  const simulator = ctx.services.find((service) => service.name === 'simulator');
  const simCpu = () => (simulator ? cpuTimeMs(simulator.child.pid!) : 0);
  const cpuBefore = cpuTimeMs(repair.child.pid!);
  const simCpuBefore = simCpu();
  const machineBefore = machineCpuMs();
  const byProcessBefore = cpuByProcess(ctx.services);
  const jobs = await awaitJobs(ctx, backlog.runIds, 600_000);
  const byProcessAfter = cpuByProcess(ctx.services);
  const cpuMs = cpuTimeMs(repair.child.pid!) - cpuBefore;
  const simCpuMs = simCpu() - simCpuBefore;
  const machineAfter = machineCpuMs();
  const executed = jobs.filter((job) => job.submitted_ms !== null);
  const done = jobs.filter((job) => job.state === 'DONE');
  const lastSubmitted = Math.max(...executed.map((job) => Number(job.submitted_ms)));
  const lastDone = Math.max(...done.map((job) => Number(job.finished_ms)));

  console.log(`repair: ${STREAM_RATE} mismatching runs/s for ${STREAM_SECONDS} s`);
  const stream = await ctx.post<GenerationResult>('/sim/generate/stream', {
    ratePerSecond: STREAM_RATE,
    count: STREAM_RATE * STREAM_SECONDS,
    outputsPerRun: 10,
    missingRate: 1,
    nonIdempotentRate: NON_IDEMPOTENT_RATE,
  });
  await awaitJobs(ctx, stream.runIds, 300_000);
  const { rows: latencyRows } = await ctx.sql(
    ctx.dbUrl,
    `SELECT (extract(epoch from resolved_at - created_at) * 1000)::bigint AS ms
       FROM sync_events
      WHERE dedupe_key = ANY($1::text[]) AND resolved AND resolved_by = 'bridge-repair'`,
    [stream.runIds.map((id) => `post_run:${id}`)],
  );

  const truth = (await (await fetch(`${ctx.simUrl}/sim/truth?findingsOnly=true`)).json()) as {
    resubmissions: Array<{ repeatsRunId: string | null }>;
  };
  const allJobs = await jobRows(ctx, [...backlog.runIds, ...stream.runIds]);
  const exactlyOnce = scoreResubmissions(
    allJobs
      .filter((job) => job.submitted_ms !== null && job.run_id !== null)
      .map((job) => job.run_id ?? ''),
    truth.resubmissions.map((r) => r.repeatsRunId),
  );
  return {
    backlogJobs: jobs.length,
    executedPerSecond: Math.round((executed.length * 1000) / (lastSubmitted - started)),
    donePerSecond: Math.round((done.length * 1000) / (lastDone - started)),
    awaitingApproval: jobs.filter((job) => job.state === 'AWAITING_APPROVAL').length,
    failed: jobs.filter((job) => job.state === 'FAILED').length,
    cpuPerJobMs: Number((cpuMs / Math.max(1, jobs.length)).toFixed(3)),
    simCpuPerJobMs: Number((simCpuMs / Math.max(1, jobs.length)).toFixed(3)),
    machineCpuPerJobMs: Number(
      ((machineAfter.busy - machineBefore.busy) / Math.max(1, jobs.length)).toFixed(3),
    ),
    cpuPerJobByProcess: Object.fromEntries(
      [...byProcessAfter]
        .map(
          ([name, ms]) =>
            [name, (ms - (byProcessBefore.get(name) ?? 0)) / Math.max(1, jobs.length)] as const,
        )
        .filter(([, perJob]) => perJob >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([name, perJob]) => [name, Number(perJob.toFixed(2))]),
    ),
    machineBusy: Number(
      (
        (machineAfter.busy - machineBefore.busy) /
        Math.max(1, machineAfter.total - machineBefore.total)
      ).toFixed(3),
    ),
    streamRate: STREAM_RATE,
    latency: summarise((latencyRows as Array<{ ms: string }>).map((row) => Number(row.ms))),
    exactlyOnce,
  };
}

async function awaitMismatches(ctx: RepairPhaseContext, runIds: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await ctx.sql(
      ctx.dbUrl,
      `SELECT count(*)::int AS n FROM sync_events WHERE dedupe_key = ANY($1::text[])`,
      [runIds.map((id) => `post_run:${id}`)],
    );
    const [{ n }] = rows as Array<{ n: number }>;
    if (n >= runIds.length) return;
    if (Date.now() > deadline) throw new Error(`only ${n}/${runIds.length} mismatches recorded`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The repair jobs of these runs' findings, with their run and times. */
async function jobRows(ctx: RepairPhaseContext, runIds: string[]): Promise<JobRow[]> {
  const { rows } = await ctx.sql(
    ctx.dbUrl,
    `SELECT j.plan ->> 'run_id' AS run_id, j.state,
            (extract(epoch from j.submission_started_at) * 1000)::bigint AS submitted_ms,
            (extract(epoch from j.finished_at) * 1000)::bigint AS finished_ms
       FROM repair_jobs j JOIN sync_events e ON e.id = j.sync_event_id
      WHERE e.dedupe_key = ANY($1::text[])`,
    [runIds.map((id) => `post_run:${id}`)],
  );
  return rows as JobRow[];
}

/** Waits until every run's job has settled: done, failed, or waiting for an operator. */
async function awaitJobs(ctx: RepairPhaseContext, runIds: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await jobRows(ctx, runIds);
    const settled = jobs.filter((job) =>
      ['DONE', 'FAILED', 'AWAITING_APPROVAL', 'REJECTED'].includes(job.state),
    );
    if (jobs.length >= runIds.length && settled.length === jobs.length) return jobs;
    if (Date.now() > deadline) {
      throw new Error(`only ${settled.length}/${runIds.length} repair jobs settled`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
