import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { ScanConfig } from '@bridge/config';
import type {
  Artifact,
  CappellaRun,
  ComponentHttpStats,
  HippoEntity,
  Page,
} from '@bridge/components';
import { DEFAULT_STRATEGIES, entityKeyId, Topics, type EntityKey } from '@bridge/contracts';
import { ComponentUnavailableError, ScanInProgressError } from '@bridge/errors';
import { FindingPublisher } from '@bridge/checks';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import {
  KnownRunIds,
  ScanCursorStore,
  ScanLock,
  ScanStore,
  StoreTransactions,
  SyncEventLog,
  type SyncEvent,
} from '@bridge/store';
import {
  openEmbeddedStore,
  sampleMismatchFinding,
  sampleStaleCacheFinding,
} from '@bridge/store/testing';
import { Scanner } from './scanner';
import type { ScanComponents } from './scan-runner';
import { inMemoryRangeDigests, type DigestCalls } from './testing/in-memory-range-digests';

const SETTINGS: ScanConfig = {
  schedule: null,
  timezone: 'UTC',
  fullIntervalMs: 7 * 24 * 3_600_000,
  listingIntervalMs: 28 * 24 * 3_600_000,
  pollIntervalMs: 10,
  graceDelayMs: 60_000,
  outageToleranceMs: 60_000,
};
const OLD = new Date(Date.now() - 3_600_000).toISOString();
const key = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

const stats = (requests: number): ComponentHttpStats => ({
  requests,
  retries: 0,
  failures: 0,
  circuitState: 'closed',
});

/**
 * Cappella, Hippo and (once offered) Canon listings in change order, paged by index cursors,
 * counting requests.
 */
class FakeComponents implements ScanComponents {
  runs: CappellaRun[] = [];
  entities: HippoEntity[] = [];
  artifacts: Artifact[] = [];
  pageSize = 2;
  cappellaRequests = 0;
  hippoRequests = 0;
  canonRequests = 0;
  /** Listing pages served per listing. */
  readonly pagesServed = { cappella: 0, hippo: 0, canon: 0 };
  /** External ids asked of Hippo's lookup, in order. */
  readonly lookedUp: string[] = [];
  /** Thrown by the next listing calls instead of answering. */
  readonly outages: Error[] = [];
  /** Called before each listing answer (to stop a scan mid-way). */
  onPage: () => void = () => undefined;

  readonly cappella: ScanComponents['cappella'] = {
    listRuns: (after) => this.page('cappella', this.runs, after),
    getRun: (runId) => {
      this.cappellaRequests += 1;
      return Promise.resolve(this.runs.find((run) => run.run_id === runId) ?? null);
    },
    stats: () => stats(this.cappellaRequests),
  };

  readonly hippo: ScanComponents['hippo'] = {
    listEntities: (after) => this.page('hippo', this.entities, after),
    lookup: (keys) => {
      this.hippoRequests += 1;
      this.lookedUp.push(...keys.map((k) => k.external_id));
      const held = new Map(this.entities.map((e) => [entityKeyId(e), e]));
      return Promise.resolve(
        keys.map((k) => ({
          ...k,
          exists: held.has(entityKeyId(k)),
          available: held.get(entityKeyId(k))?.available ?? false,
          provenance: null,
        })),
      );
    },
    stats: () => stats(this.hippoRequests),
  };

  /** Canon's artifact listing, once `offerCanonListing` was called. */
  canon: ScanComponents['canon'] = null;

  offerCanonListing(): void {
    this.canon = {
      listArtifacts: (after) => this.page('canon', this.artifacts, after),
      stats: () => stats(this.canonRequests),
    };
  }

  artifact(id: string, entityId: string): void {
    this.artifacts.push({ artifact_id: id, ...key(entityId) });
  }

  /** Range digests over the same state, once `offerDigests` was called. */
  digests: ScanComponents['digests'] = null;
  digestCalls: DigestCalls | null = null;
  /** Called before each digest answer. */
  onDigest: (calls: DigestCalls) => void = () => undefined;

