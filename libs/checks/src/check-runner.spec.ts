import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ChecksConfig } from '@bridge/config';
import {
  DEFAULT_STRATEGIES,
  RETRY_TIER_TOPICS,
  Topics,
  type CheckRequested,
  type EntityKey,
} from '@bridge/contracts';
import { InvalidEventError } from '@bridge/errors';
import { LocalAvroCodec } from '@bridge/messaging';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import { CheckLeases, StoreTransactions, SyncEventLog, type SyncEventRow } from '@bridge/store';
import { openEmbeddedStore, sampleStaleCacheFinding } from '@bridge/store/testing';
import { CheckRunner } from './check-runner';
import { checkWorkFor } from './check-work';
import { InMemoryComponentReader } from './testing';

const codec = new LocalAvroCodec();

const T0 = Date.parse('2026-03-02T10:00:00Z');
const CHECKS: ChecksConfig = {
  graceDelayMs: 30_000,
  retryDelaysMs: [5_000, 30_000, 120_000],
  batchSize: 100,
  leaseMs: 30_000,
};
/** Not the default for missing_entity, so a finding visibly carries the configured one. */
const STRATEGIES = { ...DEFAULT_STRATEGIES, missing_entity: 'resubmit_run' as const };
const HOLDER = 'checker-test#1';

const sample = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

function completedRun(runId: string, outputs: EntityKey[], occurredAt = T0): CheckRequested {
  const work = checkWorkFor(
    {
      topic: Topics.CappellaRunCompleted,
      event: {
        event_id: randomUUID(),
        occurred_at: occurredAt,
        run_id: runId,
        pipeline_id: 'pipe-1',
        outputs,
        actor: 'alice',
      },
    },
    occurredAt + 5,
  );
  if (!work) throw new Error('a completed run always calls for a check');
  return work;
}

function failedRun(runId: string, partialOutputs: EntityKey[], occurredAt = T0): CheckRequested {
  const work = checkWorkFor(
    {
      topic: Topics.CappellaRunFailed,
      event: {
        event_id: randomUUID(),
        occurred_at: occurredAt,
        run_id: runId,
        pipeline_id: 'pipe-2',
        error: 'out of memory',
        partial_outputs: partialOutputs,
        actor: 'alice',
      },
    },
    occurredAt + 5,
  );
  if (!work) throw new Error('a failed run with partial outputs calls for a check');
  return work;
}

function entitiesDeleted(entities: EntityKey[], occurredAt = T0): CheckRequested {
  const work = checkWorkFor(
    {
      topic: Topics.HippoEntitiesAvailabilityChanged,
      event: {
        event_id: randomUUID(),
        occurred_at: occurredAt,
        change: 'DELETED',
        entities,
        actor: 'bob',
      },
    },
    occurredAt + 5,
  );
  if (!work) throw new Error('a deletion calls for a staleness check');
  return work;
}

