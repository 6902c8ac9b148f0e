/**
 * The loop behind every background job of a service (the repair worker, the scanner's poll for
 * an active scan, the finding re-checks, the outbox relay, store maintenance, status reports):
 * pass after pass while passes find work, and a pause of `idleMs` after a pass that found none,
 * so the loop neither spins nor sleeps through work. A periodic job whose passes always answer
 * false runs once per `idleMs`. `nudge` (new work
 * arrived) ends the pause at once, or, when it comes during a pass, skips the pause after it.
 * A failed pass (the database or a component down) is logged and tried again after the pause.
 * `stop` ends the pause, signals the pass in progress through its `AbortSignal` and waits for
 * it, so no step is left half-recorded.
 */
import type { LoggerService } from '@nestjs/common';
import { errorMessage } from '@bridge/errors';
import { IdlePause } from './idle-pause';

export interface WorkLoopOptions {
  /** What a pass is, for the log ("repair pass", "scan poll"). */
  name: string;
  /** The pause after a pass that found nothing to do (or failed), in milliseconds. */
  idleMs: number;
  /**
   * A pause before the first pass (default none): processes started together then do not all
   * run a job that only one of them can do at a time at the same moment.
   */
  startAfterMs?: number;
  /** One pass; resolves true when it found work, so the next pass follows at once. */
  pass: (signal: AbortSignal) => Promise<boolean>;
  logger: Pick<LoggerService, 'warn'>;
}

export class WorkLoop {
  private readonly stopping = new AbortController();
  private readonly idle = new IdlePause();
  /** Set when work arrived during a pass, so the loop does not pause after it. */
  private nudged = false;
  private running?: Promise<void>;
  private completed = 0;
  private readonly waiters: Array<{ at: number; resolve: () => void }> = [];
  private readonly pauseWaiters: Array<() => void> = [];

  constructor(private readonly options: WorkLoopOptions) {}

  /**
   * Resolves once at least `count` passes begun after this call have ended (a pass under way
   * now does not count): what a test waits for to say that nothing more happens, instead of
   * sleeping for a guessed time.
   */
  afterPasses(count: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ at: this.completed + count + 1, resolve });
    });
  }

  /**
   * Resolves when the loop next begins its idle pause, after a pass that found nothing: the
   * state in which a test can say the loop has stopped passing, without guessing a time.
   */
  whenPaused(): Promise<void> {
    return new Promise((resolve) => this.pauseWaiters.push(resolve));
  }

  /** Starts the loop (once; later calls do nothing). */
  start(): void {
    this.running ??= this.run();
  }

  /** New work arrived: pass now instead of after the pause. */
  nudge(): void {
    this.nudged = true;
    this.idle.cutShort();
  }

  /** Ends the loop: no pass starts after this, and the one in progress is waited for. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.idle.cutShort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    if ((this.options.startAfterMs ?? 0) > 0) await this.idle.wait(this.options.startAfterMs ?? 0);
    while (!signal.aborted) {
      this.nudged = false;
      let foundWork = false;
      try {
        foundWork = await this.options.pass(signal);
      } catch (error) {
        this.options.logger.warn(
          `${this.options.name} failed, trying again shortly: ${errorMessage(error)}`,
        );
      }
      this.completed += 1;
      for (const waiter of this.waiters.filter((w) => w.at <= this.completed)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      if (!foundWork && !this.nudged && !signal.aborted) {
        const pausing = this.idle.wait(this.options.idleMs);
        for (const resolve of this.pauseWaiters.splice(0)) resolve();
        await pausing;
      }
    }
  }
}
