/**
 * Carries out one scan, page by page: the scanner's I/O around the pure rules of
 * `scan-decisions.ts`.
 *
 * 1. Cappella's run history, from the scan's cursor: each page's judgeable runs have their
 *    input references looked up in Hippo in bulk (dangling references), and every listed run
 *    id joins the known runs (a full scan then forgets the runs it did not list: Cappella
 *    deleted them). An incremental scan looks the outputs up too (missing entities); a full
 *    scan records instead what Hippo should hold of each run (its output tally).
 * 2. Hippo's entities, from the scan's cursor: provenance is checked against the known runs
 *    (only unknown ids are asked of Cappella, one by one). A full scan adds each available
 *    entity to its run's tally; an incremental one checks entities listed unavailable against
 *    the runs that produced them.
 * 3. A full scan by listing then judges, from the runs and their outputs as they are then,
 *    only the runs whose two tallies differ (`outputs`, see `output-tally.ts`).
 *
 * A digest scan (a full scan whose components both offer range digests) has one phase instead:
 * `digestStep` compares slot ranges, lists only those whose digests differ, and judges what they
 * call into question by the same rules; its checkpoint is the list of ranges still to compare.
 *
 * 4. Canon's artifacts, last, in a full scan of either method whose Canon lists them: each
 *    page's entities are looked up in Hippo, and the artifacts of those it does not have or
 *    offer are stale caches, recorded unless an open finding already names them.
 *
 * Each listing is read four pages ahead (`ReadAheadListing`), each page fetched and prepared
 * while those before it commit. Memory stays flat whatever the history: a commit's pages and
 * four more of a listing are held at a time, and the set the two sides share (the run ids)
 * lives in the database. Pages of one phase commit together, up to `PAGES_PER_COMMIT`, in one
 * transaction that records their findings, links them to the scan and moves the checkpoint. A
 * scan resumed after its scanner was killed re-reads at most the pages not committed yet and
 * records nothing twice (after a database crash, also those that found nothing and committed
 * without waiting for the disk). An unreachable component or database pauses the scan
 * (visible as `paused` with the reason) and the page is tried again with backoff, up to
 * `outageToleranceMs`; then the scan fails, its checkpoint kept for `Scanner.resume`.
 */
import { Logger } from '@nestjs/common';
import type { ScanConfig } from '@bridge/config';
import type {
  Artifact,
  CanonClient,
  CappellaClient,
  CappellaRun,
  EntityPresence,
  HippoClient,
  HippoEntity,
} from '@bridge/components';
import {
  entityKeyId,
  MAX_DIGEST_BUCKETS,
  type MismatchType,
  type RepairStrategy,
} from '@bridge/contracts';
import {
  ComponentRequestError,
  ComponentUnavailableError,
  errorMessage,
  isInfrastructureOutage,
} from '@bridge/errors';
import type { FindingPublisher } from '@bridge/checks';
import {
  openSubjectKey,
  type KnownRunIds,
  type ListedComponent,
  type ListingCheckpoint,
  type PerComponent,
  type RunTally,
  type Scan,
  type ScanCheckpoint,
  type ScanPhase,
  type ScanStore,
  type StoreTransactions,
  type SyncEvent,
  type SyncEventLog,
} from '@bridge/store';
import { ReadAheadListing } from './read-ahead-listing';
import { digestStep, type DigestScanComponents, type DigestStepSettings } from './digest-step';
import { entityTallies, TALLY_MODULUS } from './output-tally';
import {
  artifactEntities,
  checkpointAfterPage,
  countByType,
  expectedOutputTallies,
  isTooRecent,
  keysToLookUp,
  orphanDiscrepancies,
  phaseAfter,
  provenanceRunIds,
  runDiscrepancies,
  scanFindingFor,
  staleCacheDiscrepancies,
  subjectOf,
  talliesOutputs,
  unavailableByRun,
  unavailableOutputsOf,
  unreportedStaleCache,
  type RunDiscrepancy,
  type ScanDiscrepancy,
} from './scan-decisions';

