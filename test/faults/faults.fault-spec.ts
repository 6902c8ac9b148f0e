/**
 * The fault suite (`npm run test:faults`): under a steady stream of completed runs from the
 * simulator, whose ground truth says which ones lost an output, each test breaks one thing
 * while Bridge works, mends it, lets the system settle, and checks that every run got exactly
 * its one correct finding, published, every missing output was resubmitted exactly once, the
 * consumer lag is back to zero and the outboxes are empty.
 *
 * The faults: each service SIGKILLed mid-batch and started again (the scanner mid-scan), the
 * Kafka broker restarted with its data, PostgreSQL restarted, Cappella, Hippo and Canon each
 * unreachable and each slow, Hippo answering after the client's timeout, the schema registry
 * partitioned away. Alongside the runs, the outputs of earlier runs are deleted every half
 * second, with Canon left holding some of their artifacts, so that staleness checks and
 * evictions go through the faults too. The figures of each (runs, processed, lost, duplicated, time to recover) go to
 * `test-output/fault-report.{json,md}`; `docs/reliability.md` quotes a run of it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComponentName } from '@bridge/config';
import type { ScanView } from '@bridge/query-api';
import type { ComponentFaults, GenerationResult, ScanTruth } from '@bridge/simulator';
import { ROOT } from '../service-processes';
import { eventually } from '../stack-config';
import { tallyFindings, type FaultTally } from './fault-tally';
import {
  FAULT_PROFILE,
  FAULT_PROFILE_SETTINGS,
  FaultWorld,
  resubmissionRoots,
  sum,
} from './fault-world';

/** The steady stream each fault happens under: 100 runs a second for 12 s. */
const RATE = 100;
const STREAM_MS = 12_000;
/** When, into the stream, the fault is injected. */
const FAULT_AT_MS = 3_000;
const SETTLE_TIMEOUT_MS = 150_000;
/** The burst the checker is killed in. */
const CHECKER_BURST = 2_000;

interface FaultReport {
  fault: string;
  /** Run completions and availability changes sent under the fault, and resubmitted runs. */
  events: number;
  processed: number;
  lost: number;
  duplicated: number;
  wrong: number;
  resent: number;
  /** How long the fault lasted: from its injection until it ended (a killed service ready again). */
  faultMs: number;
  /** From the end of the fault until every run sent before that end had its finding. */
  recoverMs: number | null;
  /** From the end of the fault until everything settled (findings, repairs, lag, outbox). */
  settleMs: number;
  note: string;
}

/** What an injected fault reports back: when it began and ended, and runs it sent itself. */
interface FaultOutcome {
  injectedAt: number;
  healedAt: number;
  extra?: GenerationResult[];
  note?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fault suite', () => {
  let world: FaultWorld;
  const reports: FaultReport[] = [];
  /** What each fault that never settled was still waiting for: the last test reports them. */
  const unsettled: string[] = [];
  /** Runs of settled faults whose outputs are all in Hippo: what later deletions take. */
  const checkedOkRuns: string[] = [];

  beforeAll(async () => {
    world = await FaultWorld.start();
    // History that predates Bridge, for the scan: only a full scan can find what is in it.
    world.sim.seedHistory({
      runs: 1_000,
      outputsPerRun: 4,
      missingEntityRate: 0.01,
      danglingReferenceRate: 0.01,
      orphanProvenanceRate: 0.01,
      ageMs: 10 * 60_000,
    });
  }, 420_000);

  afterAll(async () => {
    printReport(reports);
    await world?.close();
  }, 120_000);

  /**
   * Streams runs (and, unless `deletions` is false, deletes the outputs of an earlier run every
   * half second, leaving Canon some of their artifacts), injects the fault `FAULT_AT_MS` into
   * the stream, waits for the stream and the fault to end, settles, scores and reports.
   */
  async function underFault(
    fault: string,
    inject: () => Promise<FaultOutcome>,
    { deletions = true }: { deletions?: boolean } = {},
  ): Promise<FaultTally> {
    const streaming = world.stream(RATE, STREAM_MS);
    const availabilityIds: string[] = [];
    const deleting = deletions ? deleteWhile(streaming, availabilityIds) : Promise.resolve();
    let outcome: FaultOutcome;
    try {
      await sleep(FAULT_AT_MS);
      outcome = await inject();
    } finally {
      // Even when the injection fails, nothing of this test may run on into the next one.
      await Promise.allSettled([streaming, deleting]);
    }
    const generations = [await streaming, ...(outcome.extra ?? [])];
    return settleAndReport(fault, generations, outcome, availabilityIds);
  }

