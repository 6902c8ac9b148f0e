/**
 * How a fault suite runs one fault and scores it, shared by the suites (`faults.fault-spec.ts`
 * on one broker, `cluster.fault-spec.ts` on the three-node cluster): under a steady stream of
 * completed runs from the simulator (and, alongside, deletions of earlier runs' outputs with
 * Canon left holding some artifacts), the fault is injected, mended, the world settles, and
 * every run is scored against the ground truth with `tallyFindings`. Each fault adds a line to
 * `test-output/<report>.{json,md}`, written after every fault so that a run cut short still
 * leaves its figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenerationResult } from '@bridge/simulator';
import { ROOT } from '../service-processes';
import { tallyFindings, type FaultTally } from './fault-tally';
import { FAULT_PROFILE, FAULT_PROFILE_SETTINGS, sum, type FaultWorld } from './fault-world';

/** The steady stream each fault happens under (100 runs a second for 12 s), and when into it the fault comes. */
export const FAULT_STREAM = { ratePerSecond: 100, durationMs: 12_000, faultAtMs: 3_000 };

export interface FaultReport {
  fault: string;
  /** Run completions and availability changes sent under the fault, and resubmitted runs. */
  events: number;
  processed: number;
  lost: number;
  duplicated: number;
  /** Subjects repaired more than once (a run resubmitted twice, a cache evicted twice). */
  doubleRepairs: number;
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
export interface FaultOutcome {
  injectedAt: number;
  healedAt: number;
  extra?: GenerationResult[];
  note?: string;
}

/** A line on stderr as the suite goes (Jest shows console output only once a test ends). */
function progress(line: string): void {
  process.stderr.write(`[fault ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultRun {
  readonly reports: FaultReport[] = [];
  /** What each fault that never settled was still waiting for: a suite's last test reports them. */
  readonly unsettled: string[] = [];
  /** Runs of settled faults whose outputs are all in Hippo: what later deletions take. */
  private readonly checkedOkRuns: string[] = [];
  /** `partitionRewinds` when the last report was made. */
  private rewindsSeen = 0;

  constructor(
    private readonly world: FaultWorld,
    /** The report's file name under `test-output/`, without extension. */
    private readonly reportName: string,
    private readonly settleTimeoutMs = 150_000,
  ) {}

  /**
   * A suite's last test: no fault left unsettled, and over the whole run no dead letter, no
   * failed check or repair, no outbound event owed, no lag on the broker or in the services.
   */
  async expectNothingLeft(): Promise<void> {
    // First what any earlier fault was still waiting for, the cause of the rest: a fault that
    // never settles usually leaves the world unsettled for every fault after it.
    expect(this.unsettled).toEqual([]);
    expect(this.world.deadLetters).toEqual([]);
    expect(await this.world.failures()).toEqual({ failedRepairs: 0, failedChecks: 0 });
    expect(await this.world.backlog()).toEqual({ findings: 0, repairs: 0, openRepairs: 0 });
    expect(await this.world.consumerLag()).toBe(0);
    expect(await this.world.reportedLag()).toBe(0);
  }

  /** Prints the report so far (a suite's `afterAll`). */
  print(): void {
    if (this.reports.length === 0 && this.unsettled.length === 0) return;
    // What a fault that never settled was waiting for comes last: a CI log keeps only its tail,
    // and without this line a failure there cannot be read.
    const unsettled = this.unsettled.map((line) => `never settled: ${line.slice(0, 3_000)}`);
    console.log(
      [
        `fault report (test-output/${this.reportName}.md):`,
        ...reportLines(this.reports),
        ...unsettled,
      ].join('\n'),
    );
  }

  /**
   * Streams runs (and, unless `deletions` is false, deletes the outputs of an earlier run every
   * half second, leaving Canon some of their artifacts), injects the fault `FAULT_STREAM.faultAtMs` into
   * the stream, waits for the stream and the fault to end, settles, scores and reports.
   */
  async underFault(
    fault: string,
    inject: () => Promise<FaultOutcome>,
    { deletions = true }: { deletions?: boolean } = {},
  ): Promise<FaultTally> {
    progress(`${fault}: streaming`);
    const streaming = this.world.stream(FAULT_STREAM.ratePerSecond, FAULT_STREAM.durationMs);
    const availabilityIds: string[] = [];
    const deleting = deletions ? this.deleteWhile(streaming, availabilityIds) : Promise.resolve();
    let outcome: FaultOutcome;
    try {
      await sleep(FAULT_STREAM.faultAtMs);
      outcome = await inject().catch((error: unknown) => {
        // A fault that could not be carried out (a restarted service that never joined its
        // group, say) leaves its trail in the services' logs, as one that never settles.
        progress(`${fault}: failed: ${(error as Error).message}; ${this.keepLogs(fault)}`);
        throw error;
      });
      progress(`${fault}: injected and ended (${outcome.note ?? 'no note'})`);
    } finally {
      // Even when the injection fails, nothing of this test may run on into the next one.
      await Promise.allSettled([streaming, deleting]);
    }
    const generations = [await streaming, ...(outcome.extra ?? [])];
    return this.settleAndReport(fault, generations, outcome, availabilityIds);
  }

  /** Deletes the outputs of one checked run every 500 ms until `until` ends. */
  async deleteWhile(until: Promise<unknown>, eventIds: string[]): Promise<void> {
    let done = false;
    const stop = () => (done = true);
    until.then(stop, stop);
    for (let i = 0; !done && this.checkedOkRuns.length > 0; i += 1) {
      const runId = this.checkedOkRuns.shift() ?? '';
      // A delete that cannot read the run's outputs (Cappella down) is simply not made.
      const eventId = await this.world.deleteOutputs(runId, i % 3).catch(() => undefined);
      if (eventId) eventIds.push(eventId);
      await sleep(500);
    }
  }

  async settleAndReport(
    fault: string,
    generations: GenerationResult[],
    outcome: FaultOutcome,
    availabilityIds: string[] = [],
  ): Promise<FaultTally> {
    const runIds = generations.flatMap((g) => g.runIds);
    const { tally, settledAt } = await this.settle(fault, runIds, availabilityIds);
    const report: FaultReport = {
      fault,
      events: tally.processed + tally.lost + tally.duplicated + tally.wrong,
      ...pick(tally),
      faultMs: outcome.healedAt - outcome.injectedAt,
      recoverMs: await this.recoveryMs(generations, outcome.healedAt),
      settleMs: settledAt - outcome.healedAt,
      note: [`${availabilityIds.length} deletions`, outcome.note, await this.rewindNote()]
        .filter((part) => part !== undefined && !part.startsWith('0 '))
        .join('; '),
    };
    this.reports.push(report);
    progress(`${fault}: ${reportLines([report]).at(-1)}`);
    writeReport(this.reportName, this.reports); // after each fault, so that a run cut short still leaves its figures
    if (tally.problems.length > 0) {
      throw new Error(
        `${fault}: ${tally.lost} lost, ${tally.duplicated} duplicated, ${tally.wrong} wrong:\n` +
          tally.problems.slice(0, 20).join('\n'),
      );
    }
    expect(report).toMatchObject({ lost: 0, duplicated: 0, doubleRepairs: 0, wrong: 0 });
    expect(report.processed).toBeGreaterThan(0);
    const truth = this.world.sim.truth().runs;
    this.checkedOkRuns.push(...runIds.filter((runId) => truth[runId]?.kind === 'ok'));
    return tally;
  }

  /**
   * Waits until every run (and every resubmission they caused) has its one correct finding,
   * published and seen on Kafka, no repair is open, no outbound event is owed and no group
   * lags. A duplicate or a wrong finding never heals, so it ends the wait at once.
   */
  async settle(
    fault: string,
    runIds: string[],
    availabilityIds: string[],
  ): Promise<{ tally: FaultTally; settledAt: number }> {
    let lastSaid = Date.now();
    const deadline = Date.now() + this.settleTimeoutMs;
    for (;;) {
      let last: string;
      try {
        const owed = this.world.expectations(runIds, availabilityIds);
        const evidence = await this.world.evidence(owed);
        const tally = tallyFindings(owed, (subject) => {
          const found = evidence.get(subject);
          if (!found) throw new Error(`no evidence for ${subject}`);
          return found;
        });
        if (tally.duplicated > 0 || tally.wrong > 0) return { tally, settledAt: Date.now() };
        const backlog = await this.world.backlog();
        const lagging = await this.world.consumerLagByPartition();
        const reported = [...(await this.world.reportedLagByService())].filter(
          ([, lag]) => lag > 0,
        );
        const lag = sum(lagging.values()) + sum(reported.map(([, n]) => n));
        // Kept short: a CI log shows its tail, and this line is what it must show.
        last = [
          `${tally.lost} event(s) without their outcome (${tally.problems.slice(0, 3).join('; ')})`,
          `backlog ${JSON.stringify(backlog)}`,
          `broker-side lag ${JSON.stringify(Object.fromEntries([...lagging].slice(0, 6)))}${lagging.size > 6 ? ` and ${lagging.size - 6} more` : ''}`,
          `reported lag ${JSON.stringify(Object.fromEntries(reported))}`,
          `repairs not done ${JSON.stringify(await this.world.repairsNotDone())}`,
          // A lost event is most often a dead letter: say which, since the test that checks
          // for dead letters runs only after every fault.
          `dead letters so far ${this.world.deadLetters.length}${this.world.deadLetters.length > 0 ? ` (${this.world.deadLetters.slice(-3).join('; ')})` : ''}`,
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
          last += `; trace of ${lost}: ${await this.world.traceRun(lost).catch((e: Error) => e.message)}`;
        const lagging = await this.world
          .consumerLagByPartition()
          .catch(() => new Map<string, number>());
        if (lagging.size > 0) {
          last += `; what holds the lag: ${await this.world.describeLag(lagging).catch((e: Error) => e.message)}`;
        }
        // Every service's whole kept output, beyond the tail the message below carries.
        last += `; ${this.keepLogs(fault)}`;
        // The state comes last as well, so that a log cut to its tail still shows it.
        this.unsettled.push(`${fault}: ${last}`);
        progress(`${fault}: never settled: ${last}`);
        throw new Error(
          `never settled in ${this.settleTimeoutMs} ms: ${last}\n${this.world.logs(6_000)}\n` +
            `----- still, after ${this.settleTimeoutMs} ms: ${last}`,
        );
      }
      if (Date.now() - lastSaid > 20_000) {
        progress(`${fault}: settling: ${last}`);
        lastSaid = Date.now();
      }
      await sleep(1_000);
    }
  }

  /**
   * How many partitions the services re-read from their group's commit since the last report
   * (at least: a killed service's count is gone with it), or nothing when none.
   */
  private async rewindNote(): Promise<string | undefined> {
    const total = await this.world.partitionRewinds();
    const since = Math.max(0, total - this.rewindsSeen);
    this.rewindsSeen = total;
    return since > 0 ? `${since} partition(s) re-read from the group's commit` : undefined;
  }

  /** Writes every service's kept output under `test-output/`; says where. */
  private keepLogs(fault: string): string {
    const logDir = join(ROOT, 'test-output', `${this.reportName}-logs`, slug(fault));
    this.world.writeLogs(logDir);
    return `service logs in ${logDir}`;
  }

  /** From `healedAt` until the last ok run sent before it had its finding; null if none. */
  async recoveryMs(generations: GenerationResult[], healedAt: number) {
    const truth = this.world.sim.truth().runs;
    const before = generations.flatMap((g) =>
      g.runIds.filter((runId, i) => g.publishedAt[i] <= healedAt && truth[runId]?.kind === 'ok'),
    );
    if (before.length === 0) return null;
    const { rows } = await this.world.pool.query<{ last: Date | null }>(
      `SELECT max(created_at) AS last FROM sync_events
        WHERE source_id = ANY($1::text[]) AND dedupe_key LIKE 'post_run:%'`,
      [before],
    );
    const last = rows[0].last?.getTime();
    return last === undefined ? null : Math.max(0, last - healedAt);
  }

  // First, while Cappella holds only the history: the oracle is taken a few seconds before
}

/** `fault` as a directory name. */
function slug(fault: string): string {
  return fault
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function pick(tally: FaultTally) {
  const { processed, lost, duplicated, doubleRepairs, wrong, resent } = tally;
  return { processed, lost, duplicated, doubleRepairs, wrong, resent };
}

function reportLines(reports: FaultReport[]): string[] {
  const seconds = (ms: number | null) => (ms === null ? '–' : (ms / 1000).toFixed(1));
  return [
    `Profile: ${FAULT_PROFILE} (${FAULT_PROFILE_SETTINGS}).`,
    '',
    '| fault | events | processed | lost | duplicated | double repairs | wrong | re-sent copies | fault lasted (s) | caught up after (s) | settled after (s) | note |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...reports.map(
      (r) =>
        `| ${r.fault} | ${r.events} | ${r.processed} | ${r.lost} | ${r.duplicated} | ${r.doubleRepairs} | ${r.wrong} | ${r.resent} | ${seconds(r.faultMs)} | ${seconds(r.recoverMs)} | ${seconds(r.settleMs)} | ${r.note} |`,
    ),
  ];
}

function writeReport(name: string, reports: FaultReport[]): void {
  const dir = join(ROOT, 'test-output');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({ profile: FAULT_PROFILE, settings: FAULT_PROFILE_SETTINGS, reports }, null, 2),
  );
  writeFileSync(join(dir, `${name}.md`), reportLines(reports).join('\n') + '\n');
}
