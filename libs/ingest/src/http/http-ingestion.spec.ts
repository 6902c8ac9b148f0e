import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@bridge/config';
import { Topics } from '@bridge/contracts';
import { InfrastructureUnavailableError, NotFoundError } from '@bridge/errors';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import { StoreTransactions } from '@bridge/store';
import { openEmbeddedStore } from '@bridge/store/testing';
import { HttpIngestion } from './http-ingestion';

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

describe('HttpIngestion (embedded PGlite)', () => {
  let dataSource: DataSource;
  let publisher: RecordingEventPublisher;
  let ingestion: HttpIngestion;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  beforeEach(() => {
    publisher = new RecordingEventPublisher();
    const config = loadConfig({ CONSUMER_GROUP_PREFIX: `t-${randomUUID().slice(0, 8)}` });
    ingestion = new HttpIngestion(config, publisher, new StoreTransactions(dataSource));
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