/** The component calls a scan makes (`ComponentClients` has them; tests may give others). */
export interface ScanComponents {
  cappella: Pick<CappellaClient, 'listRuns' | 'getRun' | 'stats'>;
  hippo: Pick<HippoClient, 'listEntities' | 'lookup' | 'stats'>;
  /** The range-digest calls, when both components' manifests offer them; else null. */
  digests: DigestScanComponents | null;
  /** Canon's artifact listing, when its manifest offers one; else null (a scan skips Canon). */
  canon: Pick<CanonClient, 'listArtifacts' | 'stats'> | null;
}

/**
 * How a digest scan cuts and lists. Each compared range is cut into as many buckets as a
 * request may ask for; a differing bucket is listed once it holds at most 200 pairs a side (a
 * listing that small costs about what one more digest request would, and a slot holds about 15
 * pairs per million); 16 ranges are compared at once, within the clients' concurrency.
 */
const DIGEST_STEP: DigestStepSettings = {
  buckets: MAX_DIGEST_BUCKETS,
  listLimit: 200,
  rangesPerStep: 16,
};

export interface ScanRunnerDeps {
  components: ScanComponents;
  transactions: StoreTransactions;
  scans: ScanStore;
  knownRuns: KnownRunIds;
  log: SyncEventLog;
  findings: FindingPublisher;
  settings: ScanConfig;
  strategies: Readonly<Record<MismatchType, RepairStrategy>>;
  /** The scanner carrying the scan out (the scan row's holder). */
  holder: string;
  /** How a digest scan cuts and lists (`DIGEST_STEP` unless given). */
  digestSettings?: DigestStepSettings;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** How a scan run ended: done, failed for good, stopped by shutdown, or taken over. */
export type ScanRunOutcome = 'completed' | 'failed' | 'stopped' | 'lost';

/** The scan row is no longer this scanner's (another took it over): stop, write nothing. */
class ScanTakenOverError extends Error {}

/** What a page's transaction writes. */
interface PageCommit {
  /** The phase after the page: the next listing (or digest step), or done. */
  phase: ScanPhase;
  checkpoint: ScanCheckpoint;
  discrepancies: ScanDiscrepancy[];
  /** Runs the page showed to exist (listed, or fetched to check provenance). */
  listedRunIds: string[];
  pages: PerComponent;
  items: PerComponent;
  /** The last page of a full scan's Cappella side: runs it did not list no longer exist. */
  forgetUnseenRuns?: boolean;
  /** A page of runs in a scan that tallies outputs: what Hippo should hold of its runs. */
  expectedTallies?: RunTally[];
  /** A page of entities in a scan that tallies outputs: what it adds to its runs' tallies. */
  seenTallies?: RunTally[];
}

/** Both listings of a scan run, read ahead with what each page needs prepared. */
interface Listings {
  /** Runs, with the keys Hippo has among their outputs and references. */
  cappella: ReadAheadListing<CappellaRun, Set<string>>;
  /** Entities (a step takes several pages and looks their runs up among the known at once). */
  hippo: ReadAheadListing<HippoEntity, null>;
  /** Artifacts, with what Hippo answers for their entities (by `entityKeyId`); null: none. */
  canon: ReadAheadListing<Artifact, Map<string, EntityPresence>> | null;
}

/**
 * Runs whose output tallies differ judged per step of the `outputs` phase: each is fetched
 * from Cappella and its outputs looked up, within the clients' concurrency.
 */
const DIFFERING_RUNS_PER_STEP = 200;

/**
 * Pages of one phase are committed together, this many at most: a transaction costs about what
 * reading a page does, and one with findings waits for the disk. A crash or database failure
 * costs re-reading at most the pages not committed yet, and findings are announced at most
 * that many pages after they were read.
 */
const PAGES_PER_COMMIT = 8;

/** Where a listing starts when its scan has not read it yet. */
const LISTING_START: ListingCheckpoint = { after: null, resumeAt: null, resumeFixed: false };

/**
 * Pages a listing is read ahead by: the component serves and the scanner prepares the next
 * pages while the database commits the last ones. Four keep the reads going through a commit
 * of `PAGES_PER_COMMIT` pages (two left them waiting a third of the scan); memory holds five
 * pages a listing.
 */
const READ_AHEAD_PAGES = 4;

/** What one page did, committed together. */
interface PageResult {
  phase: ScanPhase;
  checkpoint: ScanCheckpoint;
  created: SyncEvent[];
}

const OUTAGE_FIRST_WAIT_MS = 1_000;
const OUTAGE_MAX_WAIT_MS = 30_000;

export class ScanRunner {
  private readonly logger = new Logger('Scanner');
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** The component requests counted into the scan so far (as `requestCounts` gave them). */
  private requestsCounted: PerComponent = { cappella: 0, hippo: 0, canon: 0 };
  /** The phase being read: a page that stays in it and found nothing may wait to commit. */
  private currentPhase: ScanPhase = 'cappella';
  /** Pages read but not committed yet (merged), and how many. */
  private pending: { commit: PageCommit; pages: number } | null = null;

