/**
 * The benchmark's profiled pass: where ingest's and the checker's CPU goes per run event.
 *
 * The measured throughput phase runs without a profiler, which would slow what it measures.
 * This pass starts ingest and a checker again under `node --cpu-prof`, warms them up, publishes
 * a batch of run events and waits for every finding; only the samples taken between that
 * publish and the last finding count, so start-up, warm-up and shutdown are left out. The
 * summary (`cpu-profile.ts`) is published as the table "Where Bridge's CPU goes".
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, stopService, type ServiceProcess } from './bench-processes';
import { summariseCpuProfile, type CpuProfile, type CpuSummary } from './cpu-profile';

const PROFILE_RUNS = Number(process.env.BENCH_PROFILE_RUNS ?? 5_000);

export interface ProfileResult {
  runs: number;
  ingest: CpuSummary;
  checker: CpuSummary;
}

export interface ProfileContext {
  dbUrl: string;
  ingestPort: number;
  checkerPort: number;
  /** The environment ingest and the checker ran with in the throughput phase. */
  env: NodeJS.ProcessEnv;
  /** Every service started so far; the running ingest and checkers are stopped first. */
  services: ServiceProcess[];
  post: <T>(path: string, body: unknown) => Promise<T>;
  awaitFindings: (dbUrl: string, runIds: string[], timeoutMs: number) => Promise<unknown>;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export async function profilePhase(ctx: ProfileContext): Promise<ProfileResult> {
  for (const service of ctx.services) {
    if (['ingest', 'checker', 'checker-repairing'].includes(service.name)) {
      await stopService(service);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  try {
    const start = (name: 'ingest' | 'checker', port: number) =>
      startService(`${name}-profiled`, name, port, { ...ctx.env, HTTP_PORT: String(port) }, [
        '--cpu-prof',
        `--cpu-prof-dir=${join(dir, name)}`,
      ]);
    const ingest = await start('ingest', ctx.ingestPort);
    const checker = await start('checker', ctx.checkerPort);
    ctx.services.push(ingest, checker);

    const warm = await ctx.post<{ runIds: string[] }>('/sim/generate/batch', {
      count: 500,
      outputsPerRun: 10,
    });
    await ctx.awaitFindings(ctx.dbUrl, warm.runIds, 120_000);
    const fromUs = monotonicUs();
    const batch = await ctx.post<{ runIds: string[] }>('/sim/generate/batch', {
      count: PROFILE_RUNS,
      outputsPerRun: 10,
      missingRate: 0.05,
    });
    await ctx.awaitFindings(ctx.dbUrl, batch.runIds, 300_000);
    const window = { fromUs, toUs: monotonicUs() };
    // The profiles are written as the processes exit.
    await stopService(ingest);
    await stopService(checker);
    const summaryOf = (name: string) => {
      const files = readdirSync(join(dir, name)).filter((f) => f.endsWith('.cpuprofile'));
      if (files.length !== 1)
        throw new Error(`${name}: expected one CPU profile, found ${files.length}`);
      const profile = JSON.parse(readFileSync(join(dir, name, files[0]), 'utf8')) as CpuProfile;
      return summariseCpuProfile(profile, window, 8);
    };
    return { runs: PROFILE_RUNS, ingest: summaryOf('ingest'), checker: summaryOf('checker') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
