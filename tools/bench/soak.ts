/**
 * `npm run soak`: every Bridge service as its own process on the local stack, under a steady
 * stream of completed runs for SOAK_MINUTES (default 30) at SOAK_RATE runs a second (default
 * 150; 5 % lose an output, which the repair service resubmits), with scheduled scans every ten
 * minutes. Every SOAK_SAMPLE_SECONDS it samples each process's resident memory, the consumer
 * lag of every group (from the services' `/metrics`) and the findings recorded.
 *
 * At the end it waits for the backlog to drain, checks the findings against the simulator's
 * ground truth, and writes `docs/soak.md` and the plot `docs/soak.png`. It exits non-zero
 * when a service's memory was not flat, the lag did not come back to zero, or a finding is
 * missing or wrong.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenDigest } from '@bridge/query-api';
import type { GenerationResult, GroundTruth } from '@bridge/simulator';
import { ROOT, startService, stopService, type ServiceProcess } from './bench-processes';
import { scrapeConsumerLag } from '../../test/service-processes';
import { benchDatabase, runEnv, sql, stackEnv, writeComponentManifest } from './bench-stack';
import { renderSoakPlot } from './soak-plot';
import { summariseSoak, type SoakSample } from './soak-summary';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const RATE = Number(process.env.SOAK_RATE ?? 150);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 15);
/** Memory is judged after this much of the stream: heaps and caches fill up first. */
const WARM_UP_MS = Math.min(5, MINUTES / 5) * 60_000;
const CHUNK_MS = 60_000;
const BASE_PORT = 4520;
const BRIDGE_SERVICES = ['ingest', 'checker', 'repair', 'scanner', 'api'] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process, MiB (Linux `/proc`). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
  return +(kb / 1024).toFixed(1);
}

