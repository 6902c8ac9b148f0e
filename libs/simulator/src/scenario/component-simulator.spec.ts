import { jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { loadConfig } from '@bridge/config';
import { Topics, type EntityKey, type EventOf, type Topic } from '@bridge/contracts';
import {
  EventPublisher,
  EventSubscriber,
  TRANSPORT,
  type Subscription,
  type Transport,
} from '@bridge/messaging';
import { ComponentSimModule } from '../component-sim.module';
import { loadSimSettings } from '../sim-config';
import { ComponentState } from '../state/component-state';
import { ComponentSimulator } from './component-simulator';
import { ScenarioError } from './scenario-error';

interface Published {
  topic: Topic;
  key: string | null;
  event: EventOf<Topic>;
}

describe('ComponentSimulator scenarios', () => {
  let moduleRef: TestingModule;
  let sim: ComponentSimulator;
  let state: ComponentState;
  let published: Published[];
  let subscription: Subscription;

  const settled = async () => {
    const transport = moduleRef.get<Transport>(TRANSPORT);
    if (transport.kind === 'in-process') await transport.bus.idle();
  };
  const eventsOn = async <T extends Topic>(topic: T) => {
    await settled();
    return published.filter((p) => p.topic === topic) as Array<Published & { event: EventOf<T> }>;
  };
  const ref = (key: EntityKey) => `${key.entity_type}:${key.external_id}`;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ComponentSimModule.forRoot(
          loadConfig({}),
          loadSimSettings({ SIM_SEED: '11', SIM_ID_PREFIX: 'spec' }),
        ),
      ],
    }).compile();
    await moduleRef.init();
    sim = moduleRef.get(ComponentSimulator);
    state = moduleRef.get(ComponentState);
    subscription = await moduleRef.get(EventSubscriber).subscribe({
      groupId: 'spec-observer',
      topics: [
        Topics.CappellaRunCompleted,
        Topics.CappellaRunFailed,
        Topics.HippoEntitiesAvailabilityChanged,
        Topics.CanonCacheEvicted,
      ],
      handler: (received) => {
        published.push({ topic: received.topic, key: received.key, event: received.event });
        return Promise.resolve();
      },
    });
  });

  beforeEach(async () => {
    await settled();
    sim.reset();
    published = [];
  });

  afterAll(async () => {
    await subscription.stop();
    await moduleRef.close();
  });

  describe('completeRun', () => {
    it('writes every output to Hippo with provenance and one Canon artifact each, publishes them all, and expects ok', async () => {
      const run = await sim.completeRun();
      expect(run.outputs).toHaveLength(3);
      for (const key of run.outputs) {
        expect(state.hippo.get(key)).toMatchObject({
          available: true,
          provenance: { run_id: run.runId },
        });
        expect(state.canon.artifactsOf(key)).toHaveLength(1);
      }
      expect(state.cappella.run(run.runId)).toMatchObject({
        status: 'COMPLETED',
        outputs: run.outputs,
      });
      const [event] = await eventsOn(Topics.CappellaRunCompleted);
      expect(event.key).toBe(run.runId);
      expect(event.event).toMatchObject({
        event_id: run.eventId,
        run_id: run.runId,
        outputs: run.outputs,
      });
      expect(sim.truth().runs[run.runId]).toMatchObject({
        kind: 'ok',
        lagMs: 0,
        eventId: run.eventId,
      });
    });

    it('publishes all outputs but leaves the missing ones out of Hippo and Canon, and records exactly those', async () => {
      const run = await sim.completeRun({ outputs: 4, missing: 2 });
      const missing = run.outputs.slice(2);
      expect(run.missing).toEqual(missing);
      for (const key of missing) {
        expect(state.hippo.get(key)).toBeUndefined();
        expect(state.canon.artifactsOf(key)).toHaveLength(0);
      }
      const [event] = await eventsOn(Topics.CappellaRunCompleted);
      expect(event.event.outputs).toEqual(run.outputs);
      expect(sim.truth().runs[run.runId]).toMatchObject({ kind: 'missing_entity', missing });
      expect(sim.truth().counters).toMatchObject({ missingEntityRuns: 1, missingEntities: 2 });
    });

    it('makes lagging outputs visible only after the lag and still expects ok', async () => {
      const run = await sim.completeRun({ outputs: 2, lagMs: 60_000 });
      expect(state.hippo.get(run.outputs[0])).toBeUndefined();
      const later = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 60_001);
      try {
        expect(state.hippo.get(run.outputs[0])?.provenance.run_id).toBe(run.runId);
      } finally {
        later.mockRestore();
      }
      expect(sim.truth().runs[run.runId]).toMatchObject({ kind: 'ok', lagMs: 60_000 });
    });

    it('changes the state without publishing when asked, and says so in the truth', async () => {
      const run = await sim.completeRun({ publish: false, missing: 1 });
      expect(await eventsOn(Topics.CappellaRunCompleted)).toHaveLength(0);
      expect(state.cappella.run(run.runId)).toBeDefined();
      expect(sim.truth().runs[run.runId]).toMatchObject({ kind: 'missing_entity', eventId: null });
    });

    it('refuses more missing outputs than outputs, and a run id already taken', async () => {
      await expect(sim.completeRun({ outputs: 2, missing: 3 })).rejects.toThrow(ScenarioError);
      const run = await sim.completeRun();
      await expect(sim.completeRun({ runId: run.runId })).rejects.toThrow(/already exists/);
    });
  });

  describe('failRun', () => {
    it('writes the first outputs, reports them as partial outputs and expects partial_output', async () => {
      const run = await sim.failRun({ outputs: 3, written: 2, error: 'disk full' });
      const [written, notWritten] = [run.outputs.slice(0, 2), run.outputs.slice(2)];
      expect(written.map((k) => state.hippo.get(k)?.provenance.run_id)).toEqual([
        run.runId,
        run.runId,
      ]);
      expect(state.hippo.get(notWritten[0])).toBeUndefined();
      expect(state.cappella.run(run.runId)).toMatchObject({ status: 'FAILED', outputs: written });
      const [event] = await eventsOn(Topics.CappellaRunFailed);
      expect(event.event).toMatchObject({
        run_id: run.runId,
        partial_outputs: written,
        error: 'disk full',
      });
      expect(sim.truth().runs[run.runId]).toMatchObject({
        kind: 'partial_output',
        written,
        notWritten,
      });
    });

    it('expects no finding for a failed run that wrote nothing', async () => {
      const run = await sim.failRun({ written: 0 });
      expect(sim.truth().runs[run.runId].kind).toBe('no_finding');
    });
  });

  describe('deleteEntities', () => {
    it('deletes in Hippo, leaves the chosen artifacts in Canon, publishes every entity and records the stale artifacts', async () => {
      const run = await sim.completeRun({ outputs: 3 });
      const kept = state.canon.artifactsOf(run.outputs[0]).map((a) => a.artifact_id);
      const deletion = await sim.deleteEntities({ keys: run.outputs, leaveArtifactsFor: 1 });
      for (const key of run.outputs) expect(state.hippo.get(key)).toBeUndefined();
      expect(state.canon.artifactsFor(run.outputs).map((a) => a.artifact_id)).toEqual(kept);
      const [event] = await eventsOn(Topics.HippoEntitiesAvailabilityChanged);
      expect(event.key).toBe(ref(run.outputs[0]));
      expect(event.event).toMatchObject({
        event_id: deletion.eventId,
        change: 'DELETED',
        entities: run.outputs,
      });
      expect(sim.truth().availability[deletion.eventId]).toMatchObject({
        kind: 'stale_cache',
        entities: [run.outputs[0]],
        artifactIds: kept,
        changed: run.outputs,
      });
    });

    it('records a clean change when Canon drops every artifact', async () => {
      const run = await sim.completeRun({ outputs: 2 });
      const deletion = await sim.deleteEntities({ keys: run.outputs });
      expect(state.canon.artifactsFor(run.outputs)).toEqual([]);
      expect(sim.truth().availability[deletion.eventId].kind).toBe('clean');
    });

    it('marks the oldest available entities unavailable when given a count', async () => {
      const first = await sim.completeRun({ outputs: 2 });
      await sim.completeRun({ outputs: 2 });
      const deletion = await sim.deleteEntities({
        count: 2,
        change: 'UNAVAILABLE',
        leaveArtifactsFor: 2,
      });
      expect(deletion.entities).toEqual(first.outputs);
      expect(state.hippo.get(first.outputs[0])?.available).toBe(false);
      expect(deletion.leftBehind.artifactIds).toHaveLength(2);
    });

    it('refuses an unknown entity and changes nothing', async () => {
      const run = await sim.completeRun({ outputs: 1 });
      const unknown = { entity_type: 'dataset', external_id: 'nope' };
      await expect(sim.deleteEntities({ keys: [run.outputs[0], unknown] })).rejects.toThrow(/nope/);
      expect(state.hippo.get(run.outputs[0])).toBeDefined();
      expect(await eventsOn(Topics.HippoEntitiesAvailabilityChanged)).toHaveLength(0);
    });
  });

  describe('resubmission and eviction', () => {
    it('rewrites the same outputs when an idempotent pipeline reruns a run, so the missing one appears', async () => {
      const original = await sim.completeRun({ outputs: 3, missing: 1 });
      const inputs = state.cappella.run(original.runId)?.inputs ?? {};
      const runId = await sim.submitRun(original.pipelineId, inputs);
      expect(runId).not.toBeNull();
      expect(state.hippo.get(original.missing[0])?.provenance.run_id).toBe(runId);
      expect(state.cappella.run(runId ?? '')?.outputs).toEqual(original.outputs);
      expect(sim.truth().resubmissions).toEqual([
        expect.objectContaining({ runId, repeatsRunId: original.runId, idempotent: true }),
      ]);
    });

    it('produces new entities when a non-idempotent pipeline reruns a run', async () => {
      const original = await sim.completeRun({ outputs: 2, missing: 1, idempotent: false });
      const inputs = state.cappella.run(original.runId)?.inputs ?? {};
      const runId = (await sim.submitRun(original.pipelineId, inputs)) ?? '';
      const rerun = state.cappella.run(runId);
      expect(rerun?.outputs).toHaveLength(2);
      expect(rerun?.outputs).not.toContainEqual(original.outputs[0]);
      expect(state.hippo.get(original.missing[0])).toBeUndefined();
    });

    it('answers null for an unknown pipeline', async () => {
      expect(await sim.submitRun('no-such-pipeline', {})).toBeNull();
    });

    it('evicts immediately with an event, and on next_sweep only when Canon sweeps', async () => {
      const run = await sim.completeRun({ outputs: 2 });
      const [a, b] = run.outputs.map((key) => state.canon.artifactsOf(key)[0].artifact_id);
      expect(await sim.evictArtifacts([a, 'unknown'], 'immediate')).toBe(1);
      expect(await sim.evictArtifacts([b], 'next_sweep')).toBe(1);
      expect(state.canon.artifactsOf(run.outputs[1])).toHaveLength(1);
      expect((await eventsOn(Topics.CanonCacheEvicted)).map((e) => e.event.artifact_ids)).toEqual([
        [a],
      ]);
      expect(await sim.sweepCanon()).toEqual([b]);
      expect(state.canon.artifactsOf(run.outputs[1])).toHaveLength(0);
      expect((await eventsOn(Topics.CanonCacheEvicted)).map((e) => e.event.artifact_ids)).toEqual([
        [a],
        [b],
      ]);
    });
  });

  describe('load generation', () => {
    const lossPattern = async () => {
      const result = await sim.generateBatch({
        count: 300,
        outputsPerRun: 5,
        missingRate: 0.1,
        publishChunk: 64,
      });
      const truth = sim.truth();
      return {
        result,
        truth,
        pattern: result.runIds.map((runId) => {
          const run = truth.runs[runId];
          return run.kind === 'missing_entity'
            ? run.missing[0].external_id.replace(runId, '')
            : '-';
        }),
      };
    };

    it('publishes every generated run once, with about missingRate of them missing exactly one output', async () => {
      const { result, truth } = await lossPattern();
      expect(result.runIds).toHaveLength(300);
      expect(result.publishedAt).toHaveLength(300);
      const events = await eventsOn(Topics.CappellaRunCompleted);
      expect(new Set(events.map((e) => e.event.run_id))).toEqual(new Set(result.runIds));
      expect(events.every((e) => e.event.outputs.length === 5)).toBe(true);
      expect(truth.counters.missingEntityRuns).toBe(result.missingRunIds.length);
      expect(truth.counters.missingEntities).toBe(result.missingRunIds.length);
      expect(result.missingRunIds.length).toBeGreaterThan(10);
      expect(result.missingRunIds.length).toBeLessThan(60);
      for (const runId of result.missingRunIds) {
        const run = truth.runs[runId];
        expect(run.kind === 'missing_entity' && state.hippo.get(run.missing[0])).toBeUndefined();
      }
    });

    it('loses the same outputs again after a reset with the same seed', async () => {
      const first = (await lossPattern()).pattern;
      sim.reset();
      expect((await lossPattern()).pattern).toEqual(first);
    });

    it('paces a stream at the offered rate', async () => {
      const result = await sim.generateStream({ ratePerSecond: 400, count: 40, outputsPerRun: 2 });
      expect(result.runIds).toHaveLength(40);
      // Pacing never runs ahead of the offered rate: run i goes out no earlier than i/rate
      // after the start (measured from the start, not from the first publish, which a slow
      // first encode may delay and so shorten the span while pacing is right).
      result.publishedAt.forEach((at, i) => {
        expect(at - result.startedAt).toBeGreaterThanOrEqual(Math.floor((i * 1_000) / 400) - 1);
      });
      expect(result.publishedAt[39] - result.startedAt).toBeLessThan(1_000);
      expect([...result.publishedAt].sort((x, y) => x - y)).toEqual(result.publishedAt);
      expect(await eventsOn(Topics.CappellaRunCompleted)).toHaveLength(40);
    });

    it('keeps refused run events and sends them again until taken, when asked to', async () => {
      const publisher = moduleRef.get(EventPublisher);
      const refusal = () => Promise.reject(new Error('leader not available'));
      const spy = jest
        .spyOn(publisher, 'publishMany')
        .mockImplementationOnce(refusal)
        .mockImplementationOnce(refusal);
      try {
        const result = await sim.generateBatch({ count: 8, outputsPerRun: 1, untilSent: true });
        const truth = sim.truth();
        expect(result.runIds.every((runId) => truth.runs[runId].eventId !== null)).toBe(true);
        const events = await eventsOn(Topics.CappellaRunCompleted);
        expect(
          events.map((e) => e.event.run_id).filter((id) => result.runIds.includes(id)),
        ).toEqual(result.runIds);
        expect(spy).toHaveBeenCalledTimes(3);
        // Without it, a refused generation fails, its runs recorded as never announced.
        spy.mockImplementationOnce(refusal);
        await expect(sim.generateBatch({ count: 4, outputsPerRun: 1 })).rejects.toThrow(/leader/);
      } finally {
        spy.mockRestore();
      }
    });

    it('stops a running stream on reset', async () => {
      const stream = sim.generateStream({
        ratePerSecond: 100,
        durationMs: 10_000,
        outputsPerRun: 1,
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      sim.reset();
      const result = await stream;
      expect(result.interrupted).toBe(true);
      expect(result.runIds.length).toBeLessThan(50);
    });
  });

  describe('seeded history and the scan oracle', () => {
    const GRACE_MS = 30_000;
    const runNumber = (runId: string) => Number(/-run-(\d+)$/.exec(runId)?.[1]);
    const upstreamOf = (runId: string) => state.cappella.run(runId)?.inputs.upstream as EntityKey;

    it('writes runs without events, with exactly the asked injections, and the oracle reports exactly those', async () => {
      const seeded = sim.seedHistory({
        runs: 400,
        outputsPerRun: 4,
        missingEntityRate: 0.025,
        danglingReferenceRate: 0.05,
        orphanProvenanceRate: 0.0125,
      });
      const injected = { missing_entity: 10, dangling_reference: 20, orphan_provenance: 5 };
      expect(seeded).toMatchObject({ runs: 400, entities: 400 * 4 - 10 + 5, injected });
      expect(runNumber(seeded.lastRunId) - runNumber(seeded.firstRunId)).toBe(399);
      await settled();
      expect(published).toEqual([]);
      expect(state.cappella.runCount).toBe(400);
      expect(state.hippo.visibleCount).toBe(seeded.entities);
      const first = state.cappella.run(seeded.firstRunId);
      expect(first).toMatchObject({ status: 'COMPLETED', inputs: { source: seeded.firstRunId } });
      expect(first?.inputs).not.toHaveProperty('upstream');
      expect(Date.now() - Date.parse(first?.updated_at ?? '')).toBeGreaterThanOrEqual(60_000);

      const truth = sim.scanTruth(GRACE_MS);
      const noStale = { ...injected, stale_cache: 0 };
      expect(truth.counts).toEqual({ ...noStale, entities: noStale });
      for (const { run_id, entities } of truth.missing_entity) {
        expect(state.cappella.run(run_id)?.outputs).toContainEqual(entities[0]);
        expect(state.hippo.has(entities[0])).toBe(false);
      }
      for (const { run_id, entities } of truth.dangling_reference) {
        expect(entities).toEqual([upstreamOf(run_id)]);
        expect(state.hippo.has(entities[0])).toBe(false);
      }
      for (const orphan of truth.orphan_provenance) {
        expect(orphan.run_id).toMatch(/^spec-gone-run-\d+$/);
        expect(state.hippo.get(orphan.entity)?.provenance.run_id).toBe(orphan.run_id);
      }
      const injectedRuns = new Set(
        [...truth.missing_entity, ...truth.dangling_reference].map((f) => f.run_id),
      );
      expect(injectedRuns.size).toBe(30);
      // Every other run refers to an output of the run before it, which Hippo has.
      for (const run of state.cappella.allRuns()) {
        if (run.run_id === seeded.firstRunId || injectedRuns.has(run.run_id)) continue;
        const upstream = upstreamOf(run.run_id);
        expect(state.hippo.isAvailable(upstream)).toBe(true);
        expect(upstream.external_id).toMatch(
          new RegExp(`^spec-run-${runNumber(run.run_id) - 1}-o`),
        );
      }
      // Beyond the grace delay only the orphans remain.
      expect(sim.scanTruth(120_000).counts).toMatchObject({
        missing_entity: 0,
        dangling_reference: 0,
        orphan_provenance: 5,
      });
    });

    it('appends a second call with new ids on its own pipeline, its first run without upstream', () => {
      const earlier = sim.seedHistory({ runs: 50, outputsPerRun: 2, missingEntityRate: 0.1 });
      const later = sim.seedHistory({
        runs: 30,
        danglingReferenceRate: 0.1,
        pipelineId: 'history-import',
      });
      expect(runNumber(later.firstRunId)).toBe(runNumber(earlier.lastRunId) + 1);
      expect(later.entities).toBe(300);
      expect(state.cappella.runCount).toBe(80);
      expect(state.cappella.run(later.firstRunId)).toMatchObject({
        pipeline_id: 'history-import',
        inputs: { source: later.firstRunId },
      });
      expect(state.cappella.run(later.firstRunId)?.inputs).not.toHaveProperty('upstream');
      expect(state.cappella.pipeline('history-import')?.idempotent).toBe(true);
      expect(sim.scanTruth(GRACE_MS).counts).toMatchObject({
        missing_entity: 5,
        dangling_reference: 3,
        orphan_provenance: 0,
      });
    });

    it('injects into the same runs again after a reset with the same seed', () => {
      const pattern = () => {
        const seeded = sim.seedHistory({ runs: 300, missingEntityRate: 0.05, outputsPerRun: 3 });
        return sim
          .scanTruth(GRACE_MS)
          .missing_entity.map((f) => runNumber(f.run_id) - runNumber(seeded.firstRunId))
          .sort((a, b) => a - b);
      };
      const first = pattern();
      sim.reset();
      expect(pattern()).toEqual(first);
    });

    it('refuses rates that ask for more injections than runs', () => {
      expect(() =>
        sim.seedHistory({ runs: 3, missingEntityRate: 0.5, danglingReferenceRate: 0.5 }),
      ).toThrow(ScenarioError);
      expect(state.cappella.runCount).toBe(0);
    });

    it('follows later changes: an unavailable entity, a deleted run, a run within the grace delay', async () => {
      sim.seedHistory({ runs: 5, outputsPerRun: 3 });
      expect(sim.scanTruth(GRACE_MS).counts.missing_entity).toBe(0);
      const [, second, third, fourth, fifth] = [...state.cappella.allRuns()];

      // An output of the second run made unavailable: the second run misses it; the third run,
      // which read it, still references an entity Hippo has (not dangling).
      const read = upstreamOf(third.run_id);
      await sim.deleteEntities({ keys: [read], change: 'UNAVAILABLE' });
      let truth = sim.scanTruth(GRACE_MS);
      expect(truth.missing_entity).toEqual([{ run_id: second.run_id, entities: [read] }]);
      expect(truth.dangling_reference).toEqual([]);
      // Deleted outright, it dangles.
      await sim.deleteEntities({ keys: [read], change: 'DELETED' });
      truth = sim.scanTruth(GRACE_MS);
      expect(truth.missing_entity).toEqual([{ run_id: second.run_id, entities: [read] }]);
      expect(truth.dangling_reference).toEqual([{ run_id: third.run_id, entities: [read] }]);

      // The fourth run deleted from Cappella: its entities become orphans; the fifth run still
      // reads an entity Hippo has.
      expect(sim.deleteRuns([fourth.run_id])).toEqual({ deleted: [fourth.run_id], unknown: [] });
      truth = sim.scanTruth(GRACE_MS);
      expect(truth.orphan_provenance.map((o) => o.run_id)).toEqual([
        fourth.run_id,
        fourth.run_id,
        fourth.run_id,
      ]);
      expect(truth.orphan_provenance.map((o) => o.entity)).toEqual(
        expect.arrayContaining(fourth.outputs),
      );
      expect(upstreamOf(fifth.run_id)).toEqual(fourth.outputs[0]);
      expect(truth.dangling_reference.map((f) => f.run_id)).toEqual([third.run_id]);

      // A run that lost an output just now is left to the post-run check until the grace delay.
      const recent = await sim.completeRun({ outputs: 2, missing: 1 });
      expect(sim.scanTruth(GRACE_MS).missing_entity.map((f) => f.run_id)).toEqual([second.run_id]);
      expect(sim.scanTruth(0).missing_entity.map((f) => f.run_id)).toEqual(
        [second.run_id, recent.runId].sort(),
      );
    });
  });

  describe('deleteRuns', () => {
    it('deletes runs from Cappella only, answers the unknown ids, and publishes nothing', async () => {
      const run = await sim.completeRun({ outputs: 2 });
      await settled();
      published = [];
      expect(sim.deleteRuns([run.runId, 'never', run.runId])).toEqual({
        deleted: [run.runId],
        unknown: ['never'],
      });
      expect(state.cappella.run(run.runId)).toBeUndefined();
      expect(state.cappella.listRuns(undefined, 10).items).toEqual([]);
      for (const key of run.outputs) {
        expect(state.hippo.get(key)?.provenance.run_id).toBe(run.runId);
        expect(state.canon.artifactsOf(key)).toHaveLength(1);
      }
      expect(sim.deleteRuns([run.runId])).toEqual({ deleted: [], unknown: [run.runId] });
      await settled();
      expect(published).toEqual([]);
    });
  });

  it('reset empties every component, the truth and the faults, and restores the pipelines', async () => {
    const run = await sim.completeRun({ missing: 1 });
    sim.setFaults('hippo', { errorRate: 1 });
    sim.reset();
    expect(state.cappella.run(run.runId)).toBeUndefined();
    expect(state.hippo.get(run.outputs[0])).toBeUndefined();
    expect(sim.truth().counters.runs).toBe(0);
    expect(sim.faultsInEffect()).toEqual({});
    expect(state.cappella.pipeline('align-reads')).toEqual({
      pipeline_id: 'align-reads',
      idempotent: true,
    });
  });

  it('refuses invalid faults with a ScenarioError naming the problem', () => {
    expect(() => sim.setFaults('hippo', { errorRate: 1.5 })).toThrow(/errorRate/);
  });
});

