/**
 * Open findings looked at again, through the real stack (Kafka, the schema registry,
 * PostgreSQL, the component simulator over HTTP): a finding whose discrepancy goes away is
 * closed as healed and announced on `bridge.sync.repaired`; one that still holds walks its
 * re-check schedule and then waits for a scan; a scan makes it due again; a check that failed
 * runs again on its re-check.
 */
import { Topics } from '@bridge/contracts';
import type { SyncEvent } from '@bridge/store';
import { ScanScheduler, ScannerModule } from '@bridge/scan';
import { FindingRecheckScheduler } from '@bridge/checks';
import { bootApp, expectKind, startPipeline, type Pipeline } from '../../../test/pipeline-harness';
import { eventually, stackConfig } from '../../../test/stack-config';

/** The schedule under test: three quick steps, then scans only. */
const DELAYS_MS = [1_000, 1_000, 1_500];

describe('open findings looked at again, on the real stack', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      env: {
        FINDING_RECHECK_DELAYS_MS: DELAYS_MS.join(','),
        FINDING_RECHECK_INTERVAL_MS: '200',
        SCAN_SCHEDULE: 'off',
        SCAN_POLL_INTERVAL_MS: '100',
        SCAN_GRACE_DELAY_MS: '0',
      },
    });
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const row = (id: string): Promise<SyncEvent> => pipeline.row(id);

  it('heals a missing entity that reaches Hippo after the grace delay, and announces it once', async () => {
    // Hippo writes the outputs 4.5 s after the run: past the 1.5 s grace, so a mismatch first.
    // Detected between 1.5 s and 3.5 s after the run (a loaded machine is slow), its first
    // re-check (1 s later) comes before the outputs and its last (3.5 s later) after them.
    // The timing below assumes a pipeline already consuming: a first run through it takes the
    // consumer groups' start-up, which on a loaded machine can outlast the whole window.
    const warmUp = await pipeline.sim.completeRun({ outputs: 1 });
    await pipeline.finding(warmUp.runId, ['bridge.sync.ok']);
    const run = await pipeline.sim.completeRun({ outputs: 3, lagMs: 4_500 });
    const finding = await pipeline.finding(run.runId, ['bridge.sync.mismatch', 'bridge.sync.ok']);
    expectKind(finding, 'bridge.sync.mismatch');
    expect(finding.state).toBe('open');
    expect(finding.details.missing_entities).toHaveLength(3);

    const healed = await eventually(async () => {
      const current = await row(finding.id);
      return current.state === 'healed' ? current : undefined;
    }, 20_000);
    expect(healed).toMatchObject({ resolved: true, resolvedBy: 'bridge', nextRecheckAt: null });
    expect(healed.resolutionNote).toMatch(/^Hippo now has the 3 missing entities/);
    // It held at least once before the outputs arrived, then healed on a later step.
    expect(healed.recheckCount).toBeGreaterThanOrEqual(2);

    const announced = await eventually(() => {
      const events = pipeline.seen(
        Topics.BridgeSyncRepaired,
        (e) => e.sync_event_id === finding.id,
      );
      return events.length > 0 ? events : undefined;
    });
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({
      resolution: 'healed',
      resolved_by: 'bridge',
      run_id: run.runId,
      mismatch_type: 'missing_entity',
      reason: healed.resolutionNote,
    });
  });

  it('keeps a finding that holds open through its schedule, then a scan heals it once the entity is back', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2, missing: 1 });
    const finding = await pipeline.finding(run.runId, ['bridge.sync.mismatch', 'bridge.sync.ok']);
    expectKind(finding, 'bridge.sync.mismatch');

    const exhausted = await eventually(async () => {
      const current = await row(finding.id);
      return current.recheckCount === DELAYS_MS.length ? current : undefined;
    }, 20_000);
    expect(exhausted).toMatchObject({ state: 'open', nextRecheckAt: null });

    // The entity arrives with nothing announcing it: no schedule step is left to notice.
    pipeline.sim.writeEntities(finding.details.missing_entities, run.runId);
    if (!pipeline.checker) throw new Error('this test needs the checker in process');
    await pipeline.checker.get(FindingRecheckScheduler).afterPasses(2);
    expect(await row(finding.id)).toMatchObject({ state: 'open', recheckCount: 3 });

    const scanner = await bootApp(ScannerModule.forRoot(stackConfig(pipeline.env)));
    try {
      const scan = await scanner.get(ScanScheduler).requestScan({ requestedBy: 'test' });
      const healed = await eventually(async () => {
        const current = await row(finding.id);
        return current.state === 'healed' ? current : undefined;
      }, 30_000);
      expect(healed.resolutionNote).toMatch(/^Hippo now has the missing entity/);
      expect(healed.recheckCount).toBe(4);
      // The scan judged the run consistent: it recorded nothing of its own for it.
      const scanFindings = await pipeline.pool.query(
        `SELECT id FROM sync_events WHERE details ->> 'scan_id' = $1`,
        [scan.id],
      );
      expect(scanFindings.rows).toEqual([]);
    } finally {
      await scanner.close();
    }
  });

  it('runs a failed check again at its re-check, and the outcome replaces the failure', async () => {
    pipeline.sim.setFaults('hippo', { outage: { status: 503 } });
    let runId: string;
    try {
      const run = await pipeline.sim.completeRun({ outputs: 2 });
      runId = run.runId;
      const failed = await pipeline.finding(run.runId, [
        'bridge.sync.check_failed',
        'bridge.sync.ok',
      ]);
      expectKind(failed, 'bridge.sync.check_failed');
      expect(failed.state).toBe('open');
    } finally {
      pipeline.sim.clearFaults();
    }
    const ok = await pipeline.finding(runId, ['bridge.sync.ok'], 20_000);
    expect(ok.state).toBe('record');
    expect(await pipeline.rows([runId])).toHaveLength(1);
  });
});
