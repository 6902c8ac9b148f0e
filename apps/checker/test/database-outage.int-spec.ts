/**
 * The database goes away while events keep arriving (every connection cut, new ones refused,
 * as in a restart), then comes back: ingest and checker hold their messages through the outage
 * instead of dead-lettering them, and every run ends with exactly one correct finding.
 */
import { Client } from 'pg';
import { Topics } from '@bridge/contracts';
import { eventually, stackEnv } from '../../../test/stack-config';
import { startPipeline, type Pipeline } from '../../../test/pipeline-harness';

async function asAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: stackEnv().databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('database outage', () => {
  let pipeline: Pipeline;
  let dbName: string;

  beforeAll(async () => {
    pipeline = await startPipeline();
    dbName = new URL(pipeline.db.url).pathname.slice(1);
  });

  afterAll(async () => {
    await asAdmin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
    await pipeline?.close();
  });

  it('holds events through a database restart and records each run once afterwards', async () => {
    const warm = await pipeline.sim.completeRun({ outputs: 2 });
    await pipeline.finding(warm.runId, ['bridge.sync.ok']);

    await asAdmin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
    await asAdmin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}'`,
    );
    const runs = [];
    for (let i = 0; i < 12; i += 1) {
      runs.push(await pipeline.sim.completeRun({ outputs: 3, missing: i % 4 === 0 ? 1 : 0 }));
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await asAdmin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);

    const runIds = runs.map((run) => run.runId);
    const rows = await eventually(
      async () => {
        const found = await pipeline.rows(runIds);
        return found.length >= runIds.length ? found : undefined;
      },
      60_000,
      'a finding for every run sent during the outage',
    );
    expect(rows).toHaveLength(runIds.length);
    const truth = pipeline.sim.truth().runs;
    for (const row of rows) {
      const expected = truth[row.sourceId];
      expect(row.eventType).toBe(
        expected.kind === 'missing_entity' ? 'bridge.sync.mismatch' : 'bridge.sync.ok',
      );
    }
    const wanted = new Set(runIds);
    expect(
      pipeline.seen(Topics.BridgeDlqEvents, (d) => wanted.has(d.key?.toString() ?? '')),
    ).toEqual([]);
  });
});
