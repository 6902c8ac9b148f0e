/**
 * The single-server deployment: the built one-process start with `BRIDGE_SIMULATOR=off`,
 * watching components that are not the simulator. The stand-in here is a few lines of
 * `node:http` holding a Cappella (runs and their outputs) and a Hippo (entities and their
 * producing runs) in maps; the events come in over HTTP ingestion with the producer token the
 * process keeps in its data directory, as a real component's would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ScriptedComponentServer,
  type ReceivedRequest,
  type ScriptedReply,
} from '../libs/components/test/scripted-component-server';
import { eventually } from './stack-config';
import { distMain, freePorts, ROOT, ServiceProcess } from './service-processes';

type Key = { entity_type: string; external_id: string };
const sample = (id: string): Key => ({ entity_type: 'sample', external_id: id });

/** What the lab's Cappella ran and what its Hippo holds: S3 never reached Hippo. */
const RUNS: Record<string, Key[]> = {
  'run-ok': [sample('S1')],
  'run-gap': [sample('S2'), sample('S3')],
};
const ENTITIES: Record<string, string> = { S1: 'run-ok', S2: 'run-gap' };

/** The stand-in's answers: Cappella's runs, Hippo's entities, empty listings, no artifacts. */
function labComponents(request: ReceivedRequest): ScriptedReply {
  const path = request.path.split('/').map(decodeURIComponent);
  const [, component, collection, id, sub] = path;
  if (component === 'cappella' && collection === 'runs' && id === undefined) {
    return { status: 200, body: { items: [], next_cursor: null } };
  }
  if (component === 'cappella' && collection === 'runs' && RUNS[id]) {
    const outputs = RUNS[id];
    if (sub === 'outputs') return { status: 200, body: outputs };
    const run = {
      run_id: id,
      pipeline_id: 'lab-pipeline',
      status: 'COMPLETED',
      inputs: {},
      outputs,
      updated_at: new Date().toISOString(),
    };
    return { status: 200, body: run };
  }
  if (component === 'cappella' && collection === 'pipelines') {
    return { status: 200, body: { pipeline_id: id, idempotent: false } };
  }
  if (component === 'hippo' && collection === 'entities' && id === undefined) {
    return { status: 200, body: { items: [], next_cursor: null } };
  }
  if (component === 'hippo' && collection === 'entities') {
    const externalId = sub;
    const run = ENTITIES[externalId];
    if (!run) return { status: 404, body: { message: 'no such entity' } };
    const entity = {
      entity_type: id,
      external_id: externalId,
      available: true,
      provenance: { run_id: run },
    };
    return { status: 200, body: entity };
  }
  if (component === 'canon' && collection === 'artifacts') return { status: 200, body: [] };
  return { status: 404, body: { message: `the lab has no ${request.path}` } };
}

function runCompleted(runId: string) {
  return {
    event_id: randomUUID(),
    occurred_at: Date.now(),
    run_id: runId,
    pipeline_id: 'lab-pipeline',
    outputs: RUNS[runId],
    actor: 'lab-cappella',
  };
}

interface Finding {
  event_type: string;
  mismatch_type: string | null;
  source_id: string;
  details: { missing_entities?: Key[] };
}

describe('the single-server deployment (npm start with BRIDGE_SIMULATOR=off)', () => {
  let lab: ScriptedComponentServer;
  let dataDir: string;
  let bridge: ServiceProcess | undefined;

  beforeAll(async () => {
    lab = await ScriptedComponentServer.start(labComponents);
    dataDir = mkdtempSync(join(tmpdir(), 'bridge-single-server-'));
  });

  afterAll(async () => {
    await bridge?.kill();
    await lab.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('checks runs handed in over HTTP against the real components and records what is missing', async () => {
    const [port] = await freePorts(1);
    const child = spawn(process.execPath, [distMain('all-in-one')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: '1',
        BRIDGE_SIMULATOR: 'off',
        BRIDGE_DATA_DIR: dataDir,
        HTTP_PORT: String(port),
        CAPPELLA_URL: lab.baseUrl,
        HIPPO_URL: lab.baseUrl,
        CANON_URL: lab.baseUrl,
        CHECK_GRACE_DELAY_MS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bridge = new ServiceProcess('single-server', 'all-in-one', port, child);
    await bridge.healthy(90_000);
    expect(bridge.logs()).toContain('no simulator (BRIDGE_SIMULATOR=off)');

    const base = `http://127.0.0.1:${port}`;
    const token = (file: string) => readFileSync(join(dataDir, file), 'utf8').trim();
    const send = (bearer: string, body: unknown) =>
      fetch(`${base}/api/v1/bridge/sync/ingest/cappella.run.completed`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // No simulated component is served: the lab's are the only ones.
    expect((await fetch(`${base}/cappella/runs/run-ok`)).status).toBe(404);
    const batch = { records: [runCompleted('run-ok'), runCompleted('run-gap')] };
    expect((await send(token('admin-token'), batch)).status).toBe(403);
    const answer = await send(token('producer-token'), batch);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ accepted: 2, duplicates: 0, refused: 0 });

    const admin = { authorization: `Bearer ${token('admin-token')}` };
    const findingOf = async (runId: string) => {
      const response = await fetch(`${base}/api/v1/bridge/sync/events?source_id=${runId}`, {
        headers: admin,
      });
      const { items } = (await response.json()) as { items: Finding[] };
      return items[0];
    };
    const gap = await eventually(() => findingOf('run-gap'), 60_000, 'the check of run-gap');
    expect(gap).toMatchObject({
      event_type: 'bridge.sync.mismatch',
      mismatch_type: 'missing_entity',
    });
    expect(gap.details.missing_entities).toEqual([sample('S3')]);
    const ok = await eventually(() => findingOf('run-ok'), 60_000, 'the check of run-ok');
    expect(ok.event_type).toBe('bridge.sync.ok');
    // Bridge asked the lab's Hippo itself.
    expect(lab.requests.map((r) => r.path)).toContain('/hippo/entities/sample/S3');

    // The same batch again is recognised, and nothing is checked twice.
    const again = await send(token('producer-token'), batch);
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 2 });
    const all = await fetch(`${base}/api/v1/bridge/sync/events?source_id=run-gap`, {
      headers: admin,
    });
    expect(((await all.json()) as { items: Finding[] }).items).toHaveLength(1);
  }, 180_000);
});