  /** Deletes the outputs of one checked run every 500 ms until `until` ends. */
  async function deleteWhile(until: Promise<unknown>, eventIds: string[]): Promise<void> {
    let done = false;
    const stop = () => (done = true);
    until.then(stop, stop);
    for (let i = 0; !done && checkedOkRuns.length > 0; i += 1) {
      const runId = checkedOkRuns.shift() ?? '';
      // A delete that cannot read the run's outputs (Cappella down) is simply not made.
      const eventId = await world.deleteOutputs(runId, i % 3).catch(() => undefined);
      if (eventId) eventIds.push(eventId);
      await sleep(500);
    }
  }

  async function settleAndReport(
    fault: string,
    generations: GenerationResult[],
    outcome: FaultOutcome,
    availabilityIds: string[] = [],
  ): Promise<FaultTally> {
    const runIds = generations.flatMap((g) => g.runIds);
    const { tally, settledAt } = await settle(fault, runIds, availabilityIds);
    const report: FaultReport = {
      fault,
      events: tally.processed + tally.lost + tally.duplicated + tally.wrong,
      ...pick(tally),
      faultMs: outcome.healedAt - outcome.injectedAt,
      recoverMs: await recoveryMs(generations, outcome.healedAt),
      settleMs: settledAt - outcome.healedAt,
      note: [`${availabilityIds.length} deletions`, outcome.note]
        .filter((part) => part !== undefined && !part.startsWith('0 '))
        .join('; '),
    };
    reports.push(report);
    writeReport(reports); // after each fault, so that a run cut short still leaves its figures
    if (tally.problems.length > 0) {
      throw new Error(
        `${fault}: ${tally.lost} lost, ${tally.duplicated} duplicated, ${tally.wrong} wrong:\n` +
          tally.problems.slice(0, 20).join('\n'),
      );
    }
    expect(report).toMatchObject({ lost: 0, duplicated: 0, wrong: 0 });
    expect(report.processed).toBeGreaterThan(0);
    const truth = world.sim.truth().runs;
    checkedOkRuns.push(...runIds.filter((runId) => truth[runId]?.kind === 'ok'));
    return tally;
  }

