/**
 * Full scans through the real stack: PostgreSQL, Kafka and the schema registry, and the
 * component simulator over HTTP, its seeded history scored by its scan oracle
 * (`GET /sim/truth/scan`), which computes from the simulated state what a correct scan must
 * report. Scanners run in this process (`ScannerModule`), or as built processes where a test
 * kills one or runs two. The last tests give the scanner manifests that declare range digests
 * (the simulator serves them), on both components or only one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  createDataSource,
  migrateStore,
  RepairJobStore,
  ScanStore,
  SyncEventLog,
  type Scan,
  type SyncEvent,
} from '@bridge/store';
import { ScanScheduler, ScannerModule } from '@bridge/scan';
import { RepairModule } from '@bridge/repair';
import {
  bootApp,
  startSimulatedComponents,
  type SimulatedComponents,
} from '../../../test/pipeline-harness';
import { eventually, freshDatabase, stackConfig } from '../../../test/stack-config';
import { freePorts, spawnService, type ServiceProcess } from '../../../test/service-processes';
import type { ScanTruth } from '@bridge/simulator';

const PAGE_SIZE = 50;
const RATE_LIMIT = 25;
const GRACE_MS = 1_000;

/**
 * Component manifests for the scans: small pages, and a rate limit on Hippo; or, with
 * `rangeDigests`, no rate limit and the digest capability on the components named.
 */
function manifestFile(rangeDigests?: { cappella: boolean; hippo: boolean }): string {
  const client = {
    timeoutMs: 2_000,
    retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 50 },
    circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 300 },
    pageSize: PAGE_SIZE,
  };
  const file = join(mkdtempSync(join(tmpdir(), 'scan-manifest-')), 'components.json');
  writeFileSync(
    file,
    JSON.stringify(
      rangeDigests
        ? {
            cappella: { ...client, capabilities: { rangeDigests: rangeDigests.cappella } },
            hippo: {
              ...client,
              capabilities: { bulkLookup: true, rangeDigests: rangeDigests.hippo },
            },
            canon: client,
          }
        : {
            cappella: client,
            hippo: {
              ...client,
              rateLimitPerSecond: RATE_LIMIT,
              capabilities: { bulkLookup: true },
            },
            canon: client,
          },
    ),
  );
  return file;
}

/** One scanner's world: its own database, and the scanner module in this process. */
interface ScannerUnderTest {
  app: INestApplication;
  scheduler: ScanScheduler;
  scans: ScanStore;
  log: SyncEventLog;
  env: NodeJS.ProcessEnv;
  close: () => Promise<void>;
}

