import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { RecheckConfig } from '@bridge/config';
import { Topics, type EntityKey } from '@bridge/contracts';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import { RepairJobStore, StoreTransactions, SyncEventLog, type SyncEvent } from '@bridge/store';
import {
  sampleCheckFailedFinding,
  sampleMismatchFinding,
  openEmbeddedStore,
} from '@bridge/store/testing';
import { FindingRechecker } from './finding-rechecker';
import { InMemoryComponentReader } from './testing';

const SETTINGS: RecheckConfig = {
  delaysMs: [0, 0],
  intervalMs: 10,
  batchSize: 100,
  leaseMs: 60_000,
};
const key = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

describe('FindingRechecker (in-memory components, embedded PGlite)', () => {
  let dataSource: DataSource;
  let log: SyncEventLog;
  let jobs: RepairJobStore;
  let components: InMemoryComponentReader;
  let publisher: RecordingEventPublisher;
  let rechecker: FindingRechecker;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
    log = new SyncEventLog(dataSource);
    jobs = new RepairJobStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  beforeEach(async () => {
    await dataSource.query(`TRUNCATE repair_job_subjects, repair_jobs, sync_events CASCADE`);
    components = new InMemoryComponentReader();
    publisher = new RecordingEventPublisher();
    rechecker = new FindingRechecker({
      components,
      log,
      transactions: new StoreTransactions(dataSource),
      publisher,
      settings: SETTINGS,
    });
  });

  async function missing(runId: string, ids: string[]): Promise<SyncEvent> {
    const entry = sampleMismatchFinding(runId, {
      missing: ids.map(key),
      repairStrategy: 'resubmit_run',
    });
    return (await log.record(entry)).event;
  }

  it('heals a finding whose entity arrived, ends its unstarted repair, and announces it once', async () => {
    const finding = await missing('run-1', ['a']);
    const [job] = await jobs.create([
      {
        syncEventId: finding.id,
        mismatchType: 'missing_entity',
        strategy: 'resubmit_run',
        priority: 0,
        subjectKeys: ['run:run-1'],
        findingCreatedAt: finding.createdAt,
      },
    ]);
    expect(await rechecker.pass()).toMatchObject({ claimed: 1, healed: 0 });
    expect(await log.findById(finding.id)).toMatchObject({ state: 'open', recheckCount: 1 });

    components.addEntities([key('a')]);
    expect(await rechecker.pass()).toMatchObject({ claimed: 1, healed: 1 });
    expect(await log.findById(finding.id)).toMatchObject({ state: 'healed', recheckCount: 2 });
    expect(await jobs.findById(job.id)).toMatchObject({
      state: 'DONE',
      lastError: 'not needed: the finding healed before the repair acted',
    });
    expect(publisher.on(Topics.BridgeSyncRepaired)).toEqual([
      expect.objectContaining({ sync_event_id: finding.id, resolution: 'healed' }),
    ]);
    expect(await rechecker.pass()).toMatchObject({ claimed: 0 });
  });

  it('leaves a finding whose repair is executing to that repair', async () => {
    const finding = await missing('run-2', ['b']);
    const [job] = await jobs.create([
      {
        syncEventId: finding.id,
        mismatchType: 'missing_entity',
        strategy: 'resubmit_run',
        priority: 0,
        subjectKeys: ['run:run-2'],
        findingCreatedAt: finding.createdAt,
      },
    ]);
    await jobs.record(job.id, 'PENDING', null, { state: 'EXECUTING' });
    components.addEntities([key('b')]);
    expect(await rechecker.pass()).toMatchObject({ claimed: 0 });
    expect((await log.findById(finding.id))?.state).toBe('open');
  });

  it('does not count a re-check the components could not answer, and tries again later', async () => {
    const finding = await missing('run-3', ['c']);
    components.failUnavailable('hippo');
    expect(await rechecker.pass()).toMatchObject({ claimed: 1, unobserved: 1 });
    expect(await log.findById(finding.id)).toMatchObject({ state: 'open', recheckCount: 0 });
    // Due again after the first step's delay (0 here).
    components.recover('hippo').addEntities([key('c')]);
    expect(await rechecker.pass()).toMatchObject({ claimed: 1, healed: 1 });
  });

  it('walks the schedule and then stops, and runs a failed check again at each step', async () => {
    const finding = await missing('run-4', ['d']);
    const failed = (await log.record(sampleCheckFailedFinding(`run-${randomUUID()}`))).event;
    expect(await rechecker.pass()).toMatchObject({ claimed: 2, rerun: 1 });
    expect(await rechecker.pass()).toMatchObject({ claimed: 2, rerun: 1 });
    expect(await rechecker.pass()).toMatchObject({ claimed: 0 });
    expect(await log.findById(finding.id)).toMatchObject({ recheckCount: 2, nextRecheckAt: null });
    const rerun = publisher.on(Topics.BridgeInternalChecks);
    expect(rerun).toHaveLength(2);
    expect(rerun[0]).toMatchObject({ check_key: failed.dedupeKey, attempt: 1 });
  });
});