  constructor(private readonly deps: ScanRunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Runs the scan (taken over by this holder) from its checkpoint until it ends or `stop`. */
  async run(scan: Scan, stop: AbortSignal): Promise<ScanRunOutcome> {
    if (!scan.checkpoint || !scan.graceCutoff) throw new Error(`scan ${scan.id} has not started`);
    let checkpoint = scan.checkpoint;
    let phase = scan.phase;
    this.requestsCounted = this.requestCounts();
    this.pending = null;
    const listings = this.listingsOf(scan.graceCutoff, talliesOutputs(scan));
    try {
      while (phase !== 'done') {
        if (stop.aborted) return await this.stopped(scan);
        const listing = phase;
        this.currentPhase = phase;
        const page = await this.patiently(scan, stop, () =>
          this.readPage(scan, listing, checkpoint, listings, stop),
        );
        if (page === 'stopped') return await this.stopped(scan);
        checkpoint = page.checkpoint;
        phase = page.phase;
        await this.announce(page.created);
      }
      const completed = await this.patiently(scan, stop, () =>
        this.deps.transactions.run(async ({ scans, scanCursors, log }) => {
          // Every open finding older than the scan is looked at again now (the re-check
          // schedule's "at every scan"): those whose discrepancy is gone are closed as healed.
          await log.makeRechecksDue({ createdBefore: scan.startedAt ?? scan.requestedAt });
          // A digest scan read nothing in change order: the cursors stay where listing left them.
          if (scan.method !== 'digest') {
            await scanCursors.save(scan.id, {
              cappella: checkpoint.cappella.resumeAt,
              hippo: checkpoint.hippo.resumeAt,
            });
          }
          if (!(await scans.complete(scan.id, this.deps.holder))) throw new ScanTakenOverError();
        }),
      );
      if (completed === 'stopped') return 'stopped';
      this.logger.log(`scan ${scan.id} (${scan.mode}) completed`);
      return 'completed';
    } catch (error) {
      if (error instanceof ScanTakenOverError) {
        this.logger.warn(`scan ${scan.id} was taken over by another scanner; this one stops`);
        return 'lost';
      }
      const reason = errorMessage(error);
      this.logger.error(`scan ${scan.id} failed: ${reason}`);
      await this.deps.scans.fail(scan.id, this.deps.holder, reason).catch(() => undefined);
      return 'failed';
    }
  }

  /** Stopping: the pages read are committed if they can be, so a successor need not re-read. */
  private async stopped(scan: Scan): Promise<'stopped'> {
    try {
      await this.announce(await this.flush(scan));
    } catch (error) {
      this.logger.warn(
        `scan ${scan.id}: pages read before the stop not saved: ${errorMessage(error)}`,
      );
    }
    return 'stopped';
  }

  /**
   * The listings, read ahead: a page of runs comes with its look-ups in Hippo (outputs only
   * when they are not `tallied`), a page of artifacts with what Hippo answers for their
   * entities. Pages of entities come bare: a step takes as many as commit together and asks
   * which of the runs they name are known in one query.
   */
  private listingsOf(graceCutoff: Date, tallied: boolean): Listings {
    const judging = { outputs: !tallied, references: true };
    const { cappella, hippo, canon } = this.deps.components;
    return {
      canon:
        canon &&
        new ReadAheadListing(
          (after) => canon.listArtifacts(after),
          async (artifacts) => {
            const entities = artifactEntities(artifacts);
            if (entities.length === 0) return new Map();
            const presence = await hippo.lookup(entities);
            return new Map(presence.map((answer) => [entityKeyId(answer), answer]));
          },
          READ_AHEAD_PAGES,
        ),
      cappella: new ReadAheadListing(
        (after) => cappella.listRuns(after),
        (runs) => this.availableKeys(keysToLookUp(runs, graceCutoff, judging)),
        READ_AHEAD_PAGES,
      ),
      hippo: new ReadAheadListing(
        (after) => hippo.listEntities(after),
        () => Promise.resolve(null),
        READ_AHEAD_PAGES,
      ),
    };
  }

  /**
   * Runs `step`, waiting out outages of a component or the database: the scan shows as paused
   * meanwhile, and fails once the outage outlasts `outageToleranceMs`.
   */
  private async patiently<T>(
    scan: Scan,
    stop: AbortSignal,
    step: () => Promise<T>,
  ): Promise<T | 'stopped'> {
    let pausedSince: number | null = null;
    let wait = OUTAGE_FIRST_WAIT_MS;
    for (;;) {
      try {
        const result = await step();
        if (pausedSince !== null) {
          await this.deps.scans.setPaused(scan.id, this.deps.holder, null);
          this.logger.log(`scan ${scan.id} resumed`);
        }
        return result;
      } catch (error) {
        if (!isOutage(error)) throw error;
        pausedSince ??= this.now();
        if (this.now() - pausedSince >= this.deps.settings.outageToleranceMs) {
          throw new Error(
            `gave up after ${this.now() - pausedSince} ms of outage: ${errorMessage(error)}`,
            { cause: error },
          );
        }
        const reason = `waiting for an outage to end: ${errorMessage(error)}`;
        this.logger.warn(`scan ${scan.id} paused, ${reason}`);
        // The database may be the thing that is down: the pause is shown when it can be.
        await this.deps.scans.setPaused(scan.id, this.deps.holder, reason).catch(() => undefined);
        if (stop.aborted) return 'stopped';
        await this.sleep(wait);
        if (stop.aborted) return 'stopped';
        wait = Math.min(wait * 2, OUTAGE_MAX_WAIT_MS);
      }
    }
  }

  private async readPage(
    scan: Scan,
    phase: Exclude<ScanPhase, 'done'>,
    checkpoint: ScanCheckpoint,
    listings: Listings,
    stop: AbortSignal,
  ): Promise<PageResult> {
    if (phase === 'digest') return this.readDigestStep(scan, checkpoint);
    if (phase === 'outputs') return this.judgeDifferingTallies(scan, checkpoint);
    const listing: ListedComponent = phase;
    const fetchedWith = (checkpoint[listing] ?? LISTING_START).after;
    try {
      switch (listing) {
        case 'cappella':
          return await this.readRunsPage(scan, checkpoint, fetchedWith, listings.cappella);
        case 'hippo':
          return await this.readEntityPages(scan, checkpoint, fetchedWith, listings.hippo, stop);
        case 'canon':
          return await this.readArtifactsPage(scan, checkpoint, fetchedWith, listings.canon);
      }
    } catch (error) {
      if (!isRejectedCursor(error, fetchedWith)) throw error;
      // A cursor the component no longer accepts: read that listing from its beginning.
      this.logger.warn(`scan ${scan.id}: ${listing} refused its cursor, reading it from the start`);
      const restarted: ScanCheckpoint = { ...checkpoint, [listing]: LISTING_START };
      await this.commit(scan, {
        phase: listing,
        checkpoint: restarted,
        discrepancies: [],
        listedRunIds: [],
        pages: onListing(listing, 0),
        items: onListing(listing, 0),
      });
      return { phase: listing, checkpoint: restarted, created: [] };
    }
  }

  private async readRunsPage(
    scan: Scan,
    checkpoint: ScanCheckpoint,
    fetchedWith: string | null,
    runs: Listings['cappella'],
  ): Promise<PageResult> {
    const cutoff = scan.graceCutoff ?? new Date(this.now());
    const { page, prepared: available } = await runs.read(fetchedWith);
    const tallied = talliesOutputs(scan);
    const discrepancies = runDiscrepancies(page.items, cutoff, available, {
      outputs: !tallied,
      references: true,
    });
    const heldBack = page.items.some((run) => isTooRecent(run, cutoff));
    const step = checkpointAfterPage(checkpoint.cappella, fetchedWith, page.next_cursor, heldBack);
    const next: ScanCheckpoint = { ...checkpoint, cappella: step.checkpoint };
    const phase: ScanPhase = step.done ? this.phaseAfter('cappella', scan) : 'cappella';
    const created = await this.commit(scan, {
      phase,
      checkpoint: next,
      discrepancies,
      listedRunIds: page.items.map((run) => run.run_id),
      pages: onListing('cappella', 1),
      items: onListing('cappella', page.items.length),
      forgetUnseenRuns: step.done && scan.mode === 'full',
      expectedTallies: tallied ? expectedOutputTallies(page.items, cutoff) : undefined,
    });
    return { phase, checkpoint: next, created };
  }

  /**
   * A step of the Hippo side: up to `PAGES_PER_COMMIT` pages of entities (they commit together
   * anyway), the runs their provenance names looked up among the known runs in one query
   * rather than one per page. The checkpoint moves page by page as a single page's would; a
   * stop ends the step after the page under way.
   */
  private async readEntityPages(
    scan: Scan,
    checkpoint: ScanCheckpoint,
    fetchedWith: string | null,
    entities: Listings['hippo'],
    stop: AbortSignal,
  ): Promise<PageResult> {
    const { cappella } = this.deps.components;
    const cutoff = scan.graceCutoff ?? new Date(this.now());
    const items: HippoEntity[] = [];
    let step = { checkpoint: checkpoint.hippo, done: false };
    let after = fetchedWith;
    let pagesRead = 0;
    const room = PAGES_PER_COMMIT - (this.pending?.pages ?? 0);
    while (pagesRead < room && !step.done && !(pagesRead > 0 && stop.aborted)) {
      const { page } = await entities.read(after);
      pagesRead += 1;
      for (const entity of page.items) items.push(entity);
      step = checkpointAfterPage(step.checkpoint, after, page.next_cursor, false);
      after = step.checkpoint.after;
    }
    const named = provenanceRunIds(items);
    const known = await this.deps.knownRuns.known(named);
    // Runs the known set lacks may be younger than the Cappella side of this scan: ask.
    const asked = await Promise.all(
      named
        .filter((id) => !known.has(id))
        .map(async (id) => [id, await cappella.getRun(id)] as const),
    );
    const fetched = new Map<string, CappellaRun>();
    for (const [id, run] of asked) if (run) fetched.set(id, run);
    const existing = new Set([...known, ...fetched.keys()]);
    const discrepancies = orphanDiscrepancies(items, existing);
    const tallied = talliesOutputs(scan);
    // A scan that tallies outputs judges a run that lost an output by its tally, at the end.
    const unavailable = tallied ? new Map<string, never>() : unavailableByRun(items, existing);
    if (unavailable.size > 0) {
      const runs = await Promise.all(
        [...unavailable.keys()].map(async (id) => fetched.get(id) ?? (await cappella.getRun(id))),
      );
      const available = await this.availableKeys(runs.flatMap((run) => run?.outputs ?? []));
      for (const run of runs) {
        if (!run) continue;
        const lost = unavailableOutputsOf(
          run,
          unavailable.get(run.run_id) ?? [],
          available,
          cutoff,
        );
        if (lost) discrepancies.push(lost);
      }
    }
    const next: ScanCheckpoint = { ...checkpoint, hippo: step.checkpoint };
    const phase: ScanPhase = step.done ? this.phaseAfter('hippo', scan) : 'hippo';
    const created = await this.commit(scan, {
      phase,
      checkpoint: next,
      discrepancies,
      listedRunIds: [...fetched.keys()],
      pages: onListing('hippo', pagesRead),
      items: onListing('hippo', items.length),
      seenTallies: tallied
        ? [...entityTallies(items)].map(([runId, tally]) => ({ runId, ...tally }))
        : undefined,
    });
    return { phase, checkpoint: next, created };
  }

  /**
   * One step of the `outputs` phase: the next runs whose output tallies differ, each fetched
   * from Cappella and its outputs looked up now, judged by the usual rules (a run changed
   * since the grace cutoff, or deleted, is the next scan's). The checkpoint is the last run.
   */
  private async judgeDifferingTallies(scan: Scan, checkpoint: ScanCheckpoint): Promise<PageResult> {
    const cutoff = scan.graceCutoff ?? new Date(this.now());
    const after = checkpoint.outputs?.after ?? null;
    const runIds = await this.deps.knownRuns.differingTallies(
      scan.id,
      after,
      DIFFERING_RUNS_PER_STEP,
    );
    const { cappella } = this.deps.components;
    const runs = (await Promise.all(runIds.map((id) => cappella.getRun(id)))).filter(
      (run): run is CappellaRun => run !== null,
    );
    const offered = await this.availableKeys(
      keysToLookUp(runs, cutoff, { outputs: true, references: false }),
      { offered: true },
    );
    const discrepancies = runDiscrepancies(runs, cutoff, offered, {
      outputs: true,
      references: false,
    });
    const done = runIds.length < DIFFERING_RUNS_PER_STEP;
    const next: ScanCheckpoint = { ...checkpoint, outputs: { after: runIds.at(-1) ?? after } };
    const phase: ScanPhase = done ? this.phaseAfter('outputs', scan) : 'outputs';
    const created = await this.commit(scan, {
      phase,
      checkpoint: next,
      discrepancies,
      listedRunIds: [],
      pages: onListing('cappella', 0),
      items: onListing('cappella', 0),
    });
    return { phase, checkpoint: next, created };
  }

  private phaseAfter(phase: Exclude<ScanPhase, 'done'>, scan: Scan): ScanPhase {
    return phaseAfter(phase, scan, this.deps.components.canon !== null);
  }

  /**
   * A page of Canon's artifacts: those of entities Hippo no longer has or offers are stale.
   * No grace applies: a deletion whose staleness check is still under way is reported once,
   * by whichever of the two records first (`commit` and the check both hold the stale-cache
   * lock while they look for open findings and record).
   */
  private async readArtifactsPage(
    scan: Scan,
    checkpoint: ScanCheckpoint,
    fetchedWith: string | null,
    artifacts: Listings['canon'],
  ): Promise<PageResult> {
    if (!artifacts) {
      throw new Error(
        "a scan reading Canon needs its artifact listing, which Canon's manifest no longer offers",
      );
    }
    const { page, prepared: presence } = await artifacts.read(fetchedWith);
    const discrepancies = staleCacheDiscrepancies(page.items, presence);
    const step = checkpointAfterPage(
      checkpoint.canon ?? LISTING_START,
      fetchedWith,
      page.next_cursor,
      false,
    );
    const next: ScanCheckpoint = { ...checkpoint, canon: step.checkpoint };
    const phase: ScanPhase = step.done ? this.phaseAfter('canon', scan) : 'canon';
    const created = await this.commit(scan, {
      phase,
      checkpoint: next,
      discrepancies,
      listedRunIds: [],
      pages: onListing('canon', 1),
      items: onListing('canon', page.items.length),
    });
    return { phase, checkpoint: next, created };
  }

  /**
   * One step of a digest scan: the next ranges compared, those that differ listed and judged,
   * and the ranges left saved as the checkpoint. The known runs are left alone: a digest scan
   * sees no run it did not judge.
   */
  private async readDigestStep(scan: Scan, checkpoint: ScanCheckpoint): Promise<PageResult> {
    const { digests } = this.deps.components;
    if (!digests) {
      throw new Error(
        'a digest scan needs range digests, which the component manifests no longer offer',
      );
    }
    const cutoff = scan.graceCutoff ?? new Date(this.now());
    const step = await digestStep(
      digests,
      checkpoint.digest?.pending ?? [],
      this.deps.digestSettings ?? DIGEST_STEP,
      cutoff,
    );
    const next: ScanCheckpoint = { ...checkpoint, digest: { pending: step.pending } };
    const phase: ScanPhase = step.pending.length === 0 ? this.phaseAfter('digest', scan) : 'digest';
    const listings = step.listed.length;
    const created = await this.commit(scan, {
      phase,
      checkpoint: next,
      discrepancies: step.discrepancies,
      listedRunIds: [],
      pages: { cappella: listings, hippo: listings, canon: 0 },
      items: { ...step.pairsRead, canon: 0 },
    });
    return { phase, checkpoint: next, created };
  }

  /**
   * The keys among `keys` that Hippo has (bulk lookup where the manifest allows); with
   * `offered`, only those it also offers (an unavailable output is missing).
   */
  private async availableKeys(
    keys: Parameters<HippoClient['lookup']>[0],
    options: { offered: boolean } = { offered: false },
  ): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const presence = await this.deps.components.hippo.lookup(keys);
    return new Set(
      presence
        .filter((entity) => entity.exists && (!options.offered || entity.available))
        .map(entityKeyId),
    );
  }