describe('ComponentSimulator with pipelines that take time (SIM_RUN_DURATION_MS)', () => {
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ComponentSimModule.forRoot(
          loadConfig({}),
          loadSimSettings({ SIM_SEED: '12', SIM_ID_PREFIX: 'slow', SIM_RUN_DURATION_MS: '150' }),
        ),
      ],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  it('keeps a resubmitted run RUNNING, counted as a resubmission, until it completes and writes the missing output', async () => {
    const sim = moduleRef.get(ComponentSimulator);
    const state = moduleRef.get(ComponentState);
    const original = await sim.completeRun({ outputs: 3, missing: 1 });
    const inputs = state.cappella.run(original.runId)?.inputs ?? {};

    const runId = (await sim.submitRun(original.pipelineId, inputs)) ?? '';
    expect(state.cappella.run(runId)).toMatchObject({ status: 'RUNNING', outputs: [] });
    expect(state.hippo.get(original.missing[0])).toBeUndefined();
    expect(sim.truth().resubmissions).toEqual([
      expect.objectContaining({ runId, repeatsRunId: original.runId, idempotent: true }),
    ]);

    const deadline = Date.now() + 5_000;
    while (state.cappella.run(runId)?.status !== 'COMPLETED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(state.cappella.run(runId)).toMatchObject({
      status: 'COMPLETED',
      outputs: original.outputs,
    });
    expect(state.hippo.get(original.missing[0])?.provenance.run_id).toBe(runId);
    expect(sim.truth().resubmissions).toHaveLength(1);
  });

  it('never completes a RUNNING run that was deleted from Cappella', async () => {
    const sim = moduleRef.get(ComponentSimulator);
    const state = moduleRef.get(ComponentState);
    const original = await sim.completeRun({ outputs: 2, missing: 1 });
    const inputs = state.cappella.run(original.runId)?.inputs ?? {};
    const runId = (await sim.submitRun(original.pipelineId, inputs)) ?? '';
    expect(sim.deleteRuns([runId]).deleted).toEqual([runId]);
    expect(sim.runsInProgressCount).toBe(1);
    // Once its time has come and gone, the run is no longer in progress: it ended without
    // completing.
    const deadline = Date.now() + 5_000;
    while (sim.runsInProgressCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(sim.runsInProgressCount).toBe(0);
    expect(state.cappella.run(runId)).toBeUndefined();
    expect(state.hippo.get(original.missing[0])).toBeUndefined();
  });
});