  offerDigests(): void {
    const offered = inMemoryRangeDigests(
      () => ({ runs: this.runs, entities: this.entities }),
      Number.POSITIVE_INFINITY,
      (calls) => this.onDigest(calls),
    );
    this.digests = offered.components;
    this.digestCalls = offered.calls;
  }

  run(id: string, outputs: string[], inputs: Record<string, unknown> = {}): void {
    this.runs.push({
      run_id: id,
      pipeline_id: 'align',
      status: 'COMPLETED',
      inputs,
      outputs: outputs.map(key),
      updated_at: OLD,
    });
  }

  entity(id: string, runId: string, available = true): void {
    this.entities.push({ ...key(id), available, provenance: { run_id: runId } });
  }

  private page<T>(
    component: 'cappella' | 'hippo' | 'canon',
    items: T[],
    after: string | null | undefined,
  ): Promise<Page<T>> {
    if (component === 'cappella') this.cappellaRequests += 1;
    else if (component === 'hippo') this.hippoRequests += 1;
    else this.canonRequests += 1;
    const outage = this.outages.shift();
    if (outage) return Promise.reject(outage);
    this.onPage();
    this.pagesServed[component] += 1;
    const start = after ? Number(after) : 0;
    const end = Math.min(items.length, start + this.pageSize);
    return Promise.resolve({
      items: items.slice(start, end),
      next_cursor: end < items.length ? String(end) : null,
    });
  }
}