describe('full scans through the real stack', () => {
  let components: SimulatedComponents;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    components = await startSimulatedComponents({
      COMPONENT_MANIFEST_FILE: manifestFile(),
      SCAN_SCHEDULE: 'off',
      SCAN_POLL_INTERVAL_MS: '100',
      SCAN_GRACE_DELAY_MS: String(GRACE_MS),
      SCAN_OUTAGE_TOLERANCE_MS: '60000',
    });
  });

  beforeEach(() => {
    components.sim.reset();
  });

  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });

  afterAll(async () => {
    await components?.simApp.close();
    await components?.db.drop();
  });

  /** A scanner in this process on a fresh database (and a repair service beside it, if asked). */
  async function scannerInProcess(
    options: { env?: NodeJS.ProcessEnv; repair?: boolean } = {},
  ): Promise<ScannerUnderTest & { repair?: INestApplication }> {
    const db = await freshDatabase();
    const env = { ...components.env, DATABASE_URL: db.url, ...options.env };
    const app = await bootApp(ScannerModule.forRoot(stackConfig(env)));
    const repair = options.repair
      ? await bootApp(RepairModule.forRoot(stackConfig(env)))
      : undefined;
    const close = async () => {
      await repair?.close();
      await app.close();
      await db.drop();
    };
    cleanups.push(close);
    return {
      app,
      repair,
      scheduler: app.get(ScanScheduler),
      scans: app.get(ScanStore),
      log: app.get(SyncEventLog),
      env,
      close,
    };
  }

  /**
   * A fresh database, migrated, with the scan records and the log to watch what scanner
   * processes do there (no scanner in this process).
   */
  async function watchedDatabase(): Promise<{ url: string; scans: ScanStore; log: SyncEventLog }> {
    const db = await freshDatabase();
    const dataSource = createDataSource({ kind: 'postgres', url: db.url });
    await dataSource.initialize();
    await migrateStore(dataSource);
    cleanups.push(async () => {
      await dataSource.destroy();
      await db.drop();
    });
    return { url: db.url, scans: new ScanStore(dataSource), log: new SyncEventLog(dataSource) };
  }

  async function truth(): Promise<ScanTruth> {
    const response = await fetch(`${components.simUrl}/sim/truth/scan?graceMs=${GRACE_MS}`);
    return (await response.json()) as ScanTruth;
  }

  async function completed(scans: ScanStore, scanId: string, timeoutMs = 90_000): Promise<Scan> {
    return eventually(
      async () => {
        const scan = await scans.findById(scanId);
        if (scan?.status === 'failed') throw new Error(`scan failed: ${scan.lastError}`);
        return scan?.status === 'completed' ? scan : undefined;
      },
      timeoutMs,
      `scan ${scanId} to complete`,
    );
  }

  async function findingsOf(scanner: { scans: ScanStore; log: SyncEventLog }, scanId: string) {
    const byId = await scanner.log.findByIds(await scanner.scans.findingIds(scanId));
    return [...byId.values()];
  }

  /** Findings as the oracle lists them: per kind, subject → the entities named. */
  function asTruth(findings: SyncEvent[]) {
    const kinds = {
      missing_entity: [] as Array<{ run_id: string; entities: unknown[] }>,
      dangling_reference: [] as Array<{ run_id: string; entities: unknown[] }>,
      orphan_provenance: [] as Array<{ entity: unknown; run_id: string }>,
    };
    for (const finding of findings) {
      if (finding.eventType !== 'bridge.sync.mismatch') throw new Error('not a mismatch');
      const { run_id, missing_entities } = finding.details;
      if (finding.mismatchType === 'orphan_provenance') {
        kinds.orphan_provenance.push({ entity: missing_entities[0], run_id: run_id ?? '' });
      } else if (
        finding.mismatchType === 'missing_entity' ||
        finding.mismatchType === 'dangling_reference'
      ) {
        kinds[finding.mismatchType].push({ run_id: run_id ?? '', entities: missing_entities });
      } else {
        throw new Error(`unexpected ${finding.mismatchType}`);
      }
    }
    const byRun = (a: { run_id: string }, b: { run_id: string }) =>
      a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0;
    const byEntity = (a: { entity: unknown }, b: { entity: unknown }) =>
      JSON.stringify(a.entity) < JSON.stringify(b.entity) ? -1 : 1;
    return {
      missing_entity: kinds.missing_entity.sort(byRun),
      dangling_reference: kinds.dangling_reference.sort(byRun),
      orphan_provenance: kinds.orphan_provenance.sort(byEntity),
    };
  }

  const expected = (oracle: ScanTruth) => ({
    missing_entity: oracle.missing_entity,
    dangling_reference: oracle.dangling_reference,
    orphan_provenance: [...oracle.orphan_provenance].sort((a, b) =>
      JSON.stringify(a.entity) < JSON.stringify(b.entity) ? -1 : 1,
    ),
  });

  /** A history old enough for the grace delay, with each kind of discrepancy. */
  async function seed(runs: number, rate = 0.02): Promise<void> {
    components.sim.seedHistory({
      runs,
      outputsPerRun: 4,
      missingEntityRate: rate,
      danglingReferenceRate: rate,
      orphanProvenanceRate: rate,
      ageMs: 60_000,
    });
    // Let the seeded runs age past the grace delay relative to a scan started now.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it('finds each kind of discrepancy exactly, with nothing else, and announces it', async () => {
    await seed(400);
    const oracle = await truth();
    expect(oracle.counts).toMatchObject({
      missing_entity: 8,
      dangling_reference: 8,
      orphan_provenance: 8,
    });
    const scanner = await scannerInProcess();
    const scan = await scanner.scheduler.requestScan({ requestedBy: 'test' });
    const done = await completed(scanner.scans, scan.id);
    const findings = await findingsOf(scanner, scan.id);
    expect(asTruth(findings)).toEqual(expected(oracle));
    expect(done).toMatchObject({
      mode: 'full',
      counts: { missing_entity: 8, dangling_reference: 8, orphan_provenance: 8 },
      items: { cappella: 400, hippo: 400 * 4 - 8 + 8 },
    });
    expect(done.pages.cappella).toBe(Math.ceil(400 / PAGE_SIZE));
    await eventually(
      async () => {
        const rows = await findingsOf(scanner, scan.id);
        return rows.every((row) => row.publishedAt !== null) ? true : undefined;
      },
      20_000,
      'every scan finding to be published',
    );
  });

  it('reads only the tail on a repeat scan with no changes, and reports nothing new', async () => {
    await seed(300);
    const scanner = await scannerInProcess();
    const first = await scanner.scheduler.requestScan();
    await completed(scanner.scans, first.id);
    const hitsBefore = components.sim.hitCounts().endpoints;

    const second = await scanner.scheduler.requestScan({ mode: 'incremental' });
    const done = await completed(scanner.scans, second.id);
    expect(done).toMatchObject({ mode: 'incremental', counts: {} });
    expect(done.pages).toEqual({ cappella: 1, hippo: 1, canon: 0 });
    expect(await findingsOf(scanner, second.id)).toEqual([]);
    const hitsAfter = components.sim.hitCounts().endpoints;
    expect((hitsAfter['GET /cappella/runs'] ?? 0) - (hitsBefore['GET /cappella/runs'] ?? 0)).toBe(
      1,
    );
    expect((hitsAfter['GET /hippo/entities'] ?? 0) - (hitsBefore['GET /hippo/entities'] ?? 0)).toBe(
      1,
    );

    // What changed after the cursors is seen: new runs, one of which lost an output.
    components.sim.seedHistory({
      runs: 20,
      outputsPerRun: 4,
      missingEntityRate: 0.05,
      ageMs: 60_000,
    });
    const third = await scanner.scheduler.requestScan({ mode: 'incremental' });
    const thirdDone = await completed(scanner.scans, third.id);
    expect(thirdDone.counts).toEqual({ missing_entity: 1 });
    expect(thirdDone.items.cappella).toBeLessThanOrEqual(20 + PAGE_SIZE);
  });

  it('finishes a scan killed halfway, in a restarted scanner, with the findings of an uninterrupted one', async () => {
    await seed(1_500);
    const oracle = await truth();
    const watch = await watchedDatabase();
    const [port1, port2] = await freePorts(2);
    const env = { ...components.env, DATABASE_URL: watch.url };
    const first = spawnService('scanner', port1, env, 'scanner-1');
    cleanups.push(() => first.stop());
    await first.healthy();
    const scan = await watch.scans.request({ trigger: 'manual', mode: 'full' });
    await eventually(
      async () => {
        const now = await watch.scans.findById(scan.id);
        return now && now.items.hippo >= 500 ? true : undefined;
      },
      90_000,
      'the scan to be into its Hippo side',
    );
    await first.kill();
    const halfway = await watch.scans.findById(scan.id);
    expect(halfway?.status).toBe('running');

    const second = spawnService('scanner', port2, env, 'scanner-2');
    cleanups.push(() => second.stop());
    const done = await completed(watch.scans, scan.id, 120_000);
    expect(done.holder).not.toBe(halfway?.holder);
    expect(asTruth(await findingsOf(watch, scan.id))).toEqual(expected(oracle));
    expect(done.counts).toEqual({
      missing_entity: oracle.counts.missing_entity,
      dangling_reference: oracle.counts.dangling_reference,
      orphan_provenance: oracle.counts.orphan_provenance,
    });
  });

  it('runs one scan when two scanners start together', async () => {
    await seed(300);
    const watch = await watchedDatabase();
    const listingsBefore = components.sim.hitCounts().endpoints['GET /cappella/runs'] ?? 0;

    const ports = await freePorts(2);
    const env = { ...components.env, DATABASE_URL: watch.url, SCAN_POLL_INTERVAL_MS: '50' };
    const scanners: ServiceProcess[] = ports.map((port, i) =>
      spawnService('scanner', port, env, `scanner-${i + 1}`),
    );
    for (const scanner of scanners) cleanups.push(() => scanner.stop());
    await Promise.all(scanners.map((scanner) => scanner.healthy()));
    const scan = await watch.scans.request({ trigger: 'manual', mode: 'full' });
    const done = await completed(watch.scans, scan.id);

    // One scanner read Cappella's listing, once.
    const listings =
      (components.sim.hitCounts().endpoints['GET /cappella/runs'] ?? 0) - listingsBefore;
    expect(listings).toBe(done.pages.cappella);
    expect(await watch.scans.list()).toHaveLength(1);
    const oracle = await truth();
    expect(asTruth(await findingsOf(watch, scan.id))).toEqual(expected(oracle));
  });

  it('keeps to a component’s rate limit', async () => {
    await seed(1_000);
    const scanner = await scannerInProcess();
    const scan = await scanner.scheduler.requestScan();
    const done = await completed(scanner.scans, scan.id);
    const { peakPerSecond } = components.sim.hitCounts();
    // Hippo was asked about as often as it allows, never more. The meter counts arrivals in
    // 100-ms steps, in the same process as the scanner: a pause of its event loop lets a few
    // requests sent in one second arrive in the next, hence a fifth over. The scan needs more
    // than three seconds' worth, which unlimited would come in well under one.
    expect(done.requests.hippo).toBeGreaterThan(RATE_LIMIT * 3);
    expect(peakPerSecond.hippo).toBeLessThanOrEqual(RATE_LIMIT * 1.2);
    expect(peakPerSecond.hippo).toBeGreaterThanOrEqual(RATE_LIMIT / 2);
  });

  it('pauses through a component outage mid-scan and resumes when it ends', async () => {
    await seed(400);
    const oracle = await truth();
    const scanner = await scannerInProcess();
    const scan = await scanner.scheduler.requestScan();
    await eventually(
      async () => {
        const now = await scanner.scans.findById(scan.id);
        return now && now.items.cappella > 0 ? true : undefined;
      },
      30_000,
      'the scan to start reading',
    );
    components.sim.setFaults('hippo', { errorRate: 1 });
    const paused = await eventually(
      async () => {
        const now = await scanner.scans.findById(scan.id);
        return now?.status === 'paused' ? now : undefined;
      },
      30_000,
      'the scan to pause',
    );
    expect(paused.lastError).toMatch(/waiting for an outage to end: hippo/);
    // The scanner keeps probing Hippo through the outage; after two more refused probes it
    // has had its chance to move on and must still be paused.
    const hitsWhenPaused = components.sim.hitCounts().components.hippo;
    await eventually(
      () =>
        Promise.resolve(
          components.sim.hitCounts().components.hippo >= hitsWhenPaused + 2 ? true : undefined,
        ),
      30_000,
      'two more probes of Hippo during the outage',
    );
    expect((await scanner.scans.findById(scan.id))?.status).toBe('paused');

    components.sim.clearFaults();
    await completed(scanner.scans, scan.id);
    expect(asTruth(await findingsOf(scanner, scan.id))).toEqual(expected(oracle));
  });

  it('hands a scan’s missing entity to the repair service, which resubmits the run once', async () => {
    const seeded = components.sim.seedHistory({
      runs: 60,
      outputsPerRun: 3,
      missingEntityRate: 1 / 60,
      ageMs: 60_000,
    });
    expect(seeded.injected.missing_entity).toBe(1);
    const [lost] = (await truth()).missing_entity;
    const scanner = await scannerInProcess({
      repair: true,
      env: {
        STRATEGY_MISSING_ENTITY: 'resubmit_run',
        REPAIR_INTERVAL_MS: '100',
        REPAIR_CONFIRM_INTERVAL_MS: '200',
        REPAIR_CONFIRM_MAX_INTERVAL_MS: '500',
      },
    });
    const scan = await scanner.scheduler.requestScan();
    await completed(scanner.scans, scan.id);
    const [finding] = await findingsOf(scanner, scan.id);
    expect(finding).toMatchObject({
      mismatchType: 'missing_entity',
      repairStrategy: 'resubmit_run',
    });

    const jobs = scanner.repair?.get(RepairJobStore);
    const job = await eventually(
      async () => {
        const found = await jobs?.findBySyncEventId(finding.id);
        return found?.state === 'DONE' || found?.state === 'FAILED' ? found : undefined;
      },
      60_000,
      'the repair of the scan finding',
    );
    expect(job.state).toBe('DONE');
    expect((await scanner.log.findById(finding.id))?.resolved).toBe(true);
    const resubmitted = components.sim
      .truth()
      .resubmissions.filter((r) => r.repeatsRunId === lost.run_id);
    expect(resubmitted).toHaveLength(1);
    expect((await truth()).missing_entity).toEqual([]);
  });

  describe('with range digests', () => {
    const digestsOn = (hippo = true) => ({
      env: { COMPONENT_MANIFEST_FILE: manifestFile({ cappella: true, hippo }) },
    });
    const digestFound = (oracle: ScanTruth) => ({
      ...expected(oracle),
      dangling_reference: [],
    });
    const listingHits = (hits: Record<string, number>) =>
      (hits['GET /cappella/runs'] ?? 0) + (hits['GET /hippo/entities'] ?? 0);

    it('lists first (the reference pass), then compares digests and reads only what differs', async () => {
      await seed(2_000, 0.005);
      const oracle = await truth();
      const scanner = await scannerInProcess(digestsOn());
      const first = await scanner.scheduler.requestScan({ mode: 'full' });
      expect(await completed(scanner.scans, first.id)).toMatchObject({ method: 'listing' });
      expect(asTruth(await findingsOf(scanner, first.id))).toEqual(expected(oracle));
      // Cleared, as if repaired elsewhere, so that the next scan may record them again.
      await scanner.log.resolveMany(
        (await findingsOf(scanner, first.id)).map((f) => f.id),
        'test',
      );

      const hitsBefore = components.sim.hitCounts().endpoints;
      const second = await scanner.scheduler.requestScan({ mode: 'full' });
      const done = await completed(scanner.scans, second.id);
      expect(done).toMatchObject({ method: 'digest', phase: 'done' });
      expect(asTruth(await findingsOf(scanner, second.id))).toEqual(digestFound(oracle));
      const hitsAfter = components.sim.hitCounts().endpoints;
      expect(listingHits(hitsAfter) - listingHits(hitsBefore)).toBe(0);
      // 8,000 pairs a side, about 31 in each of the first cut's 256 buckets: the 20 that differ
      // are listed (cheaper than cutting again), about 1,250 pairs of the 16,000.
      expect(done.items.cappella + done.items.hippo).toBeLessThan(2_000);
      expect(done.requests.cappella + done.requests.hippo).toBeLessThan(300);
    });

    it('lists when only one component offers digests, even if asked to compare them', async () => {
      await seed(300);
      const oracle = await truth();
      const scanner = await scannerInProcess(digestsOn(false));
      const scan = await scanner.scheduler.requestScan({ mode: 'full', method: 'digest' });
      const done = await completed(scanner.scans, scan.id);
      expect(done).toMatchObject({ method: 'listing' });
      expect(asTruth(await findingsOf(scanner, scan.id))).toEqual(expected(oracle));
    });

    it('records only true findings, and all the old ones, while the data changes under the scan', async () => {
      await seed(2_000, 0.005);
      const before = await truth();
      const scanner = await scannerInProcess(digestsOn());
      // Slow components stretch the scan over the changes below.
      components.sim.setFaults('cappella', { slowMs: 150 });
      components.sim.setFaults('hippo', { slowMs: 150 });
      const scan = await scanner.scheduler.requestScan({ mode: 'full', method: 'digest' });
      await eventually(
        async () => ((await scanner.scans.findById(scan.id))?.startedAt ? true : undefined),
        30_000,
        'the scan to start',
      );
      // Between the two sides' answers and the listings: runs complete (some losing outputs,
      // some entities orphaned), and some old entities become unavailable.
      for (let round = 0; round < 5; round += 1) {
        components.sim.seedHistory({
          runs: 40,
          outputsPerRun: 4,
          missingEntityRate: 0.05,
          orphanProvenanceRate: 0.05,
          ageMs: 60_000,
        });
        await new Promise((resolve) => setTimeout(resolve, 150));
        if (round === 0) {
          expect((await scanner.scans.findById(scan.id))?.status).toBe('running');
        }
      }
      const done = await completed(scanner.scans, scan.id);
      components.sim.clearFaults();
      expect(done.method).toBe('digest');
      const after = await truth();
      const found = asTruth(await findingsOf(scanner, scan.id));
      // Every finding is true of the data as it ended; every discrepancy older than the scan
      // is among them.
      const key = (item: unknown) => JSON.stringify(item);
      const truthNow = new Set([...after.missing_entity, ...after.orphan_provenance].map(key));
      const foundNow = [...found.missing_entity, ...found.orphan_provenance];
      expect(foundNow.filter((item) => !truthNow.has(key(item)))).toEqual([]);
      const foundKeys = new Set(foundNow.map(key));
      const old = [...digestFound(before).missing_entity, ...digestFound(before).orphan_provenance];
      expect(old.filter((item) => !foundKeys.has(key(item)))).toEqual([]);
      expect(found.dangling_reference).toEqual([]);
    });
  });
});
