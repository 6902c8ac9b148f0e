/**
 * Bridge services as real processes for integration tests: the built entry points
 * (`dist/apps/<service>/main.js`, from `npm run build`) started with `node`,
 * their output kept in memory so a failing test can show it, waited for on `GET /health`, and
 * stopped gracefully (SIGTERM) or killed like a crash (SIGKILL). Also what such tests ask Kafka
 * about consumer groups: which member holds which partitions, and what each group committed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { AssignerProtocol, type Admin } from 'kafkajs';

export const ROOT = join(__dirname, '..');

export const SERVICE_NAMES = ['ingest', 'checker', 'repair', 'scanner', 'api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
/** Every application `npm run build` puts under `dist/apps/`. */
export type BuiltApp = ServiceName | 'component-sim' | 'all-in-one';

/** Most output kept per process (the tail), enough for a start-up failure's stack. */
const OUTPUT_LIMIT = 256 * 1024;

export interface HealthReport {
  status: string;
  details: Record<string, { status: string } & Record<string, unknown>>;
}

export class ServiceProcess {
  private output = '';
  /** Whether older output was dropped, leaving the kept tail's first line partial. */
  private truncated = false;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    /** Label in messages, e.g. `checker-2`. */
    readonly label: string,
    readonly service: BuiltApp,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      const all = this.output + chunk.toString('utf8');
      this.truncated ||= all.length > OUTPUT_LIMIT;
      this.output = all.slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** What the process printed so far (its last 256 KiB). */
  logs(): string {
    return this.output;
  }

  /**
   * The whole lines of `logs()`, without empty ones: not the first if older output was cut
   * off in its middle, nor a last one still being written.
   */
  logLines(): string[] {
    const lines = this.output.split('\n');
    lines.pop(); // after the last newline: empty, or a line not finished yet
    if (this.truncated) lines.shift();
    return lines.filter((line) => line.trim() !== '');
  }

  describeExit(): string {
    if (!this.exit) return `${this.label} is running`;
    const how = this.exit.signal ? `signal ${this.exit.signal}` : `code ${this.exit.code}`;
    return `${this.label} exited with ${how}; its output:\n${this.output}`;
  }

  /**
   * Polls `GET /health` until it answers 200 and returns the report; fails with the process's
   * output if it exits first or is not healthy within `timeoutMs`.
   */
  async healthy(timeoutMs = 60_000): Promise<HealthReport> {
    const deadline = Date.now() + timeoutMs;
    let last: string;
    for (;;) {
      if (!this.running)
        throw new Error(`${this.label} died during start-up: ${this.describeExit()}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/health`, {
          signal: AbortSignal.timeout(2_000),
        });
        const body = await response.text();
        if (response.status === 200) return JSON.parse(body) as HealthReport;
        last = `HTTP ${response.status} ${body}`;
      } catch (error) {
        last = (error as Error).message; // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${this.label} not healthy after ${timeoutMs} ms (last: ${last}); its output:\n${this.output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Graceful stop: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: no shutdown hooks, no last commit, exactly like a crashed process. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The built entry point of a service; fails with a hint when `npm run build` has not run. */
export function distMain(app: BuiltApp): string {
  const entry = join(ROOT, 'dist', 'apps', app, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

/**
 * Starts a built service with `env` on top of this process's environment and HTTP on `port`.
 * Returns at once (the process is still starting; see `healthy`).
 */
export function spawnService(
  service: ServiceName,
  port: number,
  env: NodeJS.ProcessEnv,
  label: string = service,
): ServiceProcess {
  const child = spawn(process.execPath, [distMain(service)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServiceProcess(label, service, port, child);
}

/** Stops every process that still runs (SIGTERM, all at once) and waits until all exited. */
export async function stopAll(services: readonly ServiceProcess[]): Promise<void> {
  await Promise.all(services.map((service) => service.stop()));
}

/** Runs every clean-up step even when some fail, then throws the first failure. */
export async function cleanUp(steps: Array<() => Promise<unknown> | undefined>): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** `count` distinct TCP ports that were free on 127.0.0.1 a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => (server.address() as AddressInfo).port);
  } finally {
    await Promise.all(
      servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))),
    );
  }
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  /** Partitions per topic assigned to this member in the current generation. */
  assignment: Record<string, number[]>;
}

/** The state of a consumer group and its members' partitions, as the coordinator reports them. */
export async function describeGroup(
  admin: Admin,
  groupId: string,
): Promise<{ state: string; members: GroupMember[] }> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups.find((g) => g.groupId === groupId);
  if (!group) return { state: 'Unknown', members: [] };
  return {
    state: group.state,
    members: group.members.map((member) => ({
      memberId: member.memberId,
      clientId: member.clientId,
      assignment:
        member.memberAssignment.length > 0
          ? (AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {})
          : {},
    })),
  };
}

/**
 * The consumer lag a service reports on its `/metrics` (`bridge_consumer_lag`), summed over
 * its groups, topics and partitions.
 */
export function scrapeConsumerLag(port: number): Promise<number> {
  return scrapeMetricSum(port, 'bridge_consumer_lag');
}

/** The sum of every series of the metric `name` a service reports on its `/metrics`. */
export async function scrapeMetricSum(port: number, name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET /metrics on port ${port}: HTTP ${response.status}`);
  let total = 0;
  for (const line of (await response.text()).split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Committed offset per partition of `topic` for `groupId` (-1: nothing committed). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(
    (entry?.partitions ?? []).map((partition) => [partition.partition, Number(partition.offset)]),
  );
}
