/**
 * The benchmark's repair phase (issue 9), run by `run-bench.ts` once the checks are measured.
 *
 * The simulated Cappella runs a resubmitted pipeline for REPAIR_BENCH_RUN_DURATION_MS (30 s by
 * default: real pipelines take minutes) before it completes and publishes
 * `cappella.run.completed`; the rerun's own post-run check and the repair's confirmation follow.
 *
 * 1. Backlog: REPAIR_BENCH_JOBS runs each lose one output (10% on a non-idempotent pipeline),
 *    the checker records their mismatches, and only then the repair service starts: we time
 *    its start-up (to its first job), then first job → every job executed (run submitted), with
 *    the machine's CPU over that window, then start → every job confirmed, with the CPU of the
 *    whole round trip.
 * 2. Latency: with the repair service running, a stream of such runs, and per finding the time
 *    from its recording to its resolution by the repair (`resolved_at - created_at`), less the
 *    run duration.
 * 3. Exactly once: the resubmissions the simulator received, against the jobs executed.
 */
import {
  cpuByProcess,
  cpuTimeMs,
  machineCpuMs,
  startService,
  type PhaseContext,
} from './bench-processes';
import {
  scoreResubmissions,
  summarise,
  type LatencySummary,
  type ResubmissionScore,
} from './bench-scoring';
import type { GenerationResult } from '@bridge/simulator';

/** CPU spent over a window of the backlog, per job of the backlog. */
export interface CpuWindow {
  seconds: number;
  /** The repair process alone. */
  repairPerJobMs: number;
  /** The whole machine, and how busy it was over the window. */
  machinePerJobMs: number;
  machineBusy: number;
  /** Where the machine's CPU went: ms per job, by process. */
  byProcess: Record<string, number>;
}

export interface RepairBenchResult {
  backlogJobs: number;
  runDurationMs: number;
  /** Repair process started → its first job created (boot, joining the consumer group). */
  startupMs: number;
  /** Jobs executed (run submitted) per second, first job created → last submission. */
  executedPerSecond: number;
  awaitingApproval: number;
  failed: number;
  /** Repair start → last submission: planning and execution. */
  execution: CpuWindow;
  /** Repair start → every job confirmed (DONE): adds the reruns' checks and confirmation. */
  roundTrip: CpuWindow & { done: number };
  streamRate: number;
  /** Finding recorded → resolved by its repair, less the run duration. */
  latency: LatencySummary;
  exactlyOnce: ResubmissionScore;
}

export type RepairPhaseContext = PhaseContext;

const JOBS = Number(process.env.REPAIR_BENCH_JOBS ?? 10_000);
const STREAM_RATE = Number(process.env.REPAIR_BENCH_RATE ?? 50);
const STREAM_SECONDS = Number(process.env.REPAIR_BENCH_SECONDS ?? 20);
const NON_IDEMPOTENT_RATE = 0.1;
export const REPAIR_RUN_DURATION_MS = Number(process.env.REPAIR_BENCH_RUN_DURATION_MS ?? 30_000);

/** The CPU counters at one moment of the backlog. */
interface CpuSnapshot {
  at: number;
  repair: number;
  machine: { busy: number; total: number };
  byProcess: Map<string, number>;
}

interface JobRow {
  run_id: string | null;
  state: string;
  created_ms: string;
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
  const snapshot = (): CpuSnapshot => ({
    at: Date.now(),
    repair: cpuTimeMs(repair.child.pid!),
    machine: machineCpuMs(),
    byProcess: cpuByProcess(ctx.services),
  });
  // Taken at every poll, so that the window ending at the last submission can be read after.
  const snapshots = [snapshot()];
  const jobs = await awaitJobs(ctx, backlog.runIds, 900_000, () => snapshots.push(snapshot()));
  snapshots.push(snapshot());
  const executed = jobs.filter((job) => job.submitted_ms !== null);
  const done = jobs.filter((job) => job.state === 'DONE');
  const firstCreated = Math.min(...jobs.map((job) => Number(job.created_ms)));
  const lastSubmitted = Math.max(...executed.map((job) => Number(job.submitted_ms)));
  const executionStart = [...snapshots].reverse().find((taken) => taken.at <= firstCreated);
  const executionEnd =
    snapshots.find((taken) => taken.at >= lastSubmitted) ?? snapshots[snapshots.length - 1];

  console.log(`repair: ${STREAM_RATE} mismatching runs/s for ${STREAM_SECONDS} s`);
  const stream = await ctx.post<GenerationResult>('/sim/generate/stream', {
    ratePerSecond: STREAM_RATE,
    count: STREAM_RATE * STREAM_SECONDS,
    outputsPerRun: 10,
    missingRate: 1,
    nonIdempotentRate: NON_IDEMPOTENT_RATE,
  });
  await awaitJobs(ctx, stream.runIds, 300_000 + REPAIR_RUN_DURATION_MS);
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
    runDurationMs: REPAIR_RUN_DURATION_MS,
    startupMs: firstCreated - started,
    executedPerSecond: Math.round((executed.length * 1000) / (lastSubmitted - firstCreated)),
    awaitingApproval: jobs.filter((job) => job.state === 'AWAITING_APPROVAL').length,
    failed: jobs.filter((job) => job.state === 'FAILED').length,
    execution: cpuWindow(executionStart ?? snapshots[0], executionEnd, jobs.length),
    roundTrip: {
      ...cpuWindow(snapshots[0], snapshots[snapshots.length - 1], jobs.length),
      done: done.length,
    },
    streamRate: STREAM_RATE,
    latency: summarise(
      (latencyRows as Array<{ ms: string }>).map((row) => Number(row.ms) - REPAIR_RUN_DURATION_MS),
    ),
    exactlyOnce,
  };
}

function cpuWindow(from: CpuSnapshot, to: CpuSnapshot, jobs: number): CpuWindow {
  const perJob = (ms: number) => Number((ms / Math.max(1, jobs)).toFixed(2));
  const busy = to.machine.busy - from.machine.busy;
  return {
    seconds: Number(((to.at - from.at) / 1000).toFixed(1)),
    repairPerJobMs: perJob(to.repair - from.repair),
    machinePerJobMs: perJob(busy),
    machineBusy: Number((busy / Math.max(1, to.machine.total - from.machine.total)).toFixed(3)),
    byProcess: Object.fromEntries(
      [...to.byProcess]
        .map(([name, ms]) => [name, perJob(ms - (from.byProcess.get(name) ?? 0))] as const)
        .filter(([, ms]) => ms >= 0.05)
        .sort((a, b) => b[1] - a[1]),
    ),
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
            (extract(epoch from j.created_at) * 1000)::bigint AS created_ms,
            (extract(epoch from j.submission_started_at) * 1000)::bigint AS submitted_ms,
            (extract(epoch from j.finished_at) * 1000)::bigint AS finished_ms
       FROM repair_jobs j JOIN sync_events e ON e.id = j.sync_event_id
      WHERE e.dedupe_key = ANY($1::text[])`,
    [runIds.map((id) => `post_run:${id}`)],
  );
  return rows as JobRow[];
}

/** Waits until every run's job has settled: done, failed, or waiting for an operator. */
async function awaitJobs(
  ctx: RepairPhaseContext,
  runIds: string[],
  timeoutMs: number,
  onPoll: () => void = () => undefined,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    onPoll();
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
