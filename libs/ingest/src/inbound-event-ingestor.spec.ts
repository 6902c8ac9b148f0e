import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@bridge/config';
import { Topics, type EntityKey } from '@bridge/contracts';
import { type ReceivedEvent } from '@bridge/messaging';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import { StoreTransactions, SyncEventLog, SyncEventTypes } from '@bridge/store';
import { openEmbeddedStore } from '@bridge/store/testing';
import { InboundEventIngestor, type InboundTopic } from './inbound-event-ingestor';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const sample = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

let offset = 0;
function received<T extends InboundTopic>(
  topic: T,
  event: ReceivedEvent<T>['event'],
): ReceivedEvent<InboundTopic> {
  offset += 1;
  return { topic, event, partition: 0, offset: String(offset) } as ReceivedEvent<InboundTopic>;
}

function runCompleted(runId: string, outputs: EntityKey[]) {
  return received(Topics.CappellaRunCompleted, {
    event_id: randomUUID(),
    occurred_at: T0,
    run_id: runId,
    pipeline_id: 'pipe-1',
    outputs,
    actor: 'alice',
  });
}

function evicted(artifactIds: string[]) {
  return received(Topics.CanonCacheEvicted, {
    event_id: randomUUID(),
    occurred_at: T0,
    artifact_ids: artifactIds,
    reason: 'sweep',
  });
}

describe('InboundEventIngestor (embedded PGlite)', () => {
  let dataSource: DataSource;
  let log: SyncEventLog;
  let publisher: RecordingEventPublisher;
  let ingestor: InboundEventIngestor;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
    log = new SyncEventLog(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  beforeEach(() => {
    publisher = new RecordingEventPublisher();
    ingestor = new InboundEventIngestor(
      loadConfig({}),
      publisher,
      new StoreTransactions(dataSource),
    );
  });

  it('turns a completed run into one check work item keyed by its run, once however often it comes', async () => {
    const runId = `run-${randomUUID()}`;
    const run = runCompleted(runId, [sample('a'), sample('b')]);
    await ingestor.ingest([run, run]);
    await ingestor.ingest([run]);
    const work = publisher.on(Topics.BridgeInternalChecks);
    expect(work).toHaveLength(1);
    expect(work[0]).toMatchObject({ check_type: 'post_run', run_id: runId, attempt: 1 });
    expect(publisher.keysOn(Topics.BridgeInternalChecks)).toEqual([runId]);
  });

  it('claims nothing when the check work is not acknowledged, so the redelivered batch is not lost', async () => {
    const run = runCompleted(`run-${randomUUID()}`, [sample('c')]);
    publisher.failNextOn.add(Topics.BridgeInternalChecks);
    await expect(ingestor.ingest([run])).rejects.toThrow(/broker unreachable/);
    expect(publisher.on(Topics.BridgeInternalChecks)).toHaveLength(0);
    await ingestor.ingest([run]);
    expect(publisher.on(Topics.BridgeInternalChecks)).toHaveLength(1);
  });

  it('records a fact event once, and closes the stale cache its eviction settles with one bridge.sync.repaired', async () => {
    const artifacts = [`art-${randomUUID()}`, `art-${randomUUID()}`];
    const [{ event: finding }] = await log.recordMany([
      {
        eventType: SyncEventTypes.StaleCache,
        mismatchType: 'stale_cache',
        repairStrategy: 'evict_on_next_sweep',
        source: 'canon',
        sourceId: artifacts[0],
        dedupeKey: `canon_staleness:${randomUUID()}`,
        details: {
          check_type: 'canon_staleness',
          run_id: null,
          pipeline_id: null,
          source_event_id: randomUUID(),
          triggered_at: T0,
          attempts: 1,
          change: 'DELETED',
          artifact_ids: artifacts,
          entities: [sample('d')],
        },
      },
    ]);

    const first = evicted([artifacts[0]]);
    await ingestor.ingest([first, first]);
    expect(publisher.on(Topics.BridgeSyncRepaired)).toHaveLength(0);
    expect((await log.findById(finding.id))?.state).toBe('open');

    await ingestor.ingest([evicted([artifacts[1]])]);
    const repaired = publisher.on(Topics.BridgeSyncRepaired);
    expect(repaired).toHaveLength(1);
    expect(repaired[0]).toMatchObject({ sync_event_id: finding.id, resolution: 'healed' });
    expect((await log.findById(finding.id))?.state).toBe('healed');

    const facts = await dataSource.query<Array<{ count: string }>>(
      `SELECT count(*) AS count FROM sync_events WHERE dedupe_key = $1`,
      [`inbound:${first.event.event_id}`],
    );
    expect(Number(facts[0].count)).toBe(1);
  });
});
