import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@bridge/config';
import { Topics, type Topic } from '@bridge/contracts';
import type { OutgoingEvent } from '@bridge/messaging';
import { InfrastructureUnavailableError, NotFoundError } from '@bridge/errors';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import { ProcessedInboundEvents, StoreTransactions } from '@bridge/store';
import { openEmbeddedStore } from '@bridge/store/testing';
import { HttpIngestion } from './http-ingestion';

/** The Kafka transport's settings: HTTP ingestion produces and claims in one transaction. */
const KAFKA = {
  BRIDGE_TRANSPORT: 'kafka',
  KAFKA_BROKERS: '127.0.0.1:9',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9',
  BRIDGE_STORE: 'pglite',
};

function runCompleted(runId: string, eventId: string = randomUUID()) {
  return {
    event_id: eventId,
    occurred_at: Date.parse('2026-12-01T10:00:00Z'),
    run_id: runId,
    pipeline_id: 'pipe-1',
    outputs: [{ entity_type: 'sample', external_id: `${runId}-out` }],
    actor: 'cappella',
  };
}

/** One embedded store for the file: opening it runs every migration. */
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openEmbeddedStore();
});

afterAll(async () => {
  await dataSource?.destroy();
});

describe('HttpIngestion producing to Kafka (embedded PGlite)', () => {
  let publisher: RecordingEventPublisher;
  let ingestion: HttpIngestion;

  beforeEach(() => {
    publisher = new RecordingEventPublisher();
    const config = loadConfig({ ...KAFKA, CONSUMER_GROUP_PREFIX: `t-${randomUUID().slice(0, 8)}` });
    ingestion = new HttpIngestion(
      config,
      publisher,
      new StoreTransactions(dataSource),
      new ProcessedInboundEvents(dataSource),
    );
  });

  it('produces the valid records keyed by run, and answers every record in order', async () => {
    const a = runCompleted('run-a');
    const b = runCompleted('run-b');
    const answer = await ingestion.submit(
      Topics.CappellaRunCompleted,
      { records: [a, { ...b, run_id: 5 }, b] },
      'cappella',
    );
    expect(answer).toMatchObject({ accepted: 2, duplicates: 0, refused: 1 });
    expect(answer.records.map((r) => [r.index, r.status])).toEqual([
      [0, 'accepted'],
      [1, 'refused'],
      [2, 'accepted'],
    ]);
    expect(publisher.on(Topics.CappellaRunCompleted)).toEqual([a, b]);
    expect(publisher.keysOn(Topics.CappellaRunCompleted)).toEqual(['run-a', 'run-b']);
  });

  it('answers duplicate for an event id accepted before or earlier in the batch, producing it once', async () => {
    const a = runCompleted('run-a');
    await ingestion.submit(Topics.CappellaRunCompleted, { records: [a] }, 'cappella');
    const b = runCompleted('run-b');
    const again = await ingestion.submit(
      Topics.CappellaRunCompleted,
      { records: [a, b, b] },
      'cappella',
    );
    expect(again.records.map((r) => r.status)).toEqual(['duplicate', 'accepted', 'duplicate']);
    expect(again).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(publisher.on(Topics.CappellaRunCompleted).map((e) => e.run_id)).toEqual([
      'run-a',
      'run-b',
    ]);
  });

  it('claims nothing when the produce fails, so the same request goes through when resent', async () => {
    const a = runCompleted('run-a');
    publisher.failNextOn.add(Topics.CappellaRunCompleted);
    await expect(
      ingestion.submit(Topics.CappellaRunCompleted, { records: [a] }, 'cappella'),
    ).rejects.toThrow(InfrastructureUnavailableError);
    expect(publisher.on(Topics.CappellaRunCompleted)).toEqual([]);
    const resent = await ingestion.submit(
      Topics.CappellaRunCompleted,
      { records: [a] },
      'cappella',
    );
    expect(resent.records[0].status).toBe('accepted');
    expect(publisher.on(Topics.CappellaRunCompleted)).toEqual([a]);
  });

  it('takes only the inbound topics', async () => {
    for (const topic of [Topics.BridgeSyncMismatch, Topics.BridgeInternalChecks, 'no.such.topic']) {
      await expect(
        ingestion.submit(topic, { records: [runCompleted('r')] }, 'cappella'),
      ).rejects.toThrow(NotFoundError);
    }
    expect(publisher.sent).toEqual([]);
  });
});

/**
 * The in-process bus: the ingest consumer is played by a publisher that claims what it is
 * handed under ingest's group, after a delay, as the bus's ingest handler would.
 */
describe('HttpIngestion feeding the in-process bus (embedded PGlite)', () => {
  let processed: ProcessedInboundEvents;
  const prefix = `t-${randomUUID().slice(0, 8)}`;

  class IngestOnTheBus extends RecordingEventPublisher {
    handles = true;

    override async publishMany<T extends Topic>(
      topic: T,
      events: OutgoingEvent<T>[],
    ): Promise<void> {
      await super.publishMany(topic, events);
      if (!this.handles) return;
      setTimeout(() => {
        void processed.claimMany(
          `${prefix}-ingest`,
          events.map(({ event }) => ({
            eventId: event.event_id,
            topic,
            occurredAt: event.occurred_at,
          })),
        );
      }, 50);
    }
  }

  beforeAll(() => {
    processed = new ProcessedInboundEvents(dataSource);
  });

  const ingestionWith = (publisher: RecordingEventPublisher) =>
    new HttpIngestion(
      loadConfig({ CONSUMER_GROUP_PREFIX: prefix }),
      publisher,
      new StoreTransactions(dataSource),
      processed,
    );

  it('answers once ingest has handled the records, and duplicate for what ingest already has', async () => {
    const bus = new IngestOnTheBus();
    const ingestion = ingestionWith(bus);
    const a = runCompleted('run-a');
    const first = await ingestion.submit(Topics.CappellaRunCompleted, { records: [a] }, 'lab');
    expect(first.records[0].status).toBe('accepted');
    expect(await processed.claimedAmong(`${prefix}-ingest`, [claimOf(a)])).toEqual(
      new Set([a.event_id]),
    );
    const b = runCompleted('run-b');
    const again = await ingestion.submit(Topics.CappellaRunCompleted, { records: [a, b] }, 'lab');
    expect(again.records.map((r) => r.status)).toEqual(['duplicate', 'accepted']);
    expect(bus.on(Topics.CappellaRunCompleted).map((e) => e.run_id)).toEqual(['run-a', 'run-b']);
  });

  it('claims nothing of its own: a record queued but never handled is accepted when resent', async () => {
    const lost = new IngestOnTheBus();
    lost.handles = false;
    const a = runCompleted('run-lost');
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const attempt = ingestionWith(lost).submit(
        Topics.CappellaRunCompleted,
        { records: [a] },
        'lab',
      );
      const failed = expect(attempt).rejects.toThrow(InfrastructureUnavailableError);
      for (let i = 0; i < 700; i += 1) await jest.advanceTimersByTimeAsync(25);
      await failed;
    } finally {
      jest.useRealTimers();
    }
    const resent = await ingestionWith(new IngestOnTheBus()).submit(
      Topics.CappellaRunCompleted,
      { records: [a] },
      'lab',
    );
    expect(resent.records[0].status).toBe('accepted');
  });
});

function claimOf(event: { event_id: string; occurred_at: number }) {
  return {
    eventId: event.event_id,
    topic: Topics.CappellaRunCompleted,
    occurredAt: event.occurred_at,
  };
}