describe('Scanner (PGlite, components in memory)', () => {
  let dataSource: DataSource;
  let log: SyncEventLog;
  let scans: ScanStore;
  let components: FakeComponents;
  let publisher: RecordingEventPublisher;

  beforeAll(async () => {
    dataSource = await openEmbeddedStore();
    log = new SyncEventLog(dataSource);
    scans = new ScanStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  beforeEach(async () => {
    await dataSource.query(
      `TRUNCATE scan_findings, scan_cursors, scan_known_runs, scans, repair_job_subjects, repair_jobs, sync_events CASCADE`,
    );
    components = new FakeComponents();
    publisher = new RecordingEventPublisher();
    // A history with one discrepancy of each kind, and healthy runs around them.
    components.run('r1', ['a1', 'a2']);
    components.run('r2', ['b1', 'b2']); // b2 never reached Hippo
    components.run('r3', ['c1'], { upstream: key('a1') });
    components.run('r4', ['d1'], { upstream: key('nowhere') }); // dangling reference
    for (const [id, run] of [
      ['a1', 'r1'],
      ['a2', 'r1'],
      ['b1', 'r2'],
      ['c1', 'r3'],
      ['d1', 'r4'],
      ['z1', 'deleted-run'], // orphan provenance
    ] as const) {
      components.entity(id, run);
    }
  });

  function scanner(holder = 'scanner#1'): Scanner {
    return new Scanner({
      ...scannerDeps(),
      holder,
      sleep: () => Promise.resolve(),
      // Narrow cuts, so that a few hundred pairs take several digest steps.
      digestSettings: { buckets: 16, listLimit: 4, rangesPerStep: 2 },
    });
  }

  async function findingsOf(scanId: string): Promise<SyncEvent[]> {
    const ids = await scans.findingIds(scanId);
    const byId = await log.findByIds(ids);
    return [...byId.values()].sort((a, b) =>
      `${a.mismatchType}${a.sourceId}`.localeCompare(`${b.mismatchType}${b.sourceId}`),
    );
  }

  const summary = (findings: SyncEvent[]) =>
    findings.map((f) => [
      f.mismatchType,
      f.sourceId,
      f.eventType === 'bridge.sync.mismatch'
        ? f.details.missing_entities.map((e) => e.external_id)
        : [],
    ]);

  const EXPECTED = [
    ['dangling_reference', 'r4', ['nowhere']],
    ['missing_entity', 'r2', ['b2']],
    ['orphan_provenance', 'sample:z1', ['z1']],
  ];

  it('finds each kind of discrepancy exactly once, records and announces it, and completes', async () => {
    const subject = scanner();
    const requested = await subject.request({ trigger: 'manual' });
    expect(requested.mode).toBe('full');
    expect(await subject.runActive(new AbortController().signal)).toBe('completed');

    const scan = await scans.findById(requested.id);
    expect(scan).toMatchObject({
      status: 'completed',
      phase: 'done',
      counts: { missing_entity: 1, dangling_reference: 1, orphan_provenance: 1 },
      pages: { cappella: 2, hippo: 3 },
      items: { cappella: 4, hippo: 6 },
    });
    // Every request counted once, those made reading ahead included.
    expect(scan?.requests).toEqual({
      cappella: components.cappellaRequests,
      hippo: components.hippoRequests,
      canon: 0,
    });
    expect(summary(await findingsOf(requested.id))).toEqual(EXPECTED);
    expect(
      publisher
        .on(Topics.BridgeSyncMismatch)
        .map((e) => e.mismatch_type)
        .sort(),
    ).toEqual(['dangling_reference', 'missing_entity', 'orphan_provenance']);
    expect((await findingsOf(requested.id)).every((f) => f.publishedAt !== null)).toBe(true);
    expect(await new ScanCursorStore(dataSource).load()).toEqual({ cappella: '2', hippo: '4' });
  });

  it('checks outputs in a full scan by tallies: looks up references, and only the runs whose tallies differ', async () => {
    // r5's outputs are all in Hippo, one unavailable; r6's Hippo holds an extra entity naming
    // it, which makes its tally differ without anything missing.
    components.run('r5', ['e1', 'e2']);
    components.entity('e1', 'r5');
    components.entity('e2', 'r5', false);
    components.run('r6', ['f1']);
    components.entity('f1', 'r6');
    components.entity('f-extra', 'r6');
    const subject = scanner();
    const requested = await subject.request({ trigger: 'manual', mode: 'full' });
    expect(await subject.runActive(new AbortController().signal)).toBe('completed');
    expect(summary(await findingsOf(requested.id))).toEqual([
      ['dangling_reference', 'r4', ['nowhere']],
      ['missing_entity', 'r2', ['b2']],
      ['missing_entity', 'r5', ['e2']],
      ['orphan_provenance', 'sample:z1', ['z1']],
    ]);
    // While listing: the input references only. Then the outputs of the three runs whose
    // tallies differ (r2 lost b2, r5 has e2 unavailable, r6 has an extra entity).
    expect(components.lookedUp).toEqual(['a1', 'nowhere', 'b1', 'b2', 'e1', 'e2', 'f1']);
  });

  it('reads only the tail on a repeat scan with no changes, and records nothing new', async () => {
    const subject = scanner();
    await subject.request({ trigger: 'manual' });
    await subject.runActive(new AbortController().signal);
    components.cappellaRequests = 0;
    components.hippoRequests = 0;

    const again = await subject.request({ trigger: 'schedule' });
    expect(again.mode).toBe('incremental');
    expect(await subject.runActive(new AbortController().signal)).toBe('completed');
    const scan = await scans.findById(again.id);
    // One page of each listing (its last one), no finding: the open ones are not repeated.
    expect(scan).toMatchObject({
      status: 'completed',
      counts: {},
      pages: { cappella: 1, hippo: 1 },
    });
    expect(await findingsOf(again.id)).toEqual([]);
  });

  it('sees what changed after the cursors: a new run that lost an output, an entity made unavailable', async () => {
    const subject = scanner();
    await subject.request({ trigger: 'manual' });
    await subject.runActive(new AbortController().signal);

    components.run('r5', ['e1', 'e2']);
    components.entity('e1', 'r5');
    // Hippo moves a changed entity to the end of its change order.
    const a2 = components.entities.findIndex((e) => e.external_id === 'a2');
    components.entities.splice(a2, 1);
    components.entity('a2', 'r1', false);

    const again = await subject.request({ trigger: 'manual', mode: 'incremental' });
    await subject.runActive(new AbortController().signal);
    expect(summary(await findingsOf(again.id))).toEqual([
      ['missing_entity', 'r1', ['a2']],
      ['missing_entity', 'r5', ['e2']],
    ]);
  });

  it('does not record a discrepancy that already has an open finding, whoever recorded it', async () => {
    await log.record(sampleMismatchFinding('r2', { missing: [key('b2')] }));
    const subject = scanner();
    const scan = await subject.request({ trigger: 'manual' });
    await subject.runActive(new AbortController().signal);
    expect(summary(await findingsOf(scan.id)).map(([type]) => type)).toEqual([
      'dangling_reference',
      'orphan_provenance',
    ]);
  });

  it('resumes a scan stopped mid-way from its checkpoint, in another scanner, with the same findings', async () => {
    const first = scanner('scanner#1');
    const scan = await first.request({ trigger: 'manual' });
    const stop = new AbortController();
    let pages = 0;
    components.onPage = () => {
      pages += 1;
      if (pages === 3) stop.abort(); // during the first Hippo page
    };
    expect(await first.runActive(stop.signal)).toBe('stopped');
    const stopped = await scans.findById(scan.id);
    expect(stopped).toMatchObject({ status: 'running', phase: 'hippo' });

    components.onPage = () => undefined;
    const cappellaPages = components.pagesServed.cappella;
    expect(await scanner('scanner#2').runActive(new AbortController().signal)).toBe('completed');
    // The Cappella side was not read again.
    expect(components.pagesServed.cappella).toBe(cappellaPages);
    const done = await scans.findById(scan.id);
    expect(done).toMatchObject({
      status: 'completed',
      holder: 'scanner#2',
      counts: { missing_entity: 1, dangling_reference: 1, orphan_provenance: 1 },
    });
    expect(summary(await findingsOf(scan.id))).toEqual(EXPECTED);
  });

  it('waits out a component outage as paused, then finishes', async () => {
    const subject = scanner();
    const scan = await subject.request({ trigger: 'manual' });
    components.outages.push(
      new ComponentUnavailableError('hippo', 'HTTP 503 after 3 attempts'),
      new ComponentUnavailableError('hippo', 'HTTP 503 after 3 attempts'),
    );
    expect(await subject.runActive(new AbortController().signal)).toBe('completed');
    const done = await scans.findById(scan.id);
    expect(done?.status).toBe('completed');
    expect(done?.errors.map((e) => e.message)).toEqual([
      'waiting for an outage to end: hippo: HTTP 503 after 3 attempts',
      'waiting for an outage to end: hippo: HTTP 503 after 3 attempts',
    ]);
    expect(summary(await findingsOf(scan.id))).toEqual(EXPECTED);
  });

  it('fails an outage that outlasts its tolerance visibly, keeps the checkpoint, and resumes later', async () => {
    let clock = Date.now();
    const impatient = new Scanner({
      ...scannerDeps(),
      settings: { ...SETTINGS, outageToleranceMs: 5_000 },
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
    });
    const scan = await impatient.request({ trigger: 'manual' });
    components.onPage = () => {
      if (components.hippoRequests > 0) {
        components.outages.push(
          ...Array.from({ length: 10 }, () => new ComponentUnavailableError('hippo', 'down')),
        );
        components.onPage = () => undefined;
      }
    };
    expect(await impatient.runActive(new AbortController().signal)).toBe('failed');
    const failed = await scans.findById(scan.id);
    expect(failed).toMatchObject({ status: 'failed', phase: 'hippo' });
    expect(failed?.lastError).toMatch(/gave up after \d+ ms of outage: hippo: down/);

    components.outages.length = 0;
    expect((await impatient.scheduledTick())?.id).toBe(scan.id);
    expect(await impatient.runActive(new AbortController().signal)).toBe('completed');
    expect(summary(await findingsOf(scan.id))).toEqual(EXPECTED);
  });

  it('commits pages together, and a scan that fails re-reads at most those not committed', async () => {
    for (let i = 0; i < 20; i += 1) {
      components.run(`clean-${i}`, [`clean-out-${i}`]);
      components.entity(`clean-out-${i}`, `clean-${i}`);
    }
    components.pageSize = 1;
    const subject = scanner();
    const scan = await subject.request({ trigger: 'manual' });
    components.onPage = () => {
      if (components.pagesServed.cappella === 15) throw new Error('Cappella answered nonsense');
    };
    expect(await subject.runActive(new AbortController().signal)).toBe('failed');
    const failed = await scans.findById(scan.id);
    // 14 pages were read and judged, some of them not committed yet: the successor re-reads
    // fewer than eight.
    expect(failed?.pages.cappella).toBeGreaterThanOrEqual(14 - 7);
    expect(failed?.pages.cappella).toBeLessThan(14);

    components.onPage = () => undefined;
    expect((await subject.scheduledTick())?.id).toBe(scan.id);
    expect(await subject.runActive(new AbortController().signal)).toBe('completed');
    expect(summary(await findingsOf(scan.id))).toEqual(EXPECTED);
    // Pages count once each: those lost with the failure were not counted.
    expect(await scans.findById(scan.id)).toMatchObject({ pages: { cappella: 24 } });
  });

  it("asks which runs are known once per commit of Hippo's pages, not once per page", async () => {
    for (let i = 0; i < 20; i += 1) {
      components.run(`clean-${i}`, [`clean-out-${i}`]);
      components.entity(`clean-out-${i}`, `clean-${i}`);
    }
    components.pageSize = 1;
    const knownRuns = new KnownRunIds(dataSource);
    const asked: number[] = [];
    const known = knownRuns.known.bind(knownRuns);
    knownRuns.known = (runIds) => {
      asked.push(runIds.length);
      return known(runIds);
    };
    const subject = new Scanner({
      ...scannerDeps(),
      knownRuns,
      sleep: () => Promise.resolve(),
    });
    const scan = await subject.request({ trigger: 'manual' });
    expect(await subject.runActive(new AbortController().signal)).toBe('completed');
    expect(summary(await findingsOf(scan.id))).toEqual(EXPECTED);
    const hippoPages = (await scans.findById(scan.id))?.pages.hippo ?? 0;
    expect(hippoPages).toBeGreaterThan(20);
    expect(asked).toHaveLength(Math.ceil(hippoPages / 8));
  });

  it('allows one active scan: a second request is refused while the first runs', async () => {
    const subject = scanner();
    const first = await subject.request({ trigger: 'manual' });
    await expect(subject.request({ trigger: 'manual' })).rejects.toEqual(
      new ScanInProgressError(first.id),
    );
    expect(await subject.scheduledTick()).toBeNull();
  });

  it('lets one scanner work at a time: a second one finds the lock busy', async () => {
    const one = scanner('scanner#1');
    const two = scanner('scanner#2');
    await one.request({ trigger: 'manual' });
    let second: string | undefined;
    components.onPage = () => {
      if (second === undefined) {
        second = 'pending';
        void two.runActive(new AbortController().signal).then((outcome) => (second = outcome));
      }
    };
    expect(await one.runActive(new AbortController().signal)).toBe('completed');
    expect(second).toBe('busy');
  });

  describe('with range digests', () => {
    const DIGESTS_FIND = EXPECTED.filter(([type]) => type !== 'dangling_reference');

    beforeEach(() => {
      components.offerDigests();
      // Enough healthy history around the discrepancies that agreeing ranges are the rule.
      for (let i = 0; i < 200; i += 1) {
        components.run(`h${i}`, [`h${i}-x`, `h${i}-y`]);
        components.entity(`h${i}-x`, `h${i}`);
        components.entity(`h${i}-y`, `h${i}`);
      }
    });

    it('lists first (the reference pass), then compares digests, reading only what differs', async () => {
      const subject = scanner();
      const first = await subject.request({ trigger: 'manual', mode: 'full' });
      await subject.runActive(new AbortController().signal);
      expect(await scans.findById(first.id)).toMatchObject({
        method: 'listing',
        status: 'completed',
      });
      const cursors = await new ScanCursorStore(dataSource).load();
      await log.resolveMany(
        (await findingsOf(first.id)).map((f) => f.id),
        'test',
      );
      components.pagesServed.cappella = 0;
      components.pagesServed.hippo = 0;

      const second = await subject.request({ trigger: 'manual', mode: 'full' });
      expect(await subject.runActive(new AbortController().signal)).toBe('completed');
      const scan = await scans.findById(second.id);
      expect(scan).toMatchObject({ method: 'digest', status: 'completed', phase: 'done' });
      expect(summary(await findingsOf(second.id))).toEqual(DIGESTS_FIND);
      // No listing page in change order, a few small range listings, the cursors untouched.
      expect(components.pagesServed).toEqual({ cappella: 0, hippo: 0, canon: 0 });
      expect(scan!.items.cappella + scan!.items.hippo).toBeLessThan(40);
      expect(await new ScanCursorStore(dataSource).load()).toEqual(cursors);
    });

    it('compares digests when asked, and lists when the components do not offer them', async () => {
      const subject = scanner();
      const asked = await subject.request({ trigger: 'manual', mode: 'full', method: 'digest' });
      await subject.runActive(new AbortController().signal);
      expect(await scans.findById(asked.id)).toMatchObject({ method: 'digest', phase: 'done' });
      expect(summary(await findingsOf(asked.id))).toEqual(DIGESTS_FIND);

      components.digests = null;
      await dataSource.query(`TRUNCATE scan_findings, scans, sync_events CASCADE`);
      const fallback = await subject.request({ trigger: 'manual', mode: 'full', method: 'digest' });
      await subject.runActive(new AbortController().signal);
      expect(await scans.findById(fallback.id)).toMatchObject({ method: 'listing', phase: 'done' });
      expect(summary(await findingsOf(fallback.id))).toEqual(EXPECTED);
    });

    it("judges data that changed between the two sides' answers by how it is when judged", async () => {
      const subject = scanner();
      const scan = await subject.request({ trigger: 'manual', mode: 'full', method: 'digest' });
      components.onDigest = (calls) => {
        if (calls.digests !== 2) return;
        // Between Cappella's digest and Hippo's: a run completes whose outputs are still in
        // flight to Hippo (too recent to judge), and Hippo loses an old run's output.
        components.runs.push({
          run_id: 'r-new',
          pipeline_id: 'align',
          status: 'COMPLETED',
          inputs: {},
          outputs: [key('n1'), key('n2')],
          updated_at: new Date().toISOString(),
        });
        const lost = components.entities.findIndex((e) => e.external_id === 'h7-y');
        components.entities.splice(lost, 1);
      };
      expect(await subject.runActive(new AbortController().signal)).toBe('completed');
      expect(summary(await findingsOf(scan.id))).toEqual([
        ['missing_entity', 'h7', ['h7-y']],
        ...DIGESTS_FIND,
      ]);
    });

    it('resumes a digest scan stopped mid-way from the ranges it had left, with the same findings', async () => {
      const first = scanner('scanner#1');
      const scan = await first.request({ trigger: 'manual', mode: 'full', method: 'digest' });
      const stop = new AbortController();
      components.onDigest = (calls) => {
        if (calls.digests === 2) stop.abort();
      };
      expect(await first.runActive(stop.signal)).toBe('stopped');
      const stopped = await scans.findById(scan.id);
      expect(stopped).toMatchObject({ status: 'running', phase: 'digest' });
      expect(stopped?.checkpoint?.digest?.pending.length).toBeGreaterThan(0);

      components.onDigest = () => undefined;
      expect(await scanner('scanner#2').runActive(new AbortController().signal)).toBe('completed');
      expect(await scans.findById(scan.id)).toMatchObject({
        status: 'completed',
        holder: 'scanner#2',
      });
      expect(summary(await findingsOf(scan.id))).toEqual(DIGESTS_FIND);
    });
  });

  describe("with Canon's artifact listing", () => {
    beforeEach(() => {
      components.offerCanonListing();
      components.artifact('art-a1', 'a1'); // a1 is held and offered: not stale
      components.artifact('art-gone-1', 'gone'); // Hippo never had (or deleted) "gone"
      components.artifact('art-gone-2', 'gone');
      components.artifact('art-x1', 'x1'); // x1 is unavailable
      components.entity('x1', 'r1', false);
      components.artifact('art-b2', 'b2'); // b2 never reached Hippo either
    });

    const staleOf = (findings: SyncEvent[]) =>
      findings
        .flatMap((f) =>
          f.eventType === 'bridge.sync.stale_cache'
            ? [[f.sourceId, f.details.change, f.details.artifact_ids] as const]
            : [],
        )
        .sort((a, b) => a[2][0].localeCompare(b[2][0]));

    it('reads Canon last in a full scan and records each stale artifact once, announced', async () => {
      const subject = scanner();
      const requested = await subject.request({ trigger: 'manual', mode: 'full' });
      expect(await subject.runActive(new AbortController().signal)).toBe('completed');
      const scan = await scans.findById(requested.id);
      expect(scan).toMatchObject({
        status: 'completed',
        counts: { stale_cache: 4 },
        pages: { canon: 3 },
        items: { canon: 5 },
        requests: { canon: 3 },
      });
      // The two artifacts of "gone" were listed on two pages: a finding each.
      expect(staleOf(await findingsOf(requested.id))).toEqual([
        ['sample:b2', 'DELETED', ['art-b2']],
        ['sample:gone', 'DELETED', ['art-gone-1']],
        ['sample:gone', 'DELETED', ['art-gone-2']],
        ['sample:x1', 'UNAVAILABLE', ['art-x1']],
      ]);
      const announced = publisher.on(Topics.BridgeSyncStaleCache);
      expect(announced.flatMap((e) => e.artifact_ids).sort()).toEqual([
        'art-b2',
        'art-gone-1',
        'art-gone-2',
        'art-x1',
      ]);
      expect(announced.every((e) => e.eviction_mode === 'next_sweep')).toBe(true);
    });

    it('leaves out artifacts an open finding already names, and reports the rest', async () => {
      await log.record(
        sampleStaleCacheFinding({
          artifactIds: ['art-gone-1', 'art-x1'],
          entities: [key('gone'), key('x1')],
        }),
      );
      const subject = scanner();
      const requested = await subject.request({ trigger: 'manual', mode: 'full' });
      await subject.runActive(new AbortController().signal);
      expect(staleOf(await findingsOf(requested.id))).toEqual([
        ['sample:b2', 'DELETED', ['art-b2']],
        ['sample:gone', 'DELETED', ['art-gone-2']],
      ]);
      // A second full scan finds them all named by open findings: nothing new.
      const again = await subject.request({ trigger: 'manual', mode: 'full' });
      await subject.runActive(new AbortController().signal);
      expect(staleOf(await findingsOf(again.id))).toEqual([]);
    });

    it('does not read Canon in an incremental scan', async () => {
      const subject = scanner();
      await subject.request({ trigger: 'manual', mode: 'full' });
      await subject.runActive(new AbortController().signal);
      const served = components.pagesServed.canon;
      const again = await subject.request({ trigger: 'manual', mode: 'incremental' });
      await subject.runActive(new AbortController().signal);
      expect(components.pagesServed.canon).toBe(served);
      expect(await scans.findById(again.id)).toMatchObject({ pages: { canon: 0 } });
    });

    it('reads Canon after a digest scan too', async () => {
      components.offerDigests();
      const subject = scanner();
      const requested = await subject.request({
        trigger: 'manual',
        mode: 'full',
        method: 'digest',
      });
      await subject.runActive(new AbortController().signal);
      expect(await scans.findById(requested.id)).toMatchObject({
        method: 'digest',
        counts: { stale_cache: 4 },
      });
    });

    it('resumes in Canon from its checkpoint after a stop, recording nothing twice', async () => {
      const first = scanner('scanner#1');
      const scan = await first.request({ trigger: 'manual', mode: 'full' });
      const stop = new AbortController();
      components.onPage = () => {
        if (components.pagesServed.canon === 2) stop.abort();
      };
      expect(await first.runActive(stop.signal)).toBe('stopped');
      expect(await scans.findById(scan.id)).toMatchObject({ phase: 'canon' });
      components.onPage = () => undefined;
      expect(await scanner('scanner#2').runActive(new AbortController().signal)).toBe('completed');
      expect(staleOf(await findingsOf(scan.id))).toHaveLength(4);
      expect(await scans.findById(scan.id)).toMatchObject({ counts: { stale_cache: 4 } });
    });
  });

  function scannerDeps() {
    return {
      components,
      transactions: new StoreTransactions(dataSource),
      scans,
      cursors: new ScanCursorStore(dataSource),
      knownRuns: new KnownRunIds(dataSource),
      lock: new ScanLock(dataSource),
      log,
      findings: new FindingPublisher(publisher),
      settings: SETTINGS,
      strategies: DEFAULT_STRATEGIES,
      holder: 'scanner#1',
    };
  }
});
