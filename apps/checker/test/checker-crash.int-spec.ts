/**
 * A checker process killed with SIGKILL in the middle of its work, then restarted: every run is
 * still checked exactly once in the sync event log, and each finding's outbound event carries
 * one event id however often it had to be re-sent.
 */
import { Topics } from '@bridge/contracts';
import { eventually } from '../../../test/stack-config';
import { startPipeline, type Pipeline } from '../../../test/pipeline-harness';

const RUNS = 300;

describe('checker killed mid-batch', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      deferChecker: true,
      checkerInChild: true,
      env: {
        CHECK_BATCH_SIZE: '25',
        CHECK_LEASE_MS: '3000',
        // The killed member holds its partitions until its session runs out: 10 s, not 30.
        KAFKA_SESSION_TIMEOUT_MS: '10000',
      },
    });
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('checks every run exactly once after a SIGKILL and a restart', async () => {
    const { runIds } = await pipeline.sim.generateBatch({
      count: RUNS,
      outputsPerRun: 3,
      missingRate: 0,
    });
    const countRows = async () => (await pipeline.rows(runIds)).length;

    // A slow Hippo keeps the first checker busy long enough to be killed mid-way.
    pipeline.sim.setFaults('hippo', { slowMs: 300 });
    await pipeline.startChecker(true);
    await eventually(
      async () => ((await countRows()) >= 25 ? true : undefined),
      90_000,
      'the first checker to record some findings',
    );
    await pipeline.killCheckerChild();
    pipeline.sim.clearFaults();
    const beforeKill = await countRows();
    expect(beforeKill).toBeLessThan(RUNS);

    await pipeline.startChecker(true);
    await eventually(
      async () => ((await countRows()) === RUNS ? true : undefined),
      120_000,
      'every run to be checked',
    );

    const rows = await pipeline.rows(runIds);
    const perRun = new Map<string, number>();
    for (const row of rows) perRun.set(row.sourceId, (perRun.get(row.sourceId) ?? 0) + 1);
    expect(perRun.size).toBe(RUNS);
    expect([...perRun.values()].every((count) => count === 1)).toBe(true);
    expect(rows.every((row) => row.eventType === 'bridge.sync.ok')).toBe(true);

    // Every finding is announced, and re-sends reuse the finding's event id.
    const wanted = new Set(runIds);
    await eventually(
      () => {
        const announced = new Set(
          pipeline.seen(Topics.BridgeSyncOk, (e) => wanted.has(e.run_id)).map((e) => e.run_id),
        );
        return announced.size === RUNS ? true : undefined;
      },
      30_000,
      'an ok event for every run',
    );
    const okEvents = pipeline.seen(Topics.BridgeSyncOk, (e) => wanted.has(e.run_id));
    const idsPerRun = new Map<string, Set<string>>();
    for (const event of okEvents) {
      idsPerRun.set(event.run_id, (idsPerRun.get(event.run_id) ?? new Set()).add(event.event_id));
    }
    expect([...idsPerRun.values()].every((ids) => ids.size === 1)).toBe(true);
  }, 300_000);
});