  /**
   * Waits until every run (and every resubmission they caused) has its one correct finding,
   * published and seen on Kafka, no repair is open, no outbound event is owed and no group
   * lags. A duplicate or a wrong finding never heals, so it ends the wait at once.
   */
  async function settle(
    fault: string,
    runIds: string[],
    availabilityIds: string[],
  ): Promise<{ tally: FaultTally; settledAt: number }> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      let last: string;
      try {
        const owed = world.expectations(runIds, availabilityIds);
        const evidence = await world.evidence(owed);
        const tally = tallyFindings(owed, (subject) => {
          const found = evidence.get(subject);
          if (!found) throw new Error(`no evidence for ${subject}`);
          return found;
        });
        if (tally.duplicated > 0 || tally.wrong > 0) return { tally, settledAt: Date.now() };
        const backlog = await world.backlog();
        const lagging = await world.consumerLagByPartition();
        const reported = [...(await world.reportedLagByService())].filter(([, lag]) => lag > 0);
        const lag = sum(lagging.values()) + sum(reported.map(([, n]) => n));
        // Kept short: a CI log shows its tail, and this line is what it must show.
        last = [
          `${tally.lost} event(s) without their outcome (${tally.problems.slice(0, 3).join('; ')})`,
          `backlog ${JSON.stringify(backlog)}`,
          `broker-side lag ${JSON.stringify(Object.fromEntries([...lagging].slice(0, 6)))}${lagging.size > 6 ? ` and ${lagging.size - 6} more` : ''}`,
          `reported lag ${JSON.stringify(Object.fromEntries(reported))}`,
          `repairs not done ${JSON.stringify(await world.repairsNotDone())}`,
          // A lost event is most often a dead letter: say which, since the test that checks
          // for dead letters runs only after every fault.
          `dead letters so far ${world.deadLetters.length}${world.deadLetters.length > 0 ? ` (${world.deadLetters.slice(-3).join('; ')})` : ''}`,
        ].join(', ');
        const quiet =
          backlog.findings === 0 && backlog.repairs === 0 && backlog.openRepairs === 0 && lag === 0;
        if (tally.lost === 0 && quiet) return { tally, settledAt: Date.now() };
      } catch (error) {
        last = `not readable yet: ${(error as Error).message}`;
      }
      if (Date.now() > deadline) {
        const lost = /([\w-]+-run-\d+): no finding/.exec(last)?.[1];
        if (lost)
          last += `; trace of ${lost}: ${await world.traceRun(lost).catch((e: Error) => e.message)}`;
        const lagging = await world.consumerLagByPartition().catch(() => new Map<string, number>());
        if (lagging.size > 0) {
          last += `; what holds the lag: ${await world.describeLag(lagging).catch((e: Error) => e.message)}`;
        }
        // The state comes last as well, so that a log cut to its tail still shows it.
        unsettled.push(`${fault}: ${last}`);
        throw new Error(
          `never settled in ${SETTLE_TIMEOUT_MS} ms: ${last}\n${world.logs(6_000)}\n` +
            `----- still, after ${SETTLE_TIMEOUT_MS} ms: ${last}`,
        );
      }
      await sleep(1_000);
    }
  }

  /** From `healedAt` until the last ok run sent before it had its finding; null if none. */
  async function recoveryMs(generations: GenerationResult[], healedAt: number) {
    const truth = world.sim.truth().runs;
    const before = generations.flatMap((g) =>
      g.runIds.filter((runId, i) => g.publishedAt[i] <= healedAt && truth[runId]?.kind === 'ok'),
    );
    if (before.length === 0) return null;
    const { rows } = await world.pool.query<{ last: Date | null }>(
      `SELECT max(created_at) AS last FROM sync_events
        WHERE source_id = ANY($1::text[]) AND dedupe_key LIKE 'post_run:%'`,
      [before],
    );
    const last = rows[0].last?.getTime();
    return last === undefined ? null : Math.max(0, last - healedAt);
  }

  // First, while Cappella holds only the history: the oracle is taken a few seconds before
  // the scan starts, and no run may cross the grace cutoff in between.
  it('finishes a scan whose scanner is SIGKILLed mid-scan, with the oracle’s findings', async () => {
    const oracle = world.scanTruth();
    expect(oracle.counts.missing_entity).toBeGreaterThan(0);
    let scanId = '';
    let finishedAfterMs = 0;
    await underFault(
      'scanner SIGKILLed mid-scan',
      async () => {
        ({ scan_id: scanId } = await world.api<{ scan_id: string }>('POST', 'scan', {
          mode: 'full',
        }));
        const halfway = await eventually(
          async () => {
            const scan = await world.api<ScanView>('GET', `scans/${scanId}`);
            return scan.items.hippo >= 500 ? scan : undefined;
          },
          90_000,
          'the scan to be into its Hippo side',
        );
        expect(halfway.status).toBe('running');
        const { killedAt, readyAt } = await world.crash('scanner');
        const done = await eventually(
          async () => {
            const scan = await world.api<ScanView>('GET', `scans/${scanId}`);
            return scan.status === 'completed' ? scan : undefined;
          },
          120_000,
          'the scan to complete in the new scanner',
        );
        finishedAfterMs = Date.parse(done.finished_at ?? '') - readyAt;
        return {
          injectedAt: killedAt,
          healedAt: readyAt,
          note: `scan finished ${finishedAfterMs} ms after the restart`,
        };
      },
      { deletions: false },
    );
    const { rows } = await world.pool.query<{ subject: string }>(
      `SELECT mismatch_type || ' ' || source_id AS subject FROM sync_events
        WHERE dedupe_key LIKE $1`,
      [`scan:${scanId}:%`],
    );
    expect(rows.map((row) => row.subject).sort()).toEqual(subjectsOf(oracle));
    // Each missing output the scan found was resubmitted exactly once.
    const { resubmissions } = world.sim.truth();
    const rootOf = resubmissionRoots(resubmissions);
    for (const finding of oracle.missing_entity) {
      expect(resubmissions.filter((r) => rootOf(r.runId) === finding.run_id)).toHaveLength(1);
    }
  });

  it('settles a stream without faults (the baseline)', async () => {
    await underFault('none (baseline)', () => {
      const now = Date.now();
      return Promise.resolve({ injectedAt: now, healedAt: now });
    });
  });

  it('loses and repeats nothing when ingest is SIGKILLed mid-batch', async () => {
    await underFault('ingest SIGKILLed mid-batch', async () => {
      const burst = await world.burst(500);
      const {
        killedAt,
        readyAt,
        atKill: done,
      } = await world.crash('ingest', () => world.findingsAmong(burst.runIds));
      expect(done).toBeLessThan(burst.runIds.length); // the burst was still under way
      return {
        injectedAt: killedAt,
        healedAt: readyAt,
        extra: [burst],
        note: `killed right after a burst of 500 runs, ${done} of them with a finding by then`,
      };
    });
  });

  it('loses and repeats nothing when the checker is SIGKILLed mid-batch', async () => {
    await underFault('checker SIGKILLed mid-batch', async () => {
      // Large enough that the checker is still into it when killed: it checks in batches of
      // up to 1,000, and a burst of 500 could be all but done (476) by the first findings.
      const burst = await world.burst(CHECKER_BURST);
      // Killed once the checker is into the burst: some of its findings are recorded.
      await eventually(
        async () => ((await world.findingsAmong(burst.runIds)) > 0 ? true : undefined),
        30_000,
        'the first findings of the burst',
      );
      const {
        killedAt,
        readyAt,
        atKill: done,
      } = await world.crash('checker', () => world.findingsAmong(burst.runIds));
      expect(done).toBeLessThan(burst.runIds.length);
      return {
        injectedAt: killedAt,
        healedAt: readyAt,
        extra: [burst],
        note: `killed with ${done} of a burst of ${CHECKER_BURST} runs checked`,
      };
    });
  });

  it('resubmits each run once when the repair service is SIGKILLed mid-batch', async () => {
    await underFault('repair SIGKILLed mid-batch', async () => {
      const burst = await world.burst(600);
      const open = await eventually(
        async () => {
          const { openRepairs } = await world.backlog();
          return openRepairs >= 5 ? openRepairs : undefined;
        },
        30_000,
        'repairs under way',
      );
      const { killedAt, readyAt } = await world.crash('repair');
      return {
        injectedAt: killedAt,
        healedAt: readyAt,
        extra: [burst],
        note: `killed with ${open} repairs open`,
      };
    });
  });

  it('answers again, and loses nothing, when the api is SIGKILLed', async () => {
    let failedReads = 0;
    let reading = true;
    const reads = (async () => {
      while (reading) {
        await world.api('GET', 'events?limit=5').catch(() => (failedReads += 1));
        await sleep(100);
      }
    })();
    try {
      await underFault('api SIGKILLed', async () => {
        const { killedAt, readyAt } = await world.crash('api');
        await world.api('GET', 'events?limit=5');
        return {
          injectedAt: killedAt,
          healedAt: readyAt,
          note: `${failedReads} reads failed while it was down`,
        };
      });
    } finally {
      reading = false;
      await reads;
    }
  });

  it('loses and repeats nothing when the Kafka broker restarts with its data', async () => {
    const before = await world.stream(RATE, 4_000);
    const burst = await world.burst(1_000);
    const started = Date.now();
    await world.broker.restart();
    const healedAt = Date.now();
    const after = await world.stream(RATE, 5_000);
    await settleAndReport('Kafka broker restarted (data kept)', [before, burst, after], {
      injectedAt: started,
      healedAt,
      note: `restarted right after a burst of 1,000 runs; down ${healedAt - started} ms`,
    });
  });

  it('loses and repeats nothing when PostgreSQL restarts', async () => {
    await underFault('PostgreSQL restarted', async () => {
      const injectedAt = Date.now();
      await world.restartPostgres();
      return { injectedAt, healedAt: Date.now(), note: 'pg_ctlcluster restart, fast shutdown' };
    });
  });

  /** Sets `faults` on a simulated component for `forMs`, then clears them. */
  async function componentFault(
    component: ComponentName,
    faults: ComponentFaults,
    forMs: number,
    note: string,
  ): Promise<FaultOutcome> {
    const injectedAt = Date.now();
    world.sim.setFaults(component, faults);
    await sleep(forMs);
    world.sim.clearFaults(component);
    return { injectedAt, healedAt: Date.now(), note };
  }

  const OUTAGE = { outage: { status: 503 } };
  const SLOW = { slowMs: 700 };
  const PAST_TIMEOUT = { slowMs: 1_500 };
  const COMPONENTS = [
    ['Cappella', 'cappella'],
    ['Hippo', 'hippo'],
    ['Canon', 'canon'],
  ] as const;

  it.each(COMPONENTS)('holds checks and repairs through a %s outage', async (name, component) => {
    await underFault(`${name} unreachable for 6 s`, () =>
      componentFault(component, OUTAGE, 6_000, 'every request 503'),
    );
  });

  it.each(COMPONENTS)('keeps up, correctly, with a slow %s', async (name, component) => {
    await underFault(`${name} slow for 8 s`, () =>
      componentFault(component, SLOW, 8_000, '700 ms added to every request (timeout 1,000 ms)'),
    );
  });

  it('retries through a Hippo that answers after the client’s timeout', async () => {
    await underFault('Hippo past the timeout for 6 s', () =>
      componentFault(
        'hippo',
        PAST_TIMEOUT,
        6_000,
        '1,500 ms added to every request (timeout 1,000 ms)',
      ),
    );
  });

  it('loses and repeats nothing while the schema registry is partitioned away, and starts a service that comes up during it', async () => {
    await underFault('schema registry partitioned for 10 s', async () => {
      const injectedAt = Date.now();
      world.registryLink.partition();
      let healedAt: number;
      let restarted: Promise<unknown> | undefined;
      try {
        await sleep(3_000);
        // A process that starts meanwhile cannot reach the registry: it must wait, not die.
        await world.service('ingest').kill();
        restarted = world.startService('ingest');
        restarted.catch(() => undefined); // awaited below, after the heal
        await sleep(7_000);
      } finally {
        world.registryLink.heal();
        healedAt = Date.now();
      }
      await restarted;
      return {
        injectedAt,
        healedAt,
        note: `connections dropped, new ones never answered; ingest killed 3 s in and started again, ready ${((Date.now() - healedAt) / 1000).toFixed(1)} s after the heal`,
      };
    });
  });

  it('leaves no dead letter, no failed check or repair, no lag and no owed event after all of it', async () => {
    // First what any earlier fault was still waiting for, the cause of the rest: a fault that
    // never settles usually leaves the world unsettled for every fault after it.
    expect(unsettled).toEqual([]);
    expect(world.deadLetters).toEqual([]);
    expect(await world.failures()).toEqual({ failedRepairs: 0, failedChecks: 0 });
    expect(await world.backlog()).toEqual({ findings: 0, repairs: 0, openRepairs: 0 });
    expect(await world.consumerLag()).toBe(0);
    expect(await world.reportedLag()).toBe(0);
  });
});

