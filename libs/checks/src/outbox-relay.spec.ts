import { SyncEventLog } from '@bridge/store';
import { sampleOkFinding, openEmbeddedStore } from '@bridge/store/testing';
import type { DataSource } from 'typeorm';
import { Topics } from '@bridge/contracts';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import { OutboxRelay } from './outbox-relay';

describe('OutboxRelay (embedded PGlite)', () => {
  let dataSource: DataSource;
  let log: SyncEventLog;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
    log = new SyncEventLog(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('re-publishes a finding recorded but never announced, with its own event id, exactly once', async () => {
    const [{ event: row }] = await log.recordMany([
      sampleOkFinding('run-owed', { checkedCount: 3, publishes: true }),
    ]);
    const publisher = new RecordingEventPublisher();
    const relay = new OutboxRelay(log, publisher, 0);

    publisher.failNextOn.add(Topics.BridgeSyncOk);
    await expect(relay.relay()).rejects.toThrow('broker unreachable');
    expect((await log.findById(row.id))?.publishedAt).toBeNull();

    await expect(relay.relay()).resolves.toBe(1);
    expect(publisher.sent).toEqual([
      {
        topic: Topics.BridgeSyncOk,
        key: 'run-owed',
        event: expect.objectContaining({ event_id: row.outboundEventId, run_id: 'run-owed' }),
      },
    ]);
    expect((await log.findById(row.id))?.publishedAt).toBeInstanceOf(Date);
    await expect(relay.relay()).resolves.toBe(0);
    expect(publisher.sent).toHaveLength(1);
  });

  it('leaves rows younger than the minimum age to their writer', async () => {
    await log.recordMany([sampleOkFinding('run-fresh', { publishes: true })]);
    const publisher = new RecordingEventPublisher();
    await expect(new OutboxRelay(log, publisher, 60_000).relay()).resolves.toBe(0);
    expect(publisher.sent).toHaveLength(0);
  });
});