describe('CheckRunner (in-memory components, embedded PGlite)', () => {
  let dataSource: DataSource;
  let log: SyncEventLog;
  let leases: CheckLeases;
  let components: InMemoryComponentReader;
  let publisher: RecordingEventPublisher;
  let clock: number;
  let runner: CheckRunner;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
    log = new SyncEventLog(dataSource);
    leases = new CheckLeases(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  beforeEach(() => {
    components = new InMemoryComponentReader();
    publisher = new RecordingEventPublisher();
    clock = T0 + 1_000;
    runner = new CheckRunner({
      components,
      log,
      transactions: new StoreTransactions(dataSource),
      leases,
      publisher,
      checks: CHECKS,
      strategies: STRATEGIES,
      consumerGroup: 'checker-test',
      holder: HOLDER,
      now: () => clock,
    });
  });

  /** Every row recorded for the check (the unique key allows at most one). */
  const rowsFor = (checkKey: string): Promise<SyncEventRow[]> =>
    dataSource.query<SyncEventRow[]>(`SELECT * FROM sync_events WHERE dedupe_key = $1`, [checkKey]);

  async function onlyRowFor(checkKey: string): Promise<SyncEventRow> {
    const rows = await rowsFor(checkKey);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  /** Runs the item through every retry tier while the component stays down; returns the last. */
  async function exhaustRetries(work: CheckRequested): Promise<CheckRequested> {
    let item = work;
    for (const [tier, delay] of CHECKS.retryDelaysMs.entries()) {
      await runner.runBatch([item]);
      const retries = publisher.on(RETRY_TIER_TOPICS[tier]);
      expect(retries).toHaveLength(1);
      item = retries[0];
      expect(item.attempt).toBe(work.attempt + tier + 1);
      expect(item.not_before).toBe(clock + delay);
      clock = item.not_before ?? clock;
    }
    return item;
  }

  /** Every delayed retry sent so far, whatever its tier. */
  function allRetries(): CheckRequested[] {
    return RETRY_TIER_TOPICS.flatMap((topic) => publisher.on(topic));
  }

  it('records one ok finding and publishes it once when every output is in Hippo; running it again does nothing', async () => {
    const outputs = [sample('ok-1'), sample('ok-2')];
    components.addRun('run-ok', outputs).addEntities(outputs);
    const work = completedRun('run-ok', outputs);

    await expect(runner.runBatch([work])).resolves.toEqual({
      skipped: 0,
      findings: 1,
      delayed: 0,
      failed: 0,
    });

    const row = await onlyRowFor('post_run:run-ok');
    expect(row).toMatchObject({
      event_type: 'bridge.sync.ok',
      source: 'cappella',
      source_id: 'run-ok',
      mismatch_type: null,
    });
    expect(row.details).toMatchObject({ checked_count: 2, attempts: 1 });
    expect(row.outbound_event_id).toEqual(expect.any(String));
    expect(row.published_at).toBeInstanceOf(Date);
    expect(publisher.on(Topics.BridgeSyncOk)).toEqual([
      expect.objectContaining({
        event_id: row.outbound_event_id,
        sync_event_id: row.id,
        run_id: 'run-ok',
        pipeline_id: 'pipe-1',
        checked_count: 2,
      }),
    ]);
    expect(publisher.keysOn(Topics.BridgeSyncOk)).toEqual(['run-ok']);
    expect(publisher.sent).toHaveLength(1);

    // The same item again, and a redelivery under a new event id: the check is already done.
    const readsBefore = components.calls.runOutputs.length;
    await expect(runner.runBatch([work])).resolves.toMatchObject({ skipped: 1, findings: 0 });
    await expect(runner.runBatch([{ ...work, event_id: randomUUID() }])).resolves.toMatchObject({
      skipped: 1,
      findings: 0,
    });
    expect(await rowsFor('post_run:run-ok')).toEqual([row]);
    expect(publisher.sent).toHaveLength(1);
    expect(components.calls.runOutputs).toHaveLength(readsBefore);
  });

  it('re-checks an output missing before the grace delay has passed, recording nothing yet', async () => {
    const outputs = [sample('lag-1'), sample('lag-2')];
    components.addRun('run-lag', outputs).addEntities([outputs[0]]);
    const work = completedRun('run-lag', outputs);
    clock = T0 + 10_000;

    await expect(runner.runBatch([work])).resolves.toMatchObject({ findings: 0, delayed: 1 });

    expect(await rowsFor('post_run:run-lag')).toEqual([]);
    const [recheck] = publisher.on(Topics.BridgeInternalChecksRecheck);
    expect(publisher.sent).toHaveLength(1);
    expect(recheck).toEqual({
      ...work,
      event_id: expect.any(String),
      occurred_at: clock,
      attempt: 1,
      not_before: work.triggered_at + CHECKS.graceDelayMs,
      delay_reason: 'grace',
      last_error: null,
    });
    expect(recheck.event_id).not.toBe(work.event_id);
    expect(publisher.keysOn(Topics.BridgeInternalChecksRecheck)).toEqual(['run-lag']);
  });

  it('reports an output still missing after the grace delay as missing_entity, with the configured strategy', async () => {
    const outputs = [sample('gone-1'), sample('gone-2')];
    components.addRun('run-gone', outputs).addEntities([outputs[0]]);
    clock = T0 + 10_000;
    await runner.runBatch([completedRun('run-gone', outputs)]);
    const [recheck] = publisher.on(Topics.BridgeInternalChecksRecheck);

    clock = recheck.not_before ?? 0;
    await expect(runner.runBatch([recheck])).resolves.toMatchObject({ findings: 1, delayed: 0 });

    const row = await onlyRowFor('post_run:run-gone');
    expect(row).toMatchObject({
      event_type: 'bridge.sync.mismatch',
      mismatch_type: 'missing_entity',
      repair_strategy: 'resubmit_run',
    });
    expect(row.details).toMatchObject({ missing_entities: [outputs[1]], checked_count: 2 });
    expect(row.published_at).toBeInstanceOf(Date);
    expect(publisher.on(Topics.BridgeSyncMismatch)).toEqual([
      expect.objectContaining({
        event_id: row.outbound_event_id,
        sync_event_id: row.id,
        mismatch_type: 'missing_entity',
        run_id: 'run-gone',
        missing_entities: [outputs[1]],
        repair_strategy: 'resubmit_run',
        source: 'cappella',
      }),
    ]);
    expect(publisher.on(Topics.BridgeInternalChecksRecheck)).toHaveLength(1);
  });

  it('records ok on the re-check when the missing output arrived within the grace delay', async () => {
    const outputs = [sample('late-1'), sample('late-2')];
    components.addRun('run-late', outputs).addEntities([outputs[0]]);
    clock = T0 + 10_000;
    await runner.runBatch([completedRun('run-late', outputs)]);
    const [recheck] = publisher.on(Topics.BridgeInternalChecksRecheck);

    components.addEntities([outputs[1]]);
    clock = recheck.not_before ?? 0;
    await runner.runBatch([recheck]);

    const row = await onlyRowFor('post_run:run-late');
    expect(row.event_type).toBe('bridge.sync.ok');
    expect(publisher.on(Topics.BridgeSyncOk)).toEqual([
      expect.objectContaining({ event_id: row.outbound_event_id, checked_count: 2 }),
    ]);
    expect(publisher.on(Topics.BridgeSyncMismatch)).toEqual([]);
  });

  it("sends a check to its tier's retry topic with the next attempt and the tier's delay while Hippo is unreachable", async () => {
    const outputs = [sample('down-1')];
    components.addRun('run-down', outputs).addEntities(outputs).failUnavailable('hippo');
    const work = completedRun('run-down', outputs);

    await expect(runner.runBatch([work])).resolves.toMatchObject({ findings: 0, delayed: 1 });
    const [first] = publisher.on(Topics.BridgeInternalChecksRetry1);
    expect(first).toEqual({
      ...work,
      event_id: expect.any(String),
      occurred_at: clock,
      attempt: 2,
      not_before: clock + CHECKS.retryDelaysMs[0],
      delay_reason: 'retry',
      last_error: 'hippo: unreachable',
    });

    clock = first.not_before ?? 0;
    await runner.runBatch([first]);
    const [second] = publisher.on(Topics.BridgeInternalChecksRetry2);
    expect(second).toMatchObject({
      attempt: 3,
      not_before: clock + CHECKS.retryDelaysMs[1],
      delay_reason: 'retry',
    });

    expect(await rowsFor('post_run:run-down')).toEqual([]);
    expect(publisher.on(Topics.BridgeInternalChecksRecheck)).toEqual([]);
    expect(publisher.sent).toHaveLength(2);
  });

  it('puts retries of different tiers in one batch on their own topics, so a short delay never waits behind a long one', async () => {
    const outputs = [sample('tiers-1')];
    components.addRun('run-tiers', outputs).addEntities(outputs).failUnavailable('hippo');
    const fresh = completedRun('run-tiers', outputs);
    const secondTry = { ...completedRun('run-tiers-2', outputs), attempt: 2 };
    components.addRun('run-tiers-2', outputs);

    await expect(runner.runBatch([secondTry, fresh])).resolves.toMatchObject({ delayed: 2 });
    expect(publisher.on(Topics.BridgeInternalChecksRetry1)).toEqual([
      expect.objectContaining({
        run_id: 'run-tiers',
        attempt: 2,
        not_before: clock + CHECKS.retryDelaysMs[0],
      }),
    ]);
    expect(publisher.on(Topics.BridgeInternalChecksRetry2)).toEqual([
      expect.objectContaining({
        run_id: 'run-tiers-2',
        attempt: 3,
        not_before: clock + CHECKS.retryDelaysMs[1],
      }),
    ]);
    expect(publisher.on(Topics.BridgeInternalChecksRetry3)).toEqual([]);
  });

  it('records check_failed and dead-letters the work item as a fresh first attempt after the last retry tier', async () => {
    const outputs = [sample('dead-1')];
    components.addRun('run-dead', outputs).addEntities(outputs).failUnavailable('hippo');
    const last = await exhaustRetries(completedRun('run-dead', outputs));
    expect(last.attempt).toBe(CHECKS.retryDelaysMs.length + 1);

    await expect(runner.runBatch([last])).resolves.toMatchObject({
      findings: 1,
      failed: 1,
      delayed: 0,
    });

    const row = await onlyRowFor('post_run:run-dead');
    expect(row).toMatchObject({ event_type: 'bridge.sync.check_failed', outbound_event_id: null });
    expect(row.details).toMatchObject({
      reason: 'gave up after 4 attempt(s): hippo: unreachable',
      attempts: 4,
      entities: outputs,
    });
    const deadLetters = publisher.on(Topics.BridgeDlqEvents);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      source_topic: Topics.BridgeInternalChecks,
      consumer_group: 'checker-test',
      key: Buffer.from('run-dead'),
      failure_kind: 'handler_failed',
      attempts: 4,
      reason: 'gave up after 4 attempt(s): hippo: unreachable',
    });
    const payload = deadLetters[0].payload;
    if (!payload) throw new Error('the dead letter carries no payload');
    await expect(codec.decode(Topics.BridgeInternalChecks, payload)).resolves.toEqual({
      ...last,
      attempt: 1,
      not_before: null,
      delay_reason: null,
    });
    expect(allRetries()).toHaveLength(3);
    expect(publisher.on(Topics.BridgeSyncOk)).toEqual([]);
    expect(publisher.on(Topics.BridgeSyncMismatch)).toEqual([]);
  });

  it('fails a check at once, without retries, when Cappella refuses the request', async () => {
    const outputs = [sample('refused-1')];
    components.addRun('run-refused', outputs).addEntities(outputs).refuse('cappella', 400);

    await expect(runner.runBatch([completedRun('run-refused', outputs)])).resolves.toMatchObject({
      findings: 1,
      failed: 1,
      delayed: 0,
    });

    const row = await onlyRowFor('post_run:run-refused');
    expect(row.event_type).toBe('bridge.sync.check_failed');
    expect(row.details).toMatchObject({
      reason: 'refused: cappella: HTTP 400: refused',
      attempts: 1,
    });
    expect(publisher.on(Topics.BridgeDlqEvents)).toEqual([
      expect.objectContaining({ reason: 'refused: cappella: HTTP 400: refused', attempts: 1 }),
    ]);
    expect(allRetries()).toEqual([]);
    expect(components.calls.existingEntities).toEqual([]);
  });

  it('retries a run Cappella does not know like an outage, and records check_failed after the last tier', async () => {
    const outputs = [sample('unknown-1')];
    components.addEntities(outputs);
    const work = completedRun('run-unknown', outputs);

    const last = await exhaustRetries(work);
    expect(await rowsFor('post_run:run-unknown')).toEqual([]);
    expect(publisher.on(Topics.BridgeInternalChecksRetry1)[0]).toMatchObject({
      attempt: 2,
      delay_reason: 'retry',
      last_error: 'Cappella does not know run run-unknown',
    });
    await runner.runBatch([last]);

    const row = await onlyRowFor('post_run:run-unknown');
    expect(row.event_type).toBe('bridge.sync.check_failed');
    expect(row.details).toMatchObject({
      reason: 'gave up after 4 attempt(s): Cappella does not know run run-unknown',
    });
    expect(publisher.on(Topics.BridgeDlqEvents)).toHaveLength(1);
  });

  it('leaves a check leased by another checker alone and re-sends it to the recheck topic', async () => {
    const outputs = [sample('leased-1')];
    components.addRun('run-leased', outputs).addEntities(outputs);
    const work = completedRun('run-leased', outputs);
    const other = 'checker-other#2';
    await expect(leases.acquire([work.check_key], other, CHECKS.leaseMs)).resolves.toEqual(
      new Set([work.check_key]),
    );

    await expect(runner.runBatch([work])).resolves.toMatchObject({ findings: 0, delayed: 1 });

    expect(await rowsFor(work.check_key)).toEqual([]);
    expect(components.calls.runOutputs).toEqual([]);
    expect(publisher.sent).toHaveLength(1);
    expect(publisher.on(Topics.BridgeInternalChecksRecheck)).toEqual([
      {
        ...work,
        event_id: expect.any(String),
        occurred_at: clock,
        attempt: 1,
        not_before: expect.any(Number),
        delay_reason: 'lease',
        last_error: null,
      },
    ]);
    expect(publisher.on(Topics.BridgeInternalChecksRecheck)[0].not_before).toBeGreaterThan(clock);

    // The other checker's lease still stands: ours was never taken, so nothing released it.
    await expect(leases.acquire([work.check_key], 'checker-third#3', 1_000)).resolves.toEqual(
      new Set(),
    );
    await leases.release([work.check_key], other);
    await runner.runBatch([work]);
    expect((await onlyRowFor(work.check_key)).event_type).toBe('bridge.sync.ok');
    // Our own lease is released when the batch ends, so no other checker waits for it.
    await expect(leases.acquire([work.check_key], 'checker-third#3', 1_000)).resolves.toEqual(
      new Set([work.check_key]),
    );
    await leases.release([work.check_key], 'checker-third#3');
  });

  it('renews its leases while a slow component holds the batch up, so no other checker takes them', async () => {
    const outputs = [sample('slow-1')];
    components.addRun('run-slow', outputs).addEntities(outputs).slowDown(400);
    const work = completedRun('run-slow', outputs);
    const slow = new CheckRunner({
      components,
      log,
      transactions: new StoreTransactions(dataSource),
      leases,
      publisher,
      checks: { ...CHECKS, leaseMs: 150 },
      strategies: STRATEGIES,
      consumerGroup: 'checker-test',
      holder: HOLDER,
      now: () => clock,
    });
    const batch = slow.runBatch([work]);
    // Well past the lease time, while the batch still waits for the components.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expect(leases.acquire([work.check_key], 'checker-eager#4', 150)).resolves.toEqual(
      new Set(),
    );
    await expect(batch).resolves.toMatchObject({ findings: 1 });
    expect((await onlyRowFor(work.check_key)).event_type).toBe('bridge.sync.ok');
    // Released at the end, and not taken again by a renewal still in flight.
    await expect(leases.acquire([work.check_key], 'checker-eager#4', 150)).resolves.toEqual(
      new Set([work.check_key]),
    );
    await leases.release([work.check_key], 'checker-eager#4');
  });

  it('splits a batch whose bulk lookup Hippo refuses as too large, and checks every run', async () => {
    const works = [1, 2, 3, 4].map((n) => {
      const outputs = [sample(`split-${n}`)];
      components.addRun(`run-split-${n}`, outputs).addEntities(outputs);
      return completedRun(`run-split-${n}`, outputs);
    });
    components.refuseLookupsWhen((keys) => keys.length > 2, 413);

    await expect(runner.runBatch(works)).resolves.toMatchObject({ findings: 4, failed: 0 });

    expect(components.calls.existingEntities.map((keys) => keys.length)).toEqual([4, 2, 2]);
    const types = await Promise.all(
      works.map(async (work) => (await onlyRowFor(work.check_key)).event_type),
    );
    expect(types).toEqual(['bridge.sync.ok', 'bridge.sync.ok', 'bridge.sync.ok', 'bridge.sync.ok']);
  });

  it('keeps a refusal caused by one key with that check, and checks the rest of the batch', async () => {
    const works = ['a', 'poison', 'b'].map((name) => {
      const outputs = [sample(`key-${name}`)];
      components.addRun(`run-key-${name}`, outputs).addEntities(outputs);
      return completedRun(`run-key-${name}`, outputs);
    });
    components.refuseLookupsWhen((keys) => keys.some((k) => k.external_id === 'key-poison'), 400);

    await expect(runner.runBatch(works)).resolves.toMatchObject({ findings: 3, failed: 1 });

    expect((await onlyRowFor(works[0].check_key)).event_type).toBe('bridge.sync.ok');
    expect((await onlyRowFor(works[1].check_key)).event_type).toBe('bridge.sync.check_failed');
    expect((await onlyRowFor(works[2].check_key)).event_type).toBe('bridge.sync.ok');
  });

  it('re-sends an outbound event whose publish failed with the same event id, once, and marks it published', async () => {
    const outputs = [sample('outbox-1')];
    components.addRun('run-outbox', outputs).addEntities(outputs);
    const work = completedRun('run-outbox', outputs);
    publisher.failNextOn.add(Topics.BridgeSyncOk);

    await expect(runner.runBatch([work])).rejects.toThrow('broker unreachable');
    const owed = await onlyRowFor('post_run:run-outbox');
    expect(owed.event_type).toBe('bridge.sync.ok');
    expect(owed.outbound_event_id).toEqual(expect.any(String));
    expect(owed.published_at).toBeNull();
    expect(publisher.sent).toEqual([]);

    await expect(runner.runBatch([work])).resolves.toMatchObject({ skipped: 1, findings: 0 });
    expect(publisher.on(Topics.BridgeSyncOk)).toEqual([
      expect.objectContaining({ event_id: owed.outbound_event_id, sync_event_id: owed.id }),
    ]);
    const sent = await onlyRowFor('post_run:run-outbox');
    expect(sent.id).toBe(owed.id);
    expect(sent.published_at).toBeInstanceOf(Date);
    expect(components.calls.runOutputs).toHaveLength(1);

    await runner.runBatch([work]);
    expect(publisher.sent).toHaveLength(1);
  });

  it('replaces a check_failed row, keeping its id, when the requeued work item finds the component back', async () => {
    const outputs = [sample('requeue-1'), sample('requeue-2')];
    components.addRun('run-requeue', outputs).addEntities([outputs[0]]).refuse('cappella', 400, 1);
    await runner.runBatch([completedRun('run-requeue', outputs)]);
    const failed = await onlyRowFor('post_run:run-requeue');
    expect(failed).toMatchObject({
      event_type: 'bridge.sync.check_failed',
      outbound_event_id: null,
    });
    const payload = publisher.on(Topics.BridgeDlqEvents)[0]?.payload;
    if (!payload) throw new Error('the check was not dead-lettered');
    const requeued = await codec.decode(Topics.BridgeInternalChecks, payload);
    expect(requeued.attempt).toBe(1);

    // Past the grace delay by now, so the missing output is a mismatch straight away.
    clock = T0 + CHECKS.graceDelayMs + 60_000;
    await expect(runner.runBatch([requeued])).resolves.toMatchObject({ findings: 1, failed: 0 });

    const replaced = await onlyRowFor('post_run:run-requeue');
    expect(replaced).toMatchObject({
      id: failed.id,
      event_type: 'bridge.sync.mismatch',
      mismatch_type: 'missing_entity',
      repair_strategy: 'resubmit_run',
    });
    expect(replaced.details).toMatchObject({ missing_entities: [outputs[1]] });
    expect(replaced.details).not.toHaveProperty('reason');
    expect(replaced.outbound_event_id).toEqual(expect.any(String));
    expect(replaced.published_at).toBeInstanceOf(Date);
    expect(publisher.on(Topics.BridgeSyncMismatch)).toEqual([
      expect.objectContaining({
        event_id: replaced.outbound_event_id,
        sync_event_id: failed.id,
        missing_entities: [outputs[1]],
      }),
    ]);
  });

  it('refuses a batch holding a check type it does not know before reading or writing anything', async () => {
    const outputs = [sample('kind-1')];
    components.addRun('run-kind', outputs).addEntities(outputs);
    const batch = [
      completedRun('run-kind', outputs),
      { ...completedRun('run-odd', outputs), check_type: 'post_run_v9' },
    ];

    const refused = runner.runBatch(batch);
    await expect(refused).rejects.toBeInstanceOf(InvalidEventError);
    await expect(refused).rejects.toThrow(
      'check post_run:run-odd has an unknown check type "post_run_v9"',
    );
    expect(components.calls.runOutputs).toEqual([]);
    expect(await rowsFor('post_run:run-kind')).toEqual([]);
    expect(publisher.sent).toEqual([]);
  });

  it('reads Hippo once in bulk for a batch of runs and a staleness check, and decides each check on its own', async () => {
    const okOutputs = [sample('mix-ok-1'), sample('mix-ok-2')];
    const lostOutputs = [sample('mix-lost-1'), sample('mix-lost-2')];
    const lagOutputs = [sample('mix-lag-1')];
    const partialOutputs = [sample('mix-partial-1'), sample('mix-partial-2')];
    const deleted = sample('mix-deleted');
    const back = sample('mix-back');
    components
      .addRun('run-mix-ok', okOutputs)
      .addRun('run-mix-lost', lostOutputs)
      .addRun('run-mix-lag', lagOutputs)
      .addRun('run-mix-partial', partialOutputs)
      .addEntities([...okOutputs, lostOutputs[0], partialOutputs[0], back])
      .addArtifacts([
        { artifact_id: 'art-deleted', ...deleted },
        { artifact_id: 'art-back', ...back },
      ]);
    clock = T0 + 60_000;
    const items = {
      ok: completedRun('run-mix-ok', okOutputs),
      lost: completedRun('run-mix-lost', lostOutputs),
      lag: completedRun('run-mix-lag', lagOutputs, clock - 1_000),
      partial: failedRun('run-mix-partial', partialOutputs),
      stale: entitiesDeleted([deleted]),
      clean: entitiesDeleted([back]),
    };

    await expect(runner.runBatch(Object.values(items))).resolves.toEqual({
      skipped: 0,
      findings: 5,
      delayed: 1,
      failed: 0,
    });

    expect(components.calls.existingEntities).toHaveLength(1);
    expect(components.calls.existingEntities[0]).toEqual(
      expect.arrayContaining([...okOutputs, ...lostOutputs, ...lagOutputs, ...partialOutputs]),
    );
    expect(components.calls.runOutputs.sort()).toEqual(
      ['run-mix-lag', 'run-mix-lost', 'run-mix-ok', 'run-mix-partial'].sort(),
    );
    expect(components.calls.unavailableEntities).toHaveLength(1);
    expect(components.calls.artifactsFor).toEqual([[deleted]]);

    const row = async (work: CheckRequested) => onlyRowFor(work.check_key);
    expect(await row(items.ok)).toMatchObject({ event_type: 'bridge.sync.ok' });
    const lost = await row(items.lost);
    expect(lost).toMatchObject({
      event_type: 'bridge.sync.mismatch',
      mismatch_type: 'missing_entity',
    });
    expect(lost.details).toMatchObject({ missing_entities: [lostOutputs[1]] });
    const partial = await row(items.partial);
    expect(partial).toMatchObject({
      event_type: 'bridge.sync.mismatch',
      mismatch_type: 'partial_output',
      repair_strategy: 'alert_only',
    });
    expect(partial.details).toMatchObject({ missing_entities: [partialOutputs[1]] });
    const stale = await row(items.stale);
    expect(stale).toMatchObject({
      event_type: 'bridge.sync.stale_cache',
      mismatch_type: 'stale_cache',
      source: 'hippo',
    });
    expect(stale.details).toMatchObject({ artifact_ids: ['art-deleted'], entities: [deleted] });
    expect(await row(items.clean)).toMatchObject({
      event_type: 'bridge.sync.cache_clean',
      outbound_event_id: null,
    });
    expect(await rowsFor(items.lag.check_key)).toEqual([]);

    expect(publisher.on(Topics.BridgeSyncOk).map((e) => e.run_id)).toEqual(['run-mix-ok']);
    expect(
      publisher
        .on(Topics.BridgeSyncMismatch)
        .map((e) => `${e.run_id}:${e.mismatch_type}`)
        .sort(),
    ).toEqual(['run-mix-lost:missing_entity', 'run-mix-partial:partial_output']);
    expect(publisher.on(Topics.BridgeSyncStaleCache)).toEqual([
      expect.objectContaining({
        event_id: stale.outbound_event_id,
        artifact_ids: ['art-deleted'],
        eviction_mode: 'next_sweep',
      }),
    ]);
    expect(publisher.on(Topics.BridgeInternalChecksRecheck)).toEqual([
      expect.objectContaining({ check_key: items.lag.check_key, delay_reason: 'grace' }),
    ]);
    expect(publisher.on(Topics.BridgeDlqEvents)).toEqual([]);
  });

  it('leaves out stale artifacts a full scan already reported, and only those', async () => {
    const [a, b, c, d] = ['scan-a', 'scan-b', 'scan-c', 'scan-d'].map((id) => sample(id));
    components.addArtifacts([
      { artifact_id: 'art-a', ...a },
      { artifact_id: 'art-b', ...b },
      { artifact_id: 'art-c', ...c },
      { artifact_id: 'art-d', ...d },
    ]);
    // A full scan found a and b; an earlier availability event found d.
    const byScan = sampleStaleCacheFinding({ artifactIds: ['art-a', 'art-b'], entities: [a, b] });
    const scanned = await log.record({
      ...byScan,
      source: 'canon',
      dedupeKey: `scan:s-1:stale_cache:${randomUUID()}`,
      details: { ...byScan.details, check_type: 'full_scan', scan_id: 's-1' },
    });
    await log.record(sampleStaleCacheFinding({ artifactIds: ['art-d'], entities: [d] }));
    const items = {
      partly: entitiesDeleted([a, c]),
      wholly: entitiesDeleted([b]),
      again: entitiesDeleted([d]),
    };

    await expect(runner.runBatch(Object.values(items))).resolves.toMatchObject({ findings: 3 });

    expect((await onlyRowFor(items.partly.check_key)).details).toMatchObject({
      artifact_ids: ['art-c'],
      entities: [c],
    });
    const wholly = await onlyRowFor(items.wholly.check_key);
    expect(wholly).toMatchObject({ event_type: 'bridge.sync.cache_clean' });
    expect(wholly.details).toMatchObject({ reported_in: [scanned.event.id] });
    // Another check's finding is not a scan's: each availability event reports what it finds.
    expect((await onlyRowFor(items.again.check_key)).details).toMatchObject({
      artifact_ids: ['art-d'],
    });
    expect(
      publisher
        .on(Topics.BridgeSyncStaleCache)
        .map((e) => e.artifact_ids)
        .sort(),
    ).toEqual([['art-c'], ['art-d']]);
  });
});