function pick(tally: FaultTally) {
  const { processed, lost, duplicated, wrong, resent } = tally;
  return { processed, lost, duplicated, wrong, resent };
}

/** The oracle's findings as `<mismatch type> <record>`, the form the log's rows take. */
function subjectsOf(oracle: ScanTruth): string[] {
  return [
    ...oracle.missing_entity.map((f) => `missing_entity ${f.run_id}`),
    ...oracle.dangling_reference.map((f) => `dangling_reference ${f.run_id}`),
    ...oracle.orphan_provenance.map(
      (f) => `orphan_provenance ${f.entity.entity_type}:${f.entity.external_id}`,
    ),
  ].sort();
}

function reportLines(reports: FaultReport[]): string[] {
  const seconds = (ms: number | null) => (ms === null ? '–' : (ms / 1000).toFixed(1));
  return [
    `Profile: ${FAULT_PROFILE} (${FAULT_PROFILE_SETTINGS}).`,
    '',
    '| fault | events | processed | lost | duplicated | wrong | re-sent copies | fault lasted (s) | caught up after (s) | settled after (s) | note |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...reports.map(
      (r) =>
        `| ${r.fault} | ${r.events} | ${r.processed} | ${r.lost} | ${r.duplicated} | ${r.wrong} | ${r.resent} | ${seconds(r.faultMs)} | ${seconds(r.recoverMs)} | ${seconds(r.settleMs)} | ${r.note} |`,
    ),
  ];
}

function writeReport(reports: FaultReport[]): void {
  const dir = join(ROOT, 'test-output');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'fault-report.json'),
    JSON.stringify({ profile: FAULT_PROFILE, settings: FAULT_PROFILE_SETTINGS, reports }, null, 2),
  );
  writeFileSync(join(dir, 'fault-report.md'), reportLines(reports).join('\n') + '\n');
}

function printReport(reports: FaultReport[]): void {
  if (reports.length === 0) return;
  console.log(`fault report (test-output/fault-report.md):\n${reportLines(reports).join('\n')}`);
}
