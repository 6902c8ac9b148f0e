/**
 * The simulator over HTTP, booted with the in-process transport: the component endpoints, fault
 * injection in front of them, the admin API, and the events it publishes.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { loadConfig } from '@bridge/config';
import { DIGEST_SLOTS, Topics, type EntityKey, type RunCompleted } from '@bridge/contracts';
import { EventSubscriber, TRANSPORT, type Subscription, type Transport } from '@bridge/messaging';
import { ComponentSimModule } from './component-sim.module';
import {
  ComponentSimulator,
  type RunDeletion,
  type ScanTruth,
  type SeededHistory,
} from './scenario/component-simulator';
import { loadSimSettings } from './sim-config';
import { configureSimHttp, SIM_HTTP_OPTIONS } from './sim-http';

async function boot(env: NodeJS.ProcessEnv = {}): Promise<NestExpressApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ComponentSimModule.forRoot(
        loadConfig({}),
        loadSimSettings({ SIM_ID_PREFIX: 'http', ...env }),
      ),
    ],
  }).compile();
  const app = configureSimHttp(
    moduleRef.createNestApplication<NestExpressApplication>({ ...SIM_HTTP_OPTIONS, logger: false }),
  );
  await app.init();
  return app;
}

const key = (external_id: string, entity_type = 'dataset'): EntityKey => ({
  entity_type,
  external_id,
});
const sameKey = (a: EntityKey, b: EntityKey) =>
  a.entity_type === b.entity_type && a.external_id === b.external_id;

describe('component simulator over HTTP', () => {
  let app: NestExpressApplication;
  let sim: ComponentSimulator;
  let http: ReturnType<typeof request>;
  let completed: RunCompleted[];
  let subscription: Subscription;

  const settled = async () => {
    const transport = app.get<Transport>(TRANSPORT);
    if (transport.kind === 'in-process') await transport.bus.idle();
  };

  beforeAll(async () => {
    app = await boot();
    sim = app.get(ComponentSimulator);
    http = request(app.getHttpServer());
    subscription = await app.get(EventSubscriber).subscribe({
      groupId: 'http-spec',
      topics: [Topics.CappellaRunCompleted],
      handler: (received) => {
        completed.push(received.event);
        return Promise.resolve();
      },
    });
  });

  beforeEach(async () => {
    await settled();
    sim.reset();
    completed = [];
  });

  afterAll(async () => {
    await subscription.stop();
    await app.close();
  });

  describe('Cappella', () => {
    it('publishes a run created through the admin API with all its outputs, and serves the run and its outputs', async () => {
      const created = await http.post('/sim/runs').send({ outputs: 3, missing: 1 }).expect(201);
      const run = created.body as { runId: string; outputs: EntityKey[] };
      await settled();
      expect(completed).toHaveLength(1);
      expect(completed[0]).toMatchObject({ run_id: run.runId, outputs: run.outputs });

      const outputs = await http.get(`/cappella/runs/${run.runId}/outputs`).expect(200);
      expect(outputs.body).toEqual(run.outputs);
      const shown = await http.get(`/cappella/runs/${run.runId}`).expect(200);
      expect(shown.body).toMatchObject({
        run_id: run.runId,
        pipeline_id: 'align-reads',
        status: 'COMPLETED',
        outputs: run.outputs,
      });
      expect(typeof (shown.body as { updated_at: unknown }).updated_at).toBe('string');
    });

    it('answers 404 for an unknown run, its outputs and an unknown pipeline', async () => {
      await http.get('/cappella/runs/nope').expect(404);
      await http.get('/cappella/runs/nope/outputs').expect(404);
      await http.get('/cappella/pipelines/nope').expect(404);
      const pipeline = await http.get('/cappella/pipelines/legacy-import').expect(200);
      expect(pipeline.body).toEqual({ pipeline_id: 'legacy-import', idempotent: false });
    });

    it('pages the run listing with an opaque cursor and refuses a bad one', async () => {
      const runs = [await sim.completeRun(), await sim.completeRun(), await sim.completeRun()];
      const first = await http.get('/cappella/runs?limit=2').expect(200);
      const page = first.body as { items: Array<{ run_id: string }>; next_cursor: string };
      expect(page.items.map((r) => r.run_id)).toEqual([runs[0].runId, runs[1].runId]);
      const rest = await http
        .get('/cappella/runs')
        .query({ after: page.next_cursor, limit: 2 })
        .expect(200);
      expect(rest.body).toMatchObject({ items: [{ run_id: runs[2].runId }], next_cursor: null });
      await http.get('/cappella/runs?after=garbage').expect(400);
      await http.get('/cappella/runs?limit=0').expect(400);
    });

    it('creates a completed run on POST /cappella/runs and refuses an unknown pipeline or a bad body', async () => {
      const created = await http
        .post('/cappella/runs')
        .send({ pipeline_id: 'align-reads', inputs: { sample: 'S1' } })
        .expect(201);
      const runId = (created.body as { run_id: string }).run_id;
      await settled();
      expect(completed.map((e) => e.run_id)).toEqual([runId]);
      await http.post('/cappella/runs').send({ pipeline_id: 'nope', inputs: {} }).expect(404);
      const bad = await http.post('/cappella/runs').send({ inputs: {} }).expect(400);
      expect((bad.body as { message: string }).message).toMatch(/pipeline_id/);
    });
  });

  describe('Hippo', () => {
    it('answers a bulk lookup in request order with exists flags and provenance', async () => {
      const run = await sim.completeRun({ outputs: 2, missing: 1 });
      const [present, missing] = run.outputs;
      const response = await http
        .post('/hippo/entities/lookup')
        .send({ entities: [missing, key('x:y'), present] })
        .expect(200);
      expect(response.body).toEqual({
        results: [
          { ...missing, exists: false, available: false, provenance: null },
          { ...key('x:y'), exists: false, available: false, provenance: null },
          { ...present, exists: true, available: true, provenance: { run_id: run.runId } },
        ],
      });
    });

    it('accepts 1,000 keys, answers 413 for 1,001, and 400 for a malformed body', async () => {
      const keys = (n: number) =>
        Array.from({ length: n }, (_, i) => key(`${'long-external-identifier-'.repeat(6)}${i}`));
      const ok = await http
        .post('/hippo/entities/lookup')
        .send({ entities: keys(1_000) })
        .expect(200);
      expect((ok.body as { results: unknown[] }).results).toHaveLength(1_000);
      await http
        .post('/hippo/entities/lookup')
        .send({ entities: keys(1_001) })
        .expect(413);
      const bad = await http
        .post('/hippo/entities/lookup')
        .send({ entities: [{ entity_type: 'dataset' }] })
        .expect(400);
      expect((bad.body as { message: string }).message).toMatch(/entities\.0\.external_id/);
      await http
        .post('/hippo/entities/lookup')
        .set('content-type', 'application/json')
        .send('{"entities": [')
        .expect(400);
    });

    it('serves one entity, 404 for an unknown or deleted one, and the entity listing', async () => {
      const run = await sim.completeRun({ outputs: 2 });
      const [a, b] = run.outputs;
      const shown = await http
        .get(`/hippo/entities/${a.entity_type}/${encodeURIComponent(a.external_id)}`)
        .expect(200);
      expect(shown.body).toEqual({ ...a, available: true, provenance: { run_id: run.runId } });
      await sim.deleteEntities({ keys: [b] });
      await http.get(`/hippo/entities/${b.entity_type}/${b.external_id}`).expect(404);
      await http.get('/hippo/entities/dataset/never').expect(404);
      const listing = await http.get('/hippo/entities').expect(200);
      expect(listing.body).toEqual({
        items: [{ ...a, available: true, provenance: { run_id: run.runId } }],
        next_cursor: null,
      });
      await http.get('/hippo/entities?after=AAAA').expect(400);
    });
  });

  describe('range digests', () => {
    const whole = `from=0&to=${DIGEST_SLOTS}`;

    it('agree while Hippo holds every output, differ once one is lost, and list both sides', async () => {
      await sim.completeRun({ outputs: 3 });
      const run = await sim.completeRun({ outputs: 2 });
      const digest = async (path: string) =>
        (await http.get(`${path}?${whole}&buckets=8`).expect(200)).body as {
          buckets: Array<{ from: number; to: number; count: number; hash: string }>;
        };
      expect(await digest('/cappella/slots/digest')).toEqual(await digest('/hippo/slots/digest'));

      await sim.deleteEntities({ keys: [run.outputs[0]] });
      const cappella = await digest('/cappella/slots/digest');
      const hippo = await digest('/hippo/slots/digest');
      const differing = cappella.buckets.filter((b, i) => b.hash !== hippo.buckets[i].hash);
      expect(differing).toHaveLength(1);
      const [bucket] = differing;
      const outputs = await http
        .get(`/cappella/slots/outputs?from=${bucket.from}&to=${bucket.to}`)
        .expect(200);
      expect(outputs.body.items).toContainEqual({ ...run.outputs[0], run_id: run.runId });
      const entities = await http
        .get(`/hippo/slots/entities?from=${bucket.from}&to=${bucket.to}`)
        .expect(200);
      expect(entities.body.items).not.toContainEqual(
        expect.objectContaining({ external_id: run.outputs[0].external_id }),
      );
    });

    it('refuses a range outside the slots, upside down, or cut into too many buckets', async () => {
      await http.get(`/cappella/slots/digest?from=0&to=${DIGEST_SLOTS + 1}`).expect(400);
      await http.get('/hippo/slots/digest?from=9&to=3').expect(400);
      await http.get(`/hippo/slots/digest?${whole}&buckets=257`).expect(400);
      await http.get('/cappella/slots/outputs?from=a&to=3').expect(400);
    });
  });

  describe('Canon', () => {
    it('returns artifacts for repeated entity parameters, splitting on the first colon', async () => {
      const run = await sim.completeRun({ outputs: [key('a:1'), key('b', 'sample')] });
      const response = await http
        .get('/canon/artifacts')
        .query({ entity: run.outputs.map((k) => `${k.entity_type}:${k.external_id}`) })
        .expect(200);
      const artifacts = (
        response.body as { artifacts: Array<{ entity_type: string; external_id: string }> }
      ).artifacts;
      expect(artifacts.map((a) => `${a.entity_type}/${a.external_id}`)).toEqual([
        'dataset/a:1',
        'sample/b',
      ]);
      await http.get('/canon/artifacts?entity=nocolon').expect(400);
    });

    it('lists every artifact in change order, page by page, and drops evicted ones', async () => {
      const first = await sim.completeRun({ outputs: 2 });
      const second = await sim.completeRun({ outputs: 1 });
      type ListingPage = {
        items: Array<{ artifact_id: string; external_id: string }>;
        next_cursor: string | null;
      };
      const page1 = (await http.get('/canon/artifacts?limit=2').expect(200)).body as ListingPage;
      expect(page1.items.map((a) => a.external_id)).toEqual(
        first.outputs.map((k) => k.external_id),
      );
      expect(page1.next_cursor).not.toBeNull();
      const page2 = (
        await http.get('/canon/artifacts').query({ after: page1.next_cursor, limit: 2 }).expect(200)
      ).body as ListingPage;
      expect(page2).toEqual({
        items: [expect.objectContaining({ external_id: second.outputs[0].external_id })],
        next_cursor: null,
      });
      await http
        .post('/canon/artifacts/evict')
        .send({ artifact_ids: [page1.items[0].artifact_id], mode: 'immediate' })
        .expect(202);
      const after = (await http.get('/canon/artifacts?limit=10').expect(200)).body as ListingPage;
      expect(after.items.map((a) => a.artifact_id)).not.toContain(page1.items[0].artifact_id);
      expect(after.items).toHaveLength(2);
    });

    it('refuses a cursor it never issued, and entities asked with a listing page', async () => {
      await http.get('/canon/artifacts?after=bogus&limit=5').expect(400);
      await http.get('/canon/artifacts?entity=dataset:x&limit=5').expect(400);
      await http.get('/canon/artifacts?limit=0').expect(400);
    });

    it('accepts an eviction with 202 and the count of known artifacts', async () => {
      const run = await sim.completeRun({ outputs: 1 });
      const listed = await http.get(
        `/canon/artifacts?entity=${run.outputs[0].entity_type}:${run.outputs[0].external_id}`,
      );
      const [artifact] = (listed.body as { artifacts: Array<{ artifact_id: string }> }).artifacts;
      const evicted = await http
        .post('/canon/artifacts/evict')
        .send({ artifact_ids: [artifact.artifact_id, 'unknown'], mode: 'immediate' })
        .expect(202);
      expect(evicted.body).toEqual({ accepted: 1 });
      await http
        .post('/canon/artifacts/evict')
        .send({ artifact_ids: [], mode: 'later' })
        .expect(400);
    });
  });

  describe('faults', () => {
    it('answers 503 while an outage lasts, then recovers, and counts the hits and faults', async () => {
      const run = await sim.completeRun({ outputs: 1 });
      const path = `/hippo/entities/${run.outputs[0].entity_type}/${run.outputs[0].external_id}`;
      await http
        .put('/sim/faults/hippo')
        .send({ outage: { requests: 2 } })
        .expect(200);
      await http.get(path).expect(503);
      await http.post('/hippo/entities/lookup').send({ entities: [] }).expect(503);
      await http.get(path).expect(200);
      await http.get(`/cappella/runs/${run.runId}`).expect(200);
      const hits = (await http.get('/sim/hits').expect(200)).body as ReturnType<
        ComponentSimulator['hitCounts']
      >;
      expect(hits.components).toEqual({ cappella: 1, hippo: 3, canon: 0 });
      expect(hits.endpoints['GET /hippo/entities/:type/:externalId']).toBe(2);
      expect(hits.endpoints['POST /hippo/entities/lookup']).toBe(1);
      expect(hits.injected.hippo.outage).toBe(2);
      // Four requests in well under a second (hippo's 3 may straddle a slow window, never more).
      expect(hits.peakPerSecond.cappella).toBe(1);
      expect(hits.peakPerSecond.canon).toBe(0);
      expect(hits.peakPerSecond.hippo).toBeGreaterThanOrEqual(1);
      expect(hits.peakPerSecond.hippo).toBeLessThanOrEqual(3);
    });

    it('throttles with 429 and Retry-After, and applies faults only to their component', async () => {
      sim.setFaults('canon', { throttleRate: 1 });
      const throttled = await http.get('/canon/artifacts?entity=dataset:x').expect(429);
      expect(throttled.headers['retry-after']).toBe('1');
      await http.get('/hippo/entities?limit=1').expect(200);
      await http.get('/sim/truth').expect(200);
    });

    it('holds a timed-out request for hangMs then answers 504, and releases held requests when faults are cleared', async () => {
      sim.setFaults('cappella', { timeoutRate: 1, hangMs: 80 });
      const started = Date.now();
      await http.get('/cappella/runs').expect(504);
      expect(Date.now() - started).toBeGreaterThanOrEqual(75);

      sim.setFaults('cappella', { timeoutRate: 1, hangMs: 60_000 });
      const held = http.get('/cappella/runs').then((response) => response.status);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const released = Date.now();
      await http.delete('/sim/faults').expect(204);
      expect(await held).toBe(504);
      expect(Date.now() - released).toBeLessThan(1_000);
    });

    it('refuses invalid faults and unknown components with 400', async () => {
      const bad = await http
        .put('/sim/faults/hippo')
        .send({ errorRate: 0.7, timeoutRate: 0.7 })
        .expect(400);
      expect((bad.body as { message: string }).message).toMatch(/must not exceed 1/);
      await http.put('/sim/faults/mongo').send({}).expect(400);
    });
  });

  describe('admin API', () => {
    it('serves the ground truth, optionally only the runs with findings', async () => {
      const ok = await sim.completeRun();
      const missing = await sim.completeRun({ missing: 1 });
      const truth = (await http.get('/sim/truth?findings_only=true').expect(200))
        .body as ReturnType<ComponentSimulator['truth']>;
      expect(Object.keys(truth.runs)).toEqual([missing.runId]);
      expect(truth.counters).toMatchObject({ runs: 2, ok: 1, missingEntityRuns: 1 });
      expect(ok.runId in (await http.get('/sim/truth').expect(200)).body.runs).toBe(true);
      const camel = await http.get('/sim/truth?findingsOnly=true').expect(200);
      expect(Object.keys((camel.body as typeof truth).runs)).toEqual([missing.runId]);
    });

    it('answers 400 with the reason for a scenario that cannot be carried out or a bad body', async () => {
      const refused = await http
        .post('/sim/deletions')
        .send({ keys: [key('never-written')] })
        .expect(400);
      expect((refused.body as { message: string }).message).toMatch(/never-written/);
      await http.post('/sim/generate/stream').send({ ratePerSecond: 10 }).expect(400);
      await http.post('/sim/runs').send({ outputs: -1 }).expect(400);
    });

    it('seeds history without events, deletes runs from Cappella, and serves the scan oracle', async () => {
      const seeded = await http
        .post('/sim/history')
        .send({
          runs: 100,
          outputsPerRun: 3,
          missingEntityRate: 0.05,
          orphanProvenanceRate: 0.02,
          staleCacheRate: 0.03,
        })
        .expect(201);
      const history = seeded.body as SeededHistory;
      expect(history).toEqual({
        runs: 100,
        entities: 300 - 5 + 2,
        injected: { missing_entity: 5, dangling_reference: 0, orphan_provenance: 2 },
        artifacts: { cached: 0, stale: 3 },
        firstRunId: expect.stringMatching(/^http-run-\d+$/) as string,
        lastRunId: expect.stringMatching(/^http-run-\d+$/) as string,
      });
      await settled();
      expect(completed).toEqual([]);
      const first = await http.get(`/cappella/runs/${history.firstRunId}`).expect(200);
      expect(first.body).toMatchObject({
        status: 'COMPLETED',
        inputs: { source: history.firstRunId },
      });

      const scan = async (query: string) =>
        (await http.get(`/sim/truth/scan${query}`).expect(200)).body as ScanTruth;
      const before = await scan('?graceMs=30000');
      expect(before.counts).toMatchObject({
        missing_entity: 5,
        dangling_reference: 0,
        orphan_provenance: 2,
        stale_cache: 3,
      });

      const deletion = await http
        .post('/sim/cappella/deletions')
        .send({ run_ids: [history.firstRunId, 'never'] })
        .expect(200);
      expect(deletion.body as RunDeletion).toEqual({
        deleted: [history.firstRunId],
        unknown: ['never'],
      });
      await http.get(`/cappella/runs/${history.firstRunId}`).expect(404);

      // The deleted run's entities are orphans now, and its own missing output is no finding.
      const after = await scan('?graceMs=30000');
      expect(after.graceMs).toBe(30_000);
      const deleted = first.body as { outputs: EntityKey[] };
      const lost = before.missing_entity.find((f) => f.run_id === history.firstRunId);
      const written = deleted.outputs.filter((k) => !lost?.entities.some((m) => sameKey(m, k)));
      expect(after.missing_entity).toEqual(
        before.missing_entity.filter((f) => f.run_id !== history.firstRunId),
      );
      const orphaned = after.orphan_provenance.filter((o) => o.run_id === history.firstRunId);
      expect(orphaned.map((o) => o.entity)).toEqual(expect.arrayContaining(written));
      expect(orphaned).toHaveLength(written.length);
      expect(after.counts.orphan_provenance).toBe(2 + written.length);
      expect((await scan('?graceMs=120000')).counts.missing_entity).toBe(0);
      expect(await scan('')).toMatchObject({ graceMs: 0 });
    });

    it('refuses bad history, deletion and oracle requests with 400', async () => {
      await http.post('/sim/history').send({}).expect(400);
      await http.post('/sim/history').send({ runs: 0 }).expect(400);
      await http.post('/sim/history').send({ runs: 10, missingEntityRate: 2 }).expect(400);
      await http.post('/sim/history').send({ runs: 10, colour: 'blue' }).expect(400);
      const oversized = await http
        .post('/sim/history')
        .send({ runs: 1_000_000, outputsPerRun: 10 })
        .expect(400);
      expect((oversized.body as { message: string }).message).toMatch(/outputsPerRun/);
      const impossible = await http
        .post('/sim/history')
        .send({ runs: 3, missingEntityRate: 0.5, orphanProvenanceRate: 0.5 })
        .expect(400);
      expect((impossible.body as { message: string }).message).toMatch(/injections/);
      await http.post('/sim/cappella/deletions').send({ run_ids: [] }).expect(400);
      await http
        .post('/sim/cappella/deletions')
        .send({ runIds: ['x'] })
        .expect(400);
      await http.get('/sim/truth/scan?graceMs=-1').expect(400);
      await http.get('/sim/truth/scan?graceMs=soon').expect(400);
    });

    it('generates a batch over HTTP and reports it healthy', async () => {
      const result = await http
        .post('/sim/generate/batch')
        .send({ count: 20, outputsPerRun: 2 })
        .expect(201);
      expect((result.body as { runIds: string[] }).runIds).toHaveLength(20);
      await settled();
      expect(completed).toHaveLength(20);
      expect((await http.get('/health').expect(200)).body).toMatchObject({
        status: 'ok',
        transport: 'in-process',
      });
    });
  });
});

describe('component simulator without bulk lookup', () => {
  it('answers 404 to POST /hippo/entities/lookup when SIM_HIPPO_BULK_LOOKUP=false', async () => {
    const app = await boot({ SIM_HIPPO_BULK_LOOKUP: 'false' });
    try {
      await request(app.getHttpServer())
        .post('/hippo/entities/lookup')
        .send({ entities: [] })
        .expect(404);
    } finally {
      await app.close();
    }
  });
});
