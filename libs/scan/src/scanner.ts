/**
 * The scanner's operations: ask for a scan (the schedule, an operator, the API), carry out the
 * active one if this instance wins the scan lock, and resume a failed one.
 *
 * Asking and carrying out are apart on purpose. A request is a `requested` row, so any process
 * can make one (the API answers 202 with its id, 409 while another is active), and exactly one
 * scanner, the holder of the scan lock, carries it out. The same path takes over a scan whose
 * scanner died: the lock died with it, the row is still `running`, and the next lock holder
 * continues from its checkpoint.
 */
import { Logger } from '@nestjs/common';
import type { ScanConfig } from '@bridge/config';
import { NotFoundError, ScanInProgressError, StateConflictError } from '@bridge/errors';
import type {
  Scan,
  ScanCursorStore,
  ScanLock,
  ScanMethod,
  ScanMode,
  ScanTrigger,
} from '@bridge/store';
import { initialCheckpoint, scanMethodFor, scanModeFor } from './scan-decisions';
import { ScanRunner, type ScanRunOutcome, type ScanRunnerDeps } from './scan-runner';

export interface ScannerDeps extends ScanRunnerDeps {
  cursors: ScanCursorStore;
  lock: ScanLock;
  settings: ScanConfig;
}

export interface ScanRequest {
  trigger: ScanTrigger;
  /** Absent: the schedule's choice (a full re-scan when one is due, else incremental). */
  mode?: ScanMode;
  /**
   * Absent: the scanner's choice (digests for a full scan when both components offer them and
   * the reference pass is not due). Asked for, `digest` falls back to listing where it cannot be.
   */
  method?: ScanMethod;
  requestedBy?: string | null;
}

/** What a call of `runActive` did. */
export type ActiveScanOutcome = ScanRunOutcome | 'none' | 'busy';

export class Scanner {
  private readonly logger = new Logger('Scanner');
  private readonly runner: ScanRunner;
  private readonly now: () => number;

  constructor(private readonly deps: ScannerDeps) {
    this.runner = new ScanRunner(deps);
    this.now = deps.now ?? Date.now;
  }

  /**
   * Asks for a scan and returns it, requested; a scanner picks it up at its next poll (or at
   * once when nudged). Throws a `ScanInProgressError` while another scan is active.
   */
  async request(request: ScanRequest): Promise<Scan> {
    const scan = await this.deps.scans.request({
      trigger: request.trigger,
      mode: request.mode ?? (await this.scheduledMode()),
      method: request.method ?? null,
      requestedBy: request.requestedBy ?? null,
    });
    this.logger.log(`scan ${scan.id} requested (${scan.mode}, ${scan.trigger})`);
    return scan;
  }

  /**
   * What the schedule does at each tick: carry on the last scan if it failed (its checkpoint
   * was kept for this), else ask for a new one. Null while a scan is active.
   */
  async scheduledTick(): Promise<Scan | null> {
    try {
      const latest = await this.deps.scans.latest();
      if (latest?.status === 'failed') return await this.resume(latest.id);
      return await this.request({ trigger: 'schedule' });
    } catch (error) {
      if (error instanceof ScanInProgressError) return null;
      throw error;
    }
  }

  /**
   * Asks for a failed scan to be carried on from its checkpoint. Throws `NotFoundError` for an
   * unknown id, `StateConflictError` when the scan did not fail, `ScanInProgressError` when
   * another scan is active.
   */
  async resume(scanId: string): Promise<Scan> {
    const scan = await this.deps.scans.findById(scanId);
    if (!scan) throw new NotFoundError(`no scan ${scanId}`);
    if (!(await this.deps.scans.resume(scanId))) {
      throw new StateConflictError(`scan ${scanId} is ${scan.status}, not failed`);
    }
    this.logger.log(`scan ${scanId} will resume from its checkpoint`);
    return (await this.deps.scans.findById(scanId)) ?? scan;
  }

  /**
   * Carries out the active scan if this scanner gets the lock: `busy` when another scanner
   * holds it, `none` when no scan is active, else how the scan run ended.
   */
  async runActive(stop: AbortSignal): Promise<ActiveScanOutcome> {
    const outcome = await this.deps.lock.withLock(async (): Promise<ActiveScanOutcome> => {
      const active = await this.deps.scans.active();
      if (!active) return 'none';
      const cursors = await this.deps.cursors.load();
      const hasCursors = cursors.cappella !== undefined && cursors.hippo !== undefined;
      const mode = scanModeFor({
        asked: active.mode,
        hasCursors,
        lastFullScanAt: null,
        now: this.now(),
        fullIntervalMs: this.deps.settings.fullIntervalMs,
      });
      const lastListingFull = await this.deps.scans.latestCompleted('full', 'listing');
      const method = scanMethodFor({
        mode,
        asked: active.method,
        digestsOffered: this.deps.components.digests !== null,
        lastListingFullScanAt: lastListingFull?.finishedAt ?? null,
        now: this.now(),
        listingIntervalMs: this.deps.settings.listingIntervalMs,
      });
      const comparable = await this.deps.scans.latestCompleted(mode, method);
      const scan = await this.deps.scans.takeOver(this.deps.holder, {
        mode,
        method,
        graceCutoff: new Date(this.now() - this.deps.settings.graceDelayMs),
        checkpoint: initialCheckpoint(mode, cursors, method),
        estimatedItems: comparable
          ? comparable.items.cappella + comparable.items.hippo + comparable.items.canon
          : null,
      });
      if (!scan) return 'none';
      this.logger.log(
        active.startedAt !== null
          ? `scan ${scan.id} (${scan.mode}) continues from its checkpoint (${scan.phase})`
          : `scan ${scan.id} (${scan.mode}, by ${scan.method ?? method}) started`,
      );
      return this.runner.run(scan, stop);
    });
    return outcome.ran ? outcome.value : 'busy';
  }

  /** The mode a scheduled scan takes now. */
  private async scheduledMode(): Promise<ScanMode> {
    const [cursors, lastFull] = await Promise.all([
      this.deps.cursors.load(),
      this.deps.scans.latestCompleted('full'),
    ]);
    return scanModeFor({
      asked: null,
      hasCursors: cursors.cappella !== undefined && cursors.hippo !== undefined,
      lastFullScanAt: lastFull?.finishedAt ?? null,
      now: this.now(),
      fullIntervalMs: this.deps.settings.fullIntervalMs,
    });
  }
}