async function main(): Promise<void> {
  const stack = stackEnv();
  const stamp = Date.now().toString(36);
  const db = await benchDatabase(stack, `bridge_soak_${stamp}`);
  const dbUrl = db.url;
  const manifestFile = writeComponentManifest('soak-', {
    cappella: { pageSize: 500 },
    hippo: { pageSize: 500, capabilities: { bulkLookup: true, bulkLookupMax: 1000 } },
  });
  const simPort = BASE_PORT;
  const simUrl = `http://127.0.0.1:${simPort}`;
  const common = runEnv(stack, db.url, `soak-${stamp}`);
  const bridgeEnv = {
    ...common,
    CAPPELLA_URL: simUrl,
    HIPPO_URL: simUrl,
    CANON_URL: simUrl,
    COMPONENT_MANIFEST_FILE: manifestFile,
    CHECK_GRACE_DELAY_MS: '2000',
    STRATEGY_MISSING_ENTITY: 'resubmit_run',
    SCAN_SCHEDULE: '*/10 * * * *',
    // Scans judge runs the post-run checks and their repairs are done with.
    SCAN_GRACE_DELAY_MS: '120000',
    API_TOKENS: `admin:soak:${tokenDigest(randomBytes(24).toString('hex'))}`,
  };
  const services: ServiceProcess[] = [];
  const started = Date.now();
  try {
    services.push(
      await startService('simulator', 'component-sim', simPort, {
        ...common,
        SIM_PORT: String(simPort),
        SIM_ID_PREFIX: `s${stamp}`,
        SIM_RUN_DURATION_MS: '2000',
      }),
    );
    for (const [i, name] of BRIDGE_SERVICES.entries()) {
      const port = BASE_PORT + 1 + i;
      services.push(
        await startService(name, name, port, { ...bridgeEnv, HTTP_PORT: String(port) }),
      );
    }
    const bridge = services.slice(1);
    const samples: SoakSample[] = [];
    let streamStart = 0;
    const sample = async () => {
      const { rows } = await sql(
        dbUrl.toString(),
        `SELECT count(*)::int AS n FROM sync_events WHERE dedupe_key LIKE 'post_run:%'`,
      );
      const lags = await Promise.all(
        bridge.map((service) => scrapeConsumerLag(service.port).catch(() => NaN)),
      );
      samples.push({
        atMs: Date.now() - streamStart,
        rssMiB: Object.fromEntries(services.map((s) => [s.name, rssMiB(s.child.pid ?? 0)])),
        lag: lags.reduce((sum, lag) => sum + (Number.isNaN(lag) ? 0 : lag), 0),
        lagComplete: lags.every((lag) => !Number.isNaN(lag)),
        findings: (rows[0] as { n: number }).n,
      });
      const last = samples[samples.length - 1];
      console.log(
        `${(last.atMs / 60_000).toFixed(1)} min: lag ${last.lag}, findings ${last.findings}, ` +
          Object.entries(last.rssMiB)
            .map(([name, mib]) => `${name} ${mib} MiB`)
            .join(', '),
      );
    };

    console.log(`soak: ${RATE} runs/s for ${MINUTES} min, sampling every ${SAMPLE_SECONDS} s`);
    streamStart = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sample().catch((error: Error) => console.error(`sample failed: ${error.message}`));
        await sleep(SAMPLE_SECONDS * 1000);
      }
    })();
    let sent = 0;
    while (Date.now() - streamStart < MINUTES * 60_000) {
      const durationMs = Math.min(CHUNK_MS, MINUTES * 60_000 - (Date.now() - streamStart));
      if (durationMs < 1_000) break;
      const chunk = await simPost<GenerationResult>('/sim/generate/stream', {
        ratePerSecond: RATE,
        durationMs,
        outputsPerRun: 4,
      });
      sent += chunk.runIds.length;
    }
    const streamedMs = Date.now() - streamStart;

    // Drain: every run (and every resubmission) has its finding, no repair is open, nothing lags.
    const drainDeadline = Date.now() + 10 * 60_000;
    let drainedAt = 0;
    let expected = 0;
    while (Date.now() < drainDeadline) {
      await sleep(5_000);
      const last = samples[samples.length - 1];
      const truth = await simGet<GroundTruth>('/sim/truth?findings_only=true');
      expected = truth.counters.runs;
      const { rows: open } = await sql(
        dbUrl.toString(),
        `SELECT count(*)::int AS n FROM repair_jobs WHERE state NOT IN ('DONE', 'FAILED', 'REJECTED')`,
      );
      const repairing = (open[0] as { n: number }).n;
      const quiet = last && last.lag === 0 && last.lagComplete === true;
      if (quiet && last.findings >= expected && repairing === 0) {
        drainedAt = Date.now();
        break;
      }
    }
    sampling = false;
    await sampler;
    await sample();

    const final = await simGet<GroundTruth>('/sim/truth?findings_only=true');
    const { rows } = await sql(
      dbUrl.toString(),
      `SELECT event_type, count(*)::int AS n FROM sync_events
        WHERE dedupe_key LIKE 'post_run:%' GROUP BY event_type`,
    );
    const byType = Object.fromEntries(
      (rows as Array<{ event_type: string; n: number }>).map((r) => [r.event_type, r.n]),
    );
    const { rows: repairRows } = await sql(
      dbUrl.toString(),
      `SELECT state, count(*)::int AS n FROM repair_jobs GROUP BY state`,
    );
    const repairs = Object.fromEntries(
      (repairRows as Array<{ state: string; n: number }>).map((r) => [r.state, r.n]),
    );
    const findings: Record<string, number> = {
      expectedOk: final.counters.ok,
      ok: byType['bridge.sync.ok'] ?? 0,
      expectedMismatches: final.counters.missingEntityRuns,
      mismatches: byType['bridge.sync.mismatch'] ?? 0,
      checkFailed: byType['bridge.sync.check_failed'] ?? 0,
      resubmissions: final.counters.resubmissions,
      repairsDone: repairs.DONE ?? 0,
      repairsOther: Object.entries(repairs)
        .filter(([state]) => state !== 'DONE')
        .reduce((sum, [, n]) => sum + n, 0),
    };
    const summary = summariseSoak(samples, BRIDGE_SERVICES, WARM_UP_MS, streamedMs);
    // Every run the ground truth says lost an output has its mismatch (with the ok count equal,
    // no run can be wrong the other way), no message was dead-lettered, no repair failed.
    const { rows: wrongRows } = await sql(
      dbUrl.toString(),
      `SELECT count(*)::int AS n FROM unnest($1::text[]) AS k(key)
        WHERE NOT EXISTS (SELECT 1 FROM sync_events e
                           WHERE e.dedupe_key = k.key AND e.event_type = 'bridge.sync.mismatch')`,
      [
        Object.values(final.runs)
          .filter((run) => run.kind === 'missing_entity')
          .map((run) => `post_run:${run.runId}`),
      ],
    );
    const { rows: deadRows } = await sql(
      dbUrl.toString(),
      `SELECT count(*)::int AS n FROM dead_letters`,
    );
    findings.missingWithoutMismatch = (wrongRows[0] as { n: number }).n;
    findings.deadLetters = (deadRows[0] as { n: number }).n;
    const correct =
      findings.ok === findings.expectedOk &&
      findings.mismatches === findings.expectedMismatches &&
      findings.checkFailed === 0 &&
      findings.repairsDone === findings.expectedMismatches &&
      findings.resubmissions === findings.expectedMismatches &&
      findings.missingWithoutMismatch === 0 &&
      findings.deadLetters === 0;
    const pass =
      correct && drainedAt > 0 && summary.lag.final === 0 && summary.memory.every((m) => m.flat);

    writeFileSync(join(ROOT, '.stack', 'logs', 'soak-samples.json'), JSON.stringify(samples));
    const title = `Soak: ${RATE} runs/s for ${(streamedMs / 60_000).toFixed(1)} min (${sent.toLocaleString('en')} runs)`;
    await renderSoakPlot(
      samples,
      { services: BRIDGE_SERVICES, others: ['simulator'] },
      title,
      join(ROOT, 'docs', 'soak.png'),
    );
    const report = renderSoakReport({
      title,
      streamedMs,
      sent,
      expected,
      drainMs: drainedAt > 0 ? drainedAt - streamStart - streamedMs : null,
      findings,
      summary,
      pass,
      startedAt: new Date(started).toISOString(),
    });
    writeFileSync(join(ROOT, 'docs', 'soak.md'), report);
    console.log(report);
    if (!pass) process.exitCode = 1;
  } finally {
    for (const service of services.reverse()) await stopService(service);
    await db.drop().catch(() => undefined);
  }

  async function simPost<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${simUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async function simGet<T>(path: string): Promise<T> {
    const response = await fetch(`${simUrl}${path}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }
}

interface SoakReport {
  title: string;
  streamedMs: number;
  sent: number;
  expected: number;
  drainMs: number | null;
  findings: Record<string, number>;
  summary: ReturnType<typeof summariseSoak>;
  pass: boolean;
  startedAt: string;
}

function renderSoakReport(r: SoakReport): string {
  const memoryRows = r.summary.memory.map(
    (m) =>
      `| ${m.service} | ${m.startMiB.toFixed(0)} | ${m.endMiB.toFixed(0)} | ${m.peakMiB.toFixed(0)} | ${(m.growth * 100).toFixed(1)} % | ${m.flat ? 'flat' : '**grew**'} |`,
  );
  const f = r.findings;
  return `# Soak

${r.title}, started ${r.startedAt} by \`npm run soak\` (\`SOAK_MINUTES=${MINUTES} SOAK_RATE=${RATE}\`).
Every Bridge service ran as its own process on the local stack (Kafka, Apicurio, PostgreSQL),
with the simulator as Cappella, Hippo and Canon; 5 % of the runs lost an output and were
resubmitted by the repair service; the scanner ran a scheduled scan every ten minutes.
Verdict: **${r.pass ? 'pass' : 'FAIL'}**.

![memory and lag over time](soak.png)

## Memory (resident set, MiB)

Medians of the first and the last fifth of the samples after a ${(WARM_UP_MS / 60_000).toFixed(0)}-minute warm-up;
"flat" means it grew less than 15 % between them. The simulator keeps its whole world in
memory, so it grows by design and is plotted but not judged.

| service | start | end | peak | growth | verdict |
| --- | ---: | ---: | ---: | ---: | --- |
${memoryRows.join('\n')}

## Consumer lag (all groups of all services)

Largest ${r.summary.lag.max}, 95th percentile ${r.summary.lag.p95}, at the end ${r.summary.lag.final}
(sampled every ${SAMPLE_SECONDS} s). After the stream ended, the backlog drained in
${r.drainMs === null ? 'more than ten minutes (did not drain)' : `${(r.drainMs / 1000).toFixed(1)} s`}.

## Findings against the ground truth

| | expected | recorded |
| --- | ---: | ---: |
| ok | ${f.expectedOk} | ${f.ok} |
| mismatch (missing entity) | ${f.expectedMismatches} | ${f.mismatches} |
| check failed | 0 | ${f.checkFailed} |
| resubmissions at Cappella | ${f.expectedMismatches} | ${f.resubmissions} |
| repair jobs done | ${f.expectedMismatches} | ${f.repairsDone} (other states: ${f.repairsOther}) |
| runs that lost an output without their mismatch | 0 | ${f.missingWithoutMismatch} |
| dead letters | 0 | ${f.deadLetters} |

${r.sent.toLocaleString('en')} runs were streamed; with the resubmissions, ${r.expected.toLocaleString('en')} runs were owed a finding.
`;
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
