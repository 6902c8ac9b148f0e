import { createDataSource, migrateStore, SyncEventLog } from '@bridge/store';
import type { DataSource } from 'typeorm';
import { Topics, type EventOf, type Topic } from '@bridge/contracts';
import { EventPublisher, type OutgoingEvent } from '@bridge/messaging';
import { OutboxRelay } from './outbox-relay';

/** Records what would have gone out; fails while `down` is set, like an unreachable broker. */
class RecordingPublisher extends EventPublisher {
  readonly sent: Array<{ topic: Topic; event: unknown }> = [];
  down = false;

  publish<T extends Topic>(topic: T, event: EventOf<T>, key?: string): Promise<void> {
    return this.publishMany(topic, [{ event, key }]);
  }

  publishMany<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    if (this.down) return Promise.reject(new Error('broker unreachable'));
    for (const { event } of events) this.sent.push({ topic, event });
    return Promise.resolve();
  }

  encode(): Promise<Buffer> {
    return Promise.resolve(Buffer.alloc(0));
  }
}

describe('OutboxRelay (embedded PGlite)', () => {
  let dataSource: DataSource;
  let log: SyncEventLog;

  beforeAll(async () => {
    dataSource = createDataSource({ kind: 'pglite' });
    await dataSource.initialize();
    await migrateStore(dataSource);
    log = new SyncEventLog(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('re-publishes a finding recorded but never announced, with its own event id, exactly once', async () => {
    const [{ event: row }] = await log.recordMany([
      {
        eventType: 'bridge.sync.ok',
        source: 'cappella',
        sourceId: 'run-owed',
        dedupeKey: 'post_run:run-owed',
        details: { pipeline_id: 'pipe-1', checked_count: 3 },
        publishes: true,
      },
    ]);
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay(log, publisher, 0);

    publisher.down = true;
    await expect(relay.relay()).rejects.toThrow('broker unreachable');
    expect((await log.findById(row.id))?.publishedAt).toBeNull();

    publisher.down = false;
    await expect(relay.relay()).resolves.toBe(1);
    expect(publisher.sent).toEqual([
      {
        topic: Topics.BridgeSyncOk,
        event: expect.objectContaining({ event_id: row.outboundEventId, run_id: 'run-owed' }),
      },
    ]);
    expect((await log.findById(row.id))?.publishedAt).toBeInstanceOf(Date);
    await expect(relay.relay()).resolves.toBe(0);
    expect(publisher.sent).toHaveLength(1);
  });

  it('leaves rows younger than the minimum age to their writer', async () => {
    await log.recordMany([
      {
        eventType: 'bridge.sync.ok',
        source: 'cappella',
        sourceId: 'run-fresh',
        dedupeKey: 'post_run:run-fresh',
        details: { pipeline_id: 'pipe-1', checked_count: 1 },
        publishes: true,
      },
    ]);
    const publisher = new RecordingPublisher();
    await expect(new OutboxRelay(log, publisher, 60_000).relay()).resolves.toBe(0);
    expect(publisher.sent).toHaveLength(0);
  });
});