  /**
   * One transaction per page: the known runs it listed, its discrepancies that have no open
   * finding yet (for a stale cache: its artifacts that no open finding names), their link to
   * the scan, and the checkpoint with the page's counts. Returns the findings it created.
   */
  private async commit(scan: Scan, page: PageCommit): Promise<SyncEvent[]> {
    const merged = this.pending ? mergeCommits(this.pending.commit, page) : page;
    // A step of several listing pages counts as that many; a step listing none (outputs,
    // digests) as one.
    const listed = page.pages.cappella + page.pages.hippo + page.pages.canon;
    const pages = (this.pending?.pages ?? 0) + Math.max(1, listed);
    const waits =
      !page.forgetUnseenRuns && page.phase === this.currentPhase && pages < PAGES_PER_COMMIT;
    if (waits) {
      this.pending = { commit: merged, pages };
      return [];
    }
    this.pending = null;
    return this.write(scan, merged);
  }

  /** Commits the pages waiting, if any; returns the findings created (none: they found none). */
  private async flush(scan: Scan): Promise<SyncEvent[]> {
    const waiting = this.pending;
    if (!waiting) return [];
    this.pending = null;
    return this.write(scan, waiting.commit);
  }

  private async write(scan: Scan, page: PageCommit): Promise<SyncEvent[]> {
    // Requests since the last page committed, read-ahead ones included: each is counted once,
    // by the first page that commits after it was made.
    const made = this.requestCounts();
    const { discrepancies } = page;
    const created = await this.deps.transactions.run(
      async ({ log, scans, knownRuns }) => {
        if (page.expectedTallies) {
          await knownRuns.expectOutputs(scan.id, page.listedRunIds, page.expectedTallies);
        } else {
          await knownRuns.add(scan.id, page.listedRunIds);
        }
        if (page.seenTallies) await knownRuns.tallyEntities(scan.id, page.seenTallies);
        if (page.forgetUnseenRuns) {
          await knownRuns.forgetUnseen(scan.id);
          // The Hippo side updates these rows page by page: let the planner see how many.
          await knownRuns.refreshStatistics();
        }
        const aboutRuns = discrepancies.filter(
          (d): d is RunDiscrepancy => d.type !== 'stale_cache',
        );
        const open = await log.openSubjects(aboutRuns.map(subjectOf));
        const fresh: ScanDiscrepancy[] = aboutRuns.filter(
          (d) => !open.has(openSubjectKey(subjectOf(d))),
        );
        const stale = discrepancies.filter((d) => d.type === 'stale_cache');
        if (stale.length > 0) {
          await log.lockStaleCaches();
          const named = await log.findOpenStaleCaches(stale.flatMap((d) => d.artifactIds));
          const reported = new Set(named.flatMap((finding) => finding.details.artifact_ids));
          for (const d of stale) {
            const unreported = unreportedStaleCache(d, reported);
            if (unreported) fresh.push(unreported);
          }
        }
        const recorded = await log.recordMany(
          fresh.map((d) => scanFindingFor(d, scan, this.deps.strategies)),
        );
        await scans.linkFindings(
          scan.id,
          recorded.map((r) => r.event.id),
        );
        const created = recorded.filter((r) => r.created).map((r) => r.event);
        const saved = await scans.saveProgress(scan.id, this.deps.holder, {
          phase: page.phase,
          checkpoint: page.checkpoint,
          counts: countByType(
            created.flatMap((event) => (event.mismatchType ? [event.mismatchType] : [])),
          ),
          pages: page.pages,
          items: page.items,
          requests: {
            cappella: made.cappella - this.requestsCounted.cappella,
            hippo: made.hippo - this.requestsCounted.hippo,
            canon: made.canon - this.requestsCounted.canon,
          },
        });
        if (!saved) throw new ScanTakenOverError();
        return created;
      },
      // A page that found nothing is read again if the database loses its commit in a crash:
      // it need not wait for the disk. One with findings does, since they are announced next.
      { waitForDisk: discrepancies.length > 0 },
    );
    this.requestsCounted = made;
    return created;
  }

