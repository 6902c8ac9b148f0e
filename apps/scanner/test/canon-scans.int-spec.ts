/**
 * Canon in full scans, through the real stack (Kafka, the schema registry, PostgreSQL and the
 * component simulator over HTTP): a full scan whose Canon lists its artifacts finds the stale
 * caches no event announced, scored by the simulator's scan oracle, and a stale artifact that
 * both a scan and the staleness check of its deletion meet is reported once, whichever of the
 * two records first. The scanner and the checker share one database, as in a deployment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ScanScheduler, ScannerModule } from '@bridge/scan';
import { ScanStore, SyncEventLog, type Scan, type SyncEvent } from '@bridge/store';
import { bootApp, startPipeline, type Pipeline } from '../../../test/pipeline-harness';
import { eventually } from '../../../test/stack-config';

/** Hippo with bulk lookup, Canon with the artifact listing, small pages. */
function manifestFile(): string {
  const client = {
    timeoutMs: 2_000,
    retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 50 },
    circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 300 },
    pageSize: 20,
  };
  const file = join(mkdtempSync(join(tmpdir(), 'canon-scan-manifest-')), 'components.json');
  writeFileSync(
    file,
    JSON.stringify({
      cappella: client,
      hippo: { ...client, capabilities: { bulkLookup: true } },
      canon: { ...client, capabilities: { artifactListing: true } },
    }),
  );
  return file;
}

describe('Canon in full scans through the real stack', () => {
  let pipeline: Pipeline;
  let scanner: INestApplication;
  let scans: ScanStore;
  let log: SyncEventLog;

  beforeAll(async () => {
    pipeline = await startPipeline({
      deferChecker: true,
      env: {
        COMPONENT_MANIFEST_FILE: manifestFile(),
        SCAN_SCHEDULE: 'off',
        SCAN_POLL_INTERVAL_MS: '100',
        SCAN_GRACE_DELAY_MS: '1000',
      },
    });
    scanner = await bootApp(ScannerModule.forRoot(pipeline.config));
    scans = scanner.get(ScanStore);
    log = scanner.get(SyncEventLog);
  });

  afterAll(async () => {
    await scanner?.close();
    await pipeline?.close();
  });

  async function fullScan(): Promise<Scan> {
    const requested = await scanner.get(ScanScheduler).requestScan({ mode: 'full' });
    return eventually(
      async () => {
        const scan = await scans.findById(requested.id);
        if (scan?.status === 'failed') throw new Error(`scan failed: ${scan.lastError}`);
        return scan?.status === 'completed' ? scan : undefined;
      },
      60_000,
      `scan ${requested.id} to complete`,
    );
  }

  async function staleFindingsOf(scanId: string): Promise<SyncEvent[]> {
    const byId = await log.findByIds(await scans.findingIds(scanId));
    return [...byId.values()].filter((f) => f.eventType === 'bridge.sync.stale_cache');
  }

  /** Every artifact named by an open stale-cache finding, as often as it is named. */
  async function openStaleArtifacts(): Promise<string[]> {
    const { rows } = await pipeline.pool.query<{ id: string }>(
      `SELECT jsonb_array_elements_text(details -> 'artifact_ids') AS id
         FROM sync_events WHERE mismatch_type = 'stale_cache' AND state = 'open'`,
    );
    return rows.map((row) => row.id).sort();
  }

  const artifactsOf = (findings: SyncEvent[]) =>
    findings
      .flatMap((f) => (f.eventType === 'bridge.sync.stale_cache' ? f.details.artifact_ids : []))
      .sort();

  const oracleArtifacts = () =>
    pipeline.sim
      .scanTruth(0)
      .stale_cache.map((s) => s.artifact_id)
      .sort();

  it('finds the stale caches no event announced, and the check of a deletion it met first reports nothing twice', async () => {
    // History with artifacts in Canon, some left behind by deletions nobody announced.
    const seeded = pipeline.sim.seedHistory({
      runs: 60,
      outputsPerRun: 2,
      cachedOutputRate: 0.5,
      staleCacheRate: 0.1,
    });
    expect(seeded.artifacts).toEqual({ cached: 60, stale: 6 });
    // A deletion whose staleness check is still queued (the checker is not running yet).
    const run = await pipeline.sim.completeRun({ outputs: 2 });
    const deletion = await pipeline.sim.deleteEntities({ keys: run.outputs, leaveArtifactsFor: 2 });

    const scan = await fullScan();
    const expected = oracleArtifacts();
    expect(expected.length).toBeGreaterThanOrEqual(8);
    const byScan = await staleFindingsOf(scan.id);
    expect(artifactsOf(byScan)).toEqual(expected);
    expect(scan.counts.stale_cache).toBe(byScan.length);
    // Every artifact was read once: the 60 of outputs Hippo holds, and the stale ones.
    expect(scan.items.canon).toBe(60 + expected.length);

    // The deletion's own check now runs and finds every artifact already reported by the scan.
    await pipeline.startChecker(false);
    const checked = await pipeline.finding(deletion.eventId, [
      'bridge.sync.cache_clean',
      'bridge.sync.stale_cache',
    ]);
    expect(checked.eventType).toBe('bridge.sync.cache_clean');
    const reportedIn = checked.eventType === 'bridge.sync.cache_clean' ? checked.details : null;
    expect(reportedIn?.reported_in?.length).toBeGreaterThan(0);
    expect(byScan.map((f) => f.id)).toEqual(expect.arrayContaining(reportedIn?.reported_in ?? []));
    expect(await openStaleArtifacts()).toEqual(expected);
  });

  it('leaves out what the staleness check of an announced deletion reported first', async () => {
    const run = await pipeline.sim.completeRun({ outputs: 3 });
    await pipeline.finding(run.runId, ['bridge.sync.ok']);
    const deletion = await pipeline.sim.deleteEntities({ keys: run.outputs, leaveArtifactsFor: 2 });
    const byCheck = await pipeline.finding(deletion.eventId, ['bridge.sync.stale_cache']);
    const checkArtifacts = artifactsOf([byCheck]);
    expect(checkArtifacts.length).toBeGreaterThanOrEqual(2);

    const scan = await fullScan();
    const byScan = artifactsOf(await staleFindingsOf(scan.id));
    expect(byScan.filter((id) => checkArtifacts.includes(id))).toEqual([]);
    // Every stale artifact in Canon is named by exactly one open finding.
    expect(await openStaleArtifacts()).toEqual(oracleArtifacts());
  });
});
