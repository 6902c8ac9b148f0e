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
 * evictions go through the faults too (`FaultRun` runs and scores each). The figures of each
 * (runs, processed, lost, duplicated, time to recover) go to `test-output/fault-report.{json,md}`;
 * `docs/reliability.md` quotes a run of it. `cluster.fault-spec.ts` does the same on a
 * three-node Kafka cluster, with two instances of the stateful services and network faults.
 */
import type { ComponentName } from '@bridge/config';
import type { ScanView } from '@bridge/query-api';
import type { ComponentFaults, ScanTruth } from '@bridge/simulator';
import { PrivateBroker } from '../private-broker';
import { eventually } from '../stack-config';
import { FAULT_STREAM, FaultRun, sleep, type FaultOutcome } from './fault-run';
import { FaultWorld, resubmissionRoots } from './fault-world';

/** The burst the checker is killed in. */
const CHECKER_BURST = 2_000;

describe('fault suite', () => {
  let world: FaultWorld<PrivateBroker>;
  let run: FaultRun;

  beforeAll(async () => {
    world = await FaultWorld.start({ kafka: new PrivateBroker() });
    run = new FaultRun(world, 'fault-report');
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
    run?.print();
    await world?.close();
  }, 120_000);

  // First, while Cappella holds only the history: the oracle is taken a few seconds before
  // the scan starts, and no run may cross the grace cutoff in between.
  it('finishes a scan whose scanner is SIGKILLed mid-scan, with the oracle’s findings', async () => {
    const oracle = world.scanTruth();
    expect(oracle.counts.missing_entity).toBeGreaterThan(0);
    let scanId = '';
    let finishedAfterMs = 0;
    await run.underFault(
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
    await run.underFault('none (baseline)', () => {
      const now = Date.now();
      return Promise.resolve({ injectedAt: now, healedAt: now });
    });
  });

  it('loses and repeats nothing when ingest is SIGKILLed mid-batch', async () => {
    await run.underFault('ingest SIGKILLed mid-batch', async () => {
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
    await run.underFault('checker SIGKILLed mid-batch', async () => {
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
    await run.underFault('repair SIGKILLed mid-batch', async () => {
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
      await run.underFault('api SIGKILLed', async () => {
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
    const before = await world.stream(FAULT_STREAM.ratePerSecond, 4_000);
    const burst = await world.burst(1_000);
    const started = Date.now();
    await world.broker.restart();
    const healedAt = Date.now();
    const after = await world.stream(FAULT_STREAM.ratePerSecond, 5_000);
    await run.settleAndReport('Kafka broker restarted (data kept)', [before, burst, after], {
      injectedAt: started,
      healedAt,
      note: `restarted right after a burst of 1,000 runs; down ${healedAt - started} ms`,
    });
  });

  it('loses and repeats nothing when PostgreSQL restarts', async () => {
    await run.underFault('PostgreSQL restarted', async () => {
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
    await run.underFault(`${name} unreachable for 6 s`, () =>
      componentFault(component, OUTAGE, 6_000, 'every request 503'),
    );
  });

  it.each(COMPONENTS)('keeps up, correctly, with a slow %s', async (name, component) => {
    await run.underFault(`${name} slow for 8 s`, () =>
      componentFault(component, SLOW, 8_000, '700 ms added to every request (timeout 1,000 ms)'),
    );
  });

  it('retries through a Hippo that answers after the client’s timeout', async () => {
    await run.underFault('Hippo past the timeout for 6 s', () =>
      componentFault(
        'hippo',
        PAST_TIMEOUT,
        6_000,
        '1,500 ms added to every request (timeout 1,000 ms)',
      ),
    );
  });

  it('loses and repeats nothing while the schema registry is partitioned away, and starts a service that comes up during it', async () => {
    await run.underFault('schema registry partitioned for 10 s', async () => {
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
    await run.expectNothingLeft();
  });
});

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
