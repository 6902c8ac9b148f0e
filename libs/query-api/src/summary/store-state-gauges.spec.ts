import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { BridgeMetrics } from '@bridge/metrics';
import {
  DeadLetterStore,
  RepairJobStore,
  ScanStore,
  SyncEventLog,
  SyncEventQueries,
} from '@bridge/store';
import { sampleMismatchFinding, sampleOkFinding, openEmbeddedStore } from '@bridge/store/testing';
import { StoreStateGauges, ageInSeconds } from './store-state-gauges';

describe('ageInSeconds', () => {
  it('is 0 for an empty queue and the seconds since the oldest otherwise', () => {
    expect(ageInSeconds(null, 5_000)).toBe(0);
    expect(ageInSeconds(new Date(2_000), 5_000)).toBe(3);
    // A clock a little behind the database's never makes an age negative.
    expect(ageInSeconds(new Date(6_000), 5_000)).toBe(0);
  });
});

describe('StoreStateGauges', () => {
  let dataSource: DataSource;
  let gauges: StoreStateGauges;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
    gauges = new StoreStateGauges(
      new SyncEventQueries(dataSource),
      new RepairJobStore(dataSource),
      new DeadLetterStore(dataSource),
      new ScanStore(dataSource),
    );
    gauges.onApplicationBootstrap();
  });

  afterAll(async () => {
    gauges.onModuleDestroy();
    await dataSource.destroy();
  });

  it('reads an empty store as nothing open, nothing waiting and no scan yet', async () => {
    expect(await BridgeMetrics.openFindings.current()).toEqual([]);
    expect(await BridgeMetrics.oldestOpenFindingAge.current()).toEqual([{ labels: {}, value: 0 }]);
    expect(await BridgeMetrics.repairsAwaitingApproval.current()).toEqual([
      { labels: {}, value: 0 },
    ]);
    expect(await BridgeMetrics.oldestAwaitingApprovalAge.current()).toEqual([
      { labels: {}, value: 0 },
    ]);
    expect(await BridgeMetrics.deadLettersPending.current()).toEqual([{ labels: {}, value: 0 }]);
    expect(await BridgeMetrics.scanLastSuccess.current()).toEqual([]);
  });

  it('counts open findings by type and component, not ok records, and ages the oldest', async () => {
    const log = new SyncEventLog(dataSource);
    await log.recordMany([
      sampleMismatchFinding('run-1'),
      sampleMismatchFinding('run-2'),
      sampleOkFinding('run-3'),
    ]);
    expect(await BridgeMetrics.openFindings.current()).toEqual([
      { labels: { mismatch_type: 'missing_entity', source: 'cappella' }, value: 2 },
    ]);
    const [age] = await BridgeMetrics.oldestOpenFindingAge.current();
    expect(age.value).toBeGreaterThanOrEqual(0);
    expect(age.value).toBeLessThan(60);
  });

  it('counts dead letters until they are requeued', async () => {
    const letters = new DeadLetterStore(dataSource);
    const id = randomUUID();
    await letters.recordMany([
      {
        event_id: id,
        occurred_at: Date.now(),
        source_topic: 'cappella.run.completed',
        source_partition: 0,
        source_offset: '7',
        consumer_group: 'ingest',
        key: null,
        payload: Buffer.from([0]),
        reason: 'not Avro',
        failure_kind: 'undecodable',
        attempts: 1,
      },
    ]);
    expect(await BridgeMetrics.deadLettersPending.current()).toEqual([{ labels: {}, value: 1 }]);
    await letters.markRequeued([id], 'alice');
    expect(await BridgeMetrics.deadLettersPending.current()).toEqual([{ labels: {}, value: 0 }]);
  });
});
