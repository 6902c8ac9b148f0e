/**
 * `npm start` as a newcomer runs it: the built all-in-one process with no configuration but a
 * data directory. It must record findings on its own (demo traffic, in-process bus, PGlite),
 * stop cleanly on Ctrl-C, and, started again on the same data, carry on where it was without
 * reporting anything a second time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { eventually } from './stack-config';
import { distMain, freePorts, ROOT, ServiceProcess } from './service-processes';

interface Activity {
  eventsIn: number;
  findings: Array<{ eventType: string; mismatchType: string | null; total: number }>;
  checksPending: number | null;
}

interface LoggedFinding {
  id: string;
  dedupe_key: string;
  event_type: string;
  created_at: Date;
  outbound_event_id: string | null;
  published_at: Date | null;
}

/** Only what a shell gives a newcomer: none of the stack's variables the global setup exports. */
function bareEnvironment(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

function startAllInOne(dataDir: string, port: number): ServiceProcess {
  const child = spawn(process.execPath, [distMain('all-in-one')], {
    cwd: ROOT,
    env: bareEnvironment({
      BRIDGE_DATA_DIR: dataDir,
      HTTP_PORT: String(port),
      // Faster than the demo's defaults, so that the test sees every kind of finding soon.
      SIM_DEMO_RATE: '20',
      CHECK_GRACE_DELAY_MS: '1000',
      CHECK_RETRY_DELAYS_MS: '500,1000',
      SIM_DEMO_LONG_LAG_MS: '3000',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServiceProcess('all-in-one', 'all-in-one', port, child);
}

async function activity(port: number): Promise<Activity> {
  const response = await fetch(`http://127.0.0.1:${port}/status`);
  if (response.status !== 200) throw new Error(`GET /status answered ${response.status}`);
  return (await response.json()) as Activity;
}

const totalFindings = (a: Activity) => a.findings.reduce((sum, f) => sum + f.total, 0);

/**
 * Ctrl-C: SIGINT, and the process must exit on its own within `withinMs`: by the signal, which
 * Nest raises again once the application is closed, or with code 0; never with a failure code.
 */
async function interrupt(process: ServiceProcess, withinMs = 30_000): Promise<void> {
  process.child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((resolve) =>
    setTimeout(() => resolve('timeout'), withinMs),
  );
  const outcome = await Promise.race([process.exited, timeout]);
  if (outcome === 'timeout') {
    await process.kill();
    throw new Error(`Ctrl-C did not stop the process within ${withinMs} ms:\n${process.logs()}`);
  }
  expect(outcome.signal === 'SIGINT' || outcome.code === 0).toBe(true);
  expect(process.logs()).not.toMatch(/ERROR/);
}

/** The sync event log as the process left it (PGlite opens the directory once it is free). */
async function loggedFindings(dataDir: string): Promise<LoggedFinding[]> {
  const db = new PGlite(join(dataDir, 'pglite'));
  try {
    const result = await db.query<LoggedFinding>(
      `SELECT id, dedupe_key, event_type, created_at, outbound_event_id, published_at
         FROM sync_events ORDER BY created_at`,
    );
    return result.rows;
  } finally {
    await db.close();
  }
}

describe('the all-in-one process (npm start)', () => {
  let dataDir: string;
  let running: ServiceProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bridge-all-in-one-'));
  });

  afterAll(async () => {
    await running?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records findings with no configuration, stops on Ctrl-C, and resumes on its data without duplicates', async () => {
    const [port] = await freePorts(1);

    running = startAllInOne(dataDir, port);
    await running.healthy(90_000);
    const first = await eventually(
      async () => {
        const now = await activity(port);
        const kinds = new Set(now.findings.map((f) => f.mismatchType ?? f.eventType));
        return totalFindings(now) >= 60 && kinds.has('missing_entity') ? now : undefined;
      },
      90_000,
      'ok and missing_entity findings from the demo traffic',
    );
    expect(first.eventsIn).toBeGreaterThan(0);
    // Bridge reached the simulated components with OAuth2 tokens from their token endpoint.
    expect(running.logs()).toContain('Bridge authenticates to them with OAuth2 tokens');
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const auth = (await (
      await fetch(`http://127.0.0.1:${port}/sim/auth`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { kind: string; tokensIssued: number };
    expect(auth.kind).toBe('oauth2');
    expect(auth.tokensIssued).toBeGreaterThan(0);
    await interrupt(running);
    expect(running.logs()).toContain('demo traffic stopped');

    const afterFirst = await loggedFindings(dataDir);
    expect(afterFirst.length).toBeGreaterThanOrEqual(totalFindings(first));
    // Every finding that announces itself went out before the process stopped.
    expect(afterFirst.filter((f) => f.outbound_event_id && !f.published_at)).toEqual([]);

    running = startAllInOne(dataDir, port);
    await running.healthy(90_000);
    const resumed = await activity(port);
    expect(totalFindings(resumed)).toBeGreaterThanOrEqual(afterFirst.length);
    await eventually(
      async () =>
        totalFindings(await activity(port)) >= afterFirst.length + 40 ? true : undefined,
      90_000,
      'new findings after the restart',
    );
    await interrupt(running);
    running = undefined;

    const afterSecond = await loggedFindings(dataDir);
    expect(afterSecond.length).toBeGreaterThanOrEqual(afterFirst.length + 40);
    // What the first run recorded is still there, untouched: nothing was reported again.
    const second = new Map(afterSecond.map((f) => [f.id, f]));
    for (const finding of afterFirst) {
      expect(second.get(finding.id)).toEqual(finding);
    }
    expect(afterSecond.filter((f) => f.outbound_event_id && !f.published_at)).toEqual([]);
  }, 300_000);
});
