/**
 * The consistency checks end to end, through real Kafka, the schema registry, PostgreSQL and the
 * component simulator's HTTP APIs: a component event goes in, a sync event log row and an
 * outbound `bridge.sync.*` event come out — correctly and once, also when things fail.
 */
import { randomUUID } from 'node:crypto';
import { Topics, type RunCompleted } from '@bridge/contracts';
import { EventPublisher, KafkaConnection } from '@bridge/messaging';
import { eventually, kafkaTransport } from '../../../test/stack-config';
import { expectKind, startPipeline, type Pipeline } from '../../../test/pipeline-harness';

describe('consistency checks through the real stack', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline();
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('records bridge.sync.ok and publishes it once when every output is in Hippo', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 3 });
    const row = await pipeline.finding(run.runId, ['bridge.sync.ok']);
    expect(row).toMatchObject({ source: 'cappella', dedupeKey: `post_run:${run.runId}` });
    expect(row.details).toMatchObject({ checked_count: 3 });
    await waitFor(
      () => pipeline.seen(Topics.BridgeSyncOk, (e) => e.run_id === run.runId).length === 1,
    );
    expect(pipeline.seen(Topics.BridgeSyncOk, (e) => e.run_id === run.runId)[0]).toMatchObject({
      sync_event_id: row.id,
      checked_count: 3,
    });
  });

  it('names exactly the missing entity when one of three outputs never reached Hippo', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 3, missing: 1 });
    const truth = pipeline.sim.truth().runs[run.runId];
    expect(truth.kind).toBe('missing_entity');
    const expectedMissing = truth.kind === 'missing_entity' ? truth.missing : [];
    const row = await pipeline.finding(run.runId, ['bridge.sync.mismatch', 'bridge.sync.ok']);
    expectKind(row, 'bridge.sync.mismatch');
    expect(row).toMatchObject({ mismatchType: 'missing_entity', repairStrategy: 'alert_only' });
    expect(row.details.missing_entities).toEqual(expectedMissing);
    await waitFor(
      () => pipeline.seen(Topics.BridgeSyncMismatch, (e) => e.run_id === run.runId).length === 1,
    );
    expect(
      pipeline.seen(Topics.BridgeSyncMismatch, (e) => e.run_id === run.runId)[0],
    ).toMatchObject({ missing_entities: expectedMissing, mismatch_type: 'missing_entity' });
  });

  it('waits out the grace delay: an entity that appears within it gives ok and no mismatch', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 3, lagMs: 700 });
    const row = await pipeline.finding(run.runId, ['bridge.sync.ok', 'bridge.sync.mismatch']);
    expect(row.eventType).toBe('bridge.sync.ok');
    expect(await pipeline.rows([run.runId])).toHaveLength(1);
    expect(pipeline.seen(Topics.BridgeSyncMismatch, (e) => e.run_id === run.runId)).toEqual([]);
  });

  it('records partial_output for a failed run that wrote part of its outputs', async () => {
    const run = await pipeline.sim.failRun({ outputs: 3, written: 2 });
    const row = await pipeline.finding(run.runId, ['bridge.sync.mismatch']);
    expect(row.mismatchType).toBe('partial_output');
    const truth = pipeline.sim.truth().runs[run.runId];
    expect(row.details.partial_outputs).toEqual(
      truth.kind === 'partial_output' ? truth.written : null,
    );
  });

  it('finds the Canon artifacts left behind after a Hippo deletion and publishes stale_cache', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 3 });
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    const deletion = await pipeline.sim.deleteEntities({ keys: run.outputs, leaveArtifactsFor: 2 });
    const truth = pipeline.sim.truth().availability[deletion.eventId];
    expect(truth.kind).toBe('stale_cache');
    const expectedArtifacts = truth.kind === 'stale_cache' ? truth.artifactIds : [];
    const row = await pipeline.finding(deletion.eventId, ['bridge.sync.stale_cache']);
    expectKind(row, 'bridge.sync.stale_cache');
    expect(row).toMatchObject({
      mismatchType: 'stale_cache',
      repairStrategy: 'evict_on_next_sweep',
    });
    expect([...row.details.artifact_ids].sort()).toEqual([...expectedArtifacts].sort());
    await waitFor(
      () =>
        pipeline.seen(Topics.BridgeSyncStaleCache, (e) => e.sync_event_id === row.id).length === 1,
    );
    expect(
      pipeline.seen(Topics.BridgeSyncStaleCache, (e) => e.sync_event_id === row.id)[0],
    ).toMatchObject({ eviction_mode: 'next_sweep' });
  });

  it('leaves the cache alone when the entities of an old unavailability event are available again', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2 });
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    // Hippo and Canon still hold the entities and their artifacts: the event is stale.
    const event = {
      event_id: randomUUID(),
      occurred_at: Date.now() - 60_000,
      change: 'UNAVAILABLE' as const,
      entities: run.outputs,
      actor: 'tester',
    };
    await pipeline.simApp
      .get(EventPublisher)
      .publish(Topics.HippoEntitiesAvailabilityChanged, event, run.runId);
    const row = await pipeline.finding(event.event_id, [
      'bridge.sync.cache_clean',
      'bridge.sync.stale_cache',
    ]);
    expect(row.eventType).toBe('bridge.sync.cache_clean');
  });

  it('records component facts, and heals a stale-cache finding once Canon evicts its artifacts by itself', async () => {
    const batch = await pipeline.sim.publishBatchCompleted({ count: 7 });
    const scan = await pipeline.sim.publishReconciliationCompleted({
      discrepancyCount: 2,
      resolvedCount: 1,
    });
    const batchRow = await pipeline.finding(batch.key, ['hippo.ingest.batch_completed']);
    expect(batchRow).toMatchObject({ source: 'hippo', details: { count: 7 } });
    const scanRow = await pipeline.finding(scan.key, ['cappella.reconciliation.completed']);
    expect(scanRow.details).toMatchObject({ discrepancy_count: 2, resolved_count: 1 });

    const run = await pipeline.sim.completeRun({ outputs: 2 });
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    const deletion = await pipeline.sim.deleteEntities({ keys: run.outputs, leaveArtifactsFor: 2 });
    const stale = await pipeline.finding(deletion.eventId, ['bridge.sync.stale_cache']);
    expect(stale.resolved).toBe(false);
    await pipeline.sim.evictArtifacts(stale.details.artifact_ids, 'immediate');
    const settled = await eventually(async () => {
      const row = (await pipeline.rows([deletion.eventId])).find((r) => r.id === stale.id);
      return row?.resolved ? row : undefined;
    });
    // No repair asked Canon (no repair service runs here): the discrepancy went away by itself.
    expect(settled).toMatchObject({ state: 'healed', resolvedBy: 'bridge' });
    expect(settled.resolutionNote).toMatch(/Canon evicted the 2 stale artifacts by itself/);
    await waitFor(
      () =>
        pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === stale.id).length === 1,
    );
    expect(
      pipeline.seen(Topics.BridgeSyncRepaired, (e) => e.sync_event_id === stale.id)[0],
    ).toMatchObject({ mismatch_type: 'stale_cache', resolution: 'healed', resolved_by: 'bridge' });
  });

  it('keeps one row and one outbound event when the same event is delivered twice', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 2, publish: false });
    const event: RunCompleted = {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      run_id: run.runId,
      pipeline_id: run.pipelineId,
      outputs: run.outputs,
      actor: 'tester',
    };
    // The simulator's own publisher: the path a component's event takes.
    const publisher = pipeline.simApp.get(EventPublisher);
    await publisher.publish(Topics.CappellaRunCompleted, event, run.runId);
    await publisher.publish(Topics.CappellaRunCompleted, event, run.runId);
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    // A later event on the same key proves both copies were consumed before we count.
    const marker = await pipeline.sim.completeRun({ outputs: 1, runId: `${run.runId}-after` });
    await pipeline.finding(marker.runId, ['bridge.sync.ok']);
    await waitFor(
      () => pipeline.seen(Topics.BridgeSyncOk, (e) => e.run_id === marker.runId).length > 0,
    );
    expect(await pipeline.rows([run.runId])).toHaveLength(1);
    expect(pipeline.seen(Topics.BridgeSyncOk, (e) => e.run_id === run.runId)).toHaveLength(1);
  });

  it('reaches the right finding when Hippo answers 503 for a while and then recovers', async () => {
    pipeline.sim.setFaults('hippo', { outage: { status: 503, untilMs: Date.now() + 600 } });
    try {
      const run = await pipeline.sim.completeRun({ outputs: 3, missing: 1 });
      const row = await pipeline.finding(run.runId, [
        'bridge.sync.mismatch',
        'bridge.sync.ok',
        'bridge.sync.check_failed',
      ]);
      expectKind(row, 'bridge.sync.mismatch');
      expect(row.mismatchType).toBe('missing_entity');
      expect(row.details.attempts).toBeGreaterThan(1);
    } finally {
      pipeline.sim.clearFaults();
    }
  });

  it('records check_failed and a dead letter when Hippo stays down past the retry cap, and a requeued check then succeeds', async () => {
    pipeline.sim.setFaults('hippo', { outage: { status: 503 } });
    let runId: string;
    try {
      const run = await pipeline.sim.completeRun({ outputs: 2 });
      runId = run.runId;
      const row = await pipeline.finding(run.runId, ['bridge.sync.check_failed', 'bridge.sync.ok']);
      expectKind(row, 'bridge.sync.check_failed');
      expect(row.details.reason).toMatch(/gave up after 3 attempt/);
    } finally {
      pipeline.sim.clearFaults();
    }
    const deadLetter = await eventually(() =>
      pipeline
        .seen(
          Topics.BridgeDlqEvents,
          (d) => d.source_topic === Topics.BridgeInternalChecks && d.key?.toString() === runId,
        )
        .at(0),
    );
    expect(deadLetter.reason).toMatch(/hippo/i);
    expect(deadLetter.payload?.length).toBeGreaterThan(5);

    // An operator requeues the dead letter: its bytes go back to the topic it names.
    const connection = new KafkaConnection(kafkaTransport(pipeline.config));
    try {
      const producer = await connection.connectedProducer();
      await producer.send({
        topic: deadLetter.source_topic,
        messages: [{ key: deadLetter.key ?? null, value: deadLetter.payload ?? null }],
      });
    } finally {
      await connection.close();
    }
    const failedRow = (await pipeline.rows([runId]))[0];
    const ok = await pipeline.finding(runId, ['bridge.sync.ok']);
    expect(ok.id).toBe(failedRow.id);
    expect(await pipeline.rows([runId])).toHaveLength(1);
    await waitFor(() => pipeline.seen(Topics.BridgeSyncOk, (e) => e.run_id === runId).length === 1);
  });

  it('dead-letters a malformed inbound message with its reason and still checks the next event', async () => {
    const connection = new KafkaConnection(kafkaTransport(pipeline.config));
    const runId = `${pipeline.config.consumerGroupPrefix}-after-garbage`;
    try {
      const producer = await connection.connectedProducer();
      await producer.send({
        topic: Topics.CappellaRunCompleted,
        messages: [{ key: runId, value: Buffer.from('definitely not avro') }],
      });
    } finally {
      await connection.close();
    }
    const run = await pipeline.sim.completeRun({ runId, outputs: 2 });
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    const deadLetter = await eventually(() =>
      pipeline
        .seen(
          Topics.BridgeDlqEvents,
          (d) => d.source_topic === Topics.CappellaRunCompleted && d.key?.toString() === runId,
        )
        .at(0),
    );
    expect(deadLetter).toMatchObject({ failure_kind: 'undecodable' });
    expect(deadLetter.reason).toMatch(/wire format|magic byte/);
    expect(deadLetter.payload?.toString()).toBe('definitely not avro');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  await eventually(() => (condition() ? true : undefined), timeoutMs, 'an outbound event');
}