  /** Publishes what the page's new findings owe; the outbox relay covers a failure here. */
  private async announce(created: SyncEvent[]): Promise<void> {
    if (created.length === 0) return;
    try {
      const sent = await this.deps.findings.publishOwed(created);
      await this.deps.log.markPublished(sent);
    } catch (error) {
      this.logger.warn(
        `${created.length} scan finding(s) not announced yet (the outbox relay will): ${errorMessage(error)}`,
      );
    }
  }

  private requestCounts(): PerComponent {
    const { cappella, hippo, canon } = this.deps.components;
    return {
      cappella: cappella.stats().requests,
      hippo: hippo.stats().requests,
      canon: canon?.stats().requests ?? 0,
    };
  }
}

/** Two consecutive pages' commits as one: the later page's phase and checkpoint, both's rest. */
function mergeCommits(earlier: PageCommit, later: PageCommit): PageCommit {
  const add = (a: PerComponent, b: PerComponent): PerComponent => ({
    cappella: a.cappella + b.cappella,
    hippo: a.hippo + b.hippo,
    canon: a.canon + b.canon,
  });
  return {
    phase: later.phase,
    checkpoint: later.checkpoint,
    discrepancies: [...earlier.discrepancies, ...later.discrepancies],
    listedRunIds: [...earlier.listedRunIds, ...later.listedRunIds],
    pages: add(earlier.pages, later.pages),
    items: add(earlier.items, later.items),
    forgetUnseenRuns: earlier.forgetUnseenRuns === true || later.forgetUnseenRuns === true,
    expectedTallies:
      earlier.expectedTallies || later.expectedTallies
        ? [...(earlier.expectedTallies ?? []), ...(later.expectedTallies ?? [])]
        : undefined,
    seenTallies:
      earlier.seenTallies || later.seenTallies
        ? sumTallies([...(earlier.seenTallies ?? []), ...(later.seenTallies ?? [])])
        : undefined,
  };
}

/** Tallies of the same run added together (one row per run, as an UPDATE needs). */
function sumTallies(tallies: readonly RunTally[]): RunTally[] {
  const byRun = new Map<string, RunTally>();
  for (const tally of tallies) {
    const seen = byRun.get(tally.runId);
    if (seen) {
      seen.count += tally.count;
      seen.sum = (seen.sum + tally.sum) % TALLY_MODULUS;
    } else {
      byRun.set(tally.runId, { ...tally });
    }
  }
  return [...byRun.values()];
}

function onListing(listing: ListedComponent, value: number): PerComponent {
  return { cappella: 0, hippo: 0, canon: 0, [listing]: value };
}

/** A component or the database is down: worth waiting for, not a reason to fail the scan. */
function isOutage(error: unknown): boolean {
  return error instanceof ComponentUnavailableError || isInfrastructureOutage(error);
}

/** A listing refused the cursor the scan resumed with (a component answers 400 to a bad one). */
function isRejectedCursor(error: unknown, cursor: string | null): boolean {
  return cursor !== null && error instanceof ComponentRequestError && error.status === 400;
}
