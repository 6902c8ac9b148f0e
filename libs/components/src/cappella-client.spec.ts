import { ComponentRequestError, ComponentUnavailableError } from '@bridge/errors';
import {
  ScriptedComponentServer,
  testManifest,
  type ManifestOverrides,
  type Script,
} from '../test/scripted-component-server';
import { CappellaClient } from './cappella-client';

const run = {
  run_id: 'run/1',
  pipeline_id: 'p-1',
  status: 'COMPLETED',
  inputs: { sample: 'S1' },
  outputs: [{ entity_type: 'sample', external_id: 'S1' }],
  updated_at: '2025-01-01T00:00:00Z',
};

describe('CappellaClient', () => {
  let server: ScriptedComponentServer;
  let client: CappellaClient;

  async function setUp(script: Script, overrides: ManifestOverrides = {}): Promise<void> {
    server = await ScriptedComponentServer.start(script);
    client = new CappellaClient(testManifest(server.baseUrl, overrides));
  }

  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  it('reads a run by its URL-encoded id', async () => {
    await setUp(() => ({ status: 200, body: run }));
    await expect(client.getRun('run/1')).resolves.toEqual(run);
    expect(server.requests[0].path).toBe('/cappella/runs/run%2F1');
  });

  it('returns null for an unknown run', async () => {
    await setUp(() => ({ status: 404 }));
    await expect(client.getRun('nope')).resolves.toBeNull();
    await expect(client.getRunOutputs('nope')).resolves.toBeNull();
  });

  it('rejects a run with an unknown status as malformed', async () => {
    await setUp(() => ({ status: 200, body: { ...run, status: 'PAUSED' } }));
    await expect(client.getRun('run/1')).rejects.toThrow(/malformed response: status/);
  });

  it("reads a run's outputs", async () => {
    await setUp(() => ({ status: 200, body: run.outputs }));
    await expect(client.getRunOutputs('r1')).resolves.toEqual(run.outputs);
    expect(server.requests[0].path).toBe('/cappella/runs/r1/outputs');
  });

  it('lists runs from the beginning with the manifest page size', async () => {
    await setUp(() => ({ status: 200, body: { items: [run], next_cursor: 'c2' } }), {
      pageSize: 250,
    });
    await expect(client.listRuns()).resolves.toEqual({ items: [run], next_cursor: 'c2' });
    expect(server.requests[0].path).toBe('/cappella/runs');
    expect(server.requests[0].query.get('after')).toBeNull();
    expect(server.requests[0].query.get('limit')).toBe('250');
  });

  it('lists runs after a cursor with an explicit limit', async () => {
    await setUp(() => ({ status: 200, body: { items: [], next_cursor: null } }));
    await expect(client.listRuns('c&2', 10)).resolves.toEqual({ items: [], next_cursor: null });
    expect(server.requests[0].query.get('after')).toBe('c&2');
    expect(server.requests[0].query.get('limit')).toBe('10');
  });

  it('raises a bad cursor as ComponentRequestError without retrying', async () => {
    await setUp(() => ({ status: 400, body: { error: 'bad cursor' } }));
    const failure = client.listRuns('garbage');
    await expect(failure).rejects.toBeInstanceOf(ComponentRequestError);
    await expect(failure).rejects.toMatchObject({ component: 'cappella', status: 400 });
    expect(server.hits).toBe(1);
  });

  it('reads pipeline metadata, or null for an unknown pipeline', async () => {
    await setUp((request) =>
      request.path.endsWith('/p-1')
        ? { status: 200, body: { pipeline_id: 'p-1', idempotent: true } }
        : { status: 404 },
    );
    await expect(client.getPipeline('p-1')).resolves.toEqual({
      pipeline_id: 'p-1',
      idempotent: true,
    });
    await expect(client.getPipeline('p-2')).resolves.toBeNull();
  });

  it('submits a run with the pipeline and inputs', async () => {
    await setUp(() => ({ status: 201, body: { run_id: 'run-2' } }));
    await expect(client.submitRun('p-1', { sample: 'S1' })).resolves.toEqual({ run_id: 'run-2' });
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/cappella/runs',
      body: { pipeline_id: 'p-1', inputs: { sample: 'S1' } },
    });
  });

  it('never submits a run twice after a 5xx, whose outcome is unknown', async () => {
    await setUp(() => ({ status: 502 }), { retry: { maxAttempts: 5 } });
    await expect(client.submitRun('p-1', {})).rejects.toBeInstanceOf(ComponentUnavailableError);
    expect(server.hits).toBe(1);
  });

  it('retries reads on 5xx', async () => {
    await setUp((_request, hit) => (hit < 3 ? { status: 500 } : { status: 200, body: run }));
    await expect(client.getRun('run/1')).resolves.toEqual(run);
    expect(client.stats()).toMatchObject({ requests: 3, retries: 2 });
  });

  it('asks for a digest of the registered outputs and lists a range of them', async () => {
    const buckets = [
      { from: 0, to: 10, count: 2, hash: '0123456789abcdef' },
      { from: 10, to: 20, count: 0, hash: '0000000000000000' },
    ];
    const pair = { entity_type: 'sample', external_id: 'S1', run_id: 'run-1' };
    await setUp((request) =>
      request.path === '/cappella/slots/digest'
        ? { status: 200, body: { buckets } }
        : { status: 200, body: { items: [pair] } },
    );
    await expect(client.outputDigest({ from: 0, to: 20 }, 2)).resolves.toEqual(buckets);
    expect(Object.fromEntries(server.requests[0].query)).toEqual({
      from: '0',
      to: '20',
      buckets: '2',
    });
    await expect(client.outputsIn({ from: 0, to: 10 })).resolves.toEqual([pair]);
    expect(server.requests[1].path).toBe('/cappella/slots/outputs');
  });
});
