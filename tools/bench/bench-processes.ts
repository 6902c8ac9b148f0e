/**
 * The benchmark's moving parts as real processes: the built simulator, ingest and checker
 * started with `node` from `dist/` (logs in `.stack/logs/bench-<name>.log`), each waited for
 * on its health endpoint, and their CPU time
 * read from `/proc` so the report can say how much CPU Bridge's own processes spent per event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  port: number;
}

export function distEntry(app: string): string {
  const entry = join(ROOT, 'dist', 'apps', app, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

export async function startService(
  name: string,
  app: string,
  port: number,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  const logDir = join(ROOT, '.stack', 'logs');
  mkdirSync(logDir, { recursive: true });
  const log = openSync(join(logDir, `bench-${name}.log`), 'w');
  const child = spawn(process.execPath, [...nodeArgs, distEntry(app)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  const service = { name, child, port };
  await waitHealthy(service, 60_000);
  return service;
}

async function waitHealthy(service: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with code ${service.child.exitCode} during start-up`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${service.port}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${service.name} did not become healthy`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function stopService(service: ServiceProcess): Promise<void> {
  // Stopped already (a phase may stop a service before the end): a process ended by a signal
  // has a null exit code but a signal code, and its 'exit' event will not come again.
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** User + system CPU time of a process so far, in milliseconds (Linux `/proc`). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Busy and total CPU time of the whole machine so far, in milliseconds (Linux `/proc/stat`). */
export function machineCpuMs(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  const ticksToMs = 1000 / 100;
  return { busy: (total - idle - iowait) * ticksToMs, total: total * ticksToMs };
}

/**
 * CPU time so far of every process on the machine, in milliseconds, summed per name: the
 * benchmark's services by their own name, everything else by its command (`java` for Kafka and
 * the registry, `postgres`…). Processes that end between two snapshots simply drop out.
 */
export function cpuByProcess(services: readonly ServiceProcess[]): Map<string, number> {
  const names = new Map(services.map((service) => [service.child.pid, service.name]));
  const totals = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const name = names.get(Number(entry)) ?? command;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    totals.set(name, (totals.get(name) ?? 0) + ms);
  }
  return totals;
}

/** What a benchmark phase gets from `run-bench.ts`: the stack, the simulator, a port, helpers. */
export interface PhaseContext {
  dbUrl: string;
  simUrl: string;
  /** HTTP port for the service the phase starts. */
  port: number;
  /** Bridge environment for that service. */
  env: NodeJS.ProcessEnv;
  nodeArgs: string[];
  sql: (url: string, text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;
  post: <T>(path: string, body: unknown) => Promise<T>;
  /** Every process the benchmark started; a phase adds its own (they are stopped at the end). */
  services: ServiceProcess[];
}
