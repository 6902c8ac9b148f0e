/**
 * A steady, realistic stream for the demo (`npm start`) and soak runs: every second a few
 * completed runs, most of them clean, and now and then what goes wrong on a real platform.
 *
 * - a few percent of runs lose an output in Hippo (a `missing_entity` to find);
 * - some runs' outputs lag in Hippo for less than Bridge's grace delay (must stay ok), a few
 *   for longer (reported, then healed when Bridge looks again; on a pipeline that is not
 *   idempotent its repair waits for approval, and ends unneeded once the finding healed);
 * - a failed run with a partial batch every so often (`partial_output`);
 * - Hippo deletions that leave Canon artifacts behind (`stale_cache`);
 * - short Hippo and Cappella outages (retries and delayed re-checks at work).
 *
 * `planDemoTick` decides a tick from a seeded random stream (pure, unit-tested); `DemoTraffic`
 * carries the plan out through the `ComponentSimulator`, so the ground truth records it all.
 */
import { Logger } from '@nestjs/common';
import type { ComponentName } from '@bridge/config';
import { errorMessage } from '@bridge/errors';
import type { Random } from '../faults/seeded-random';
import type { ComponentSimulator } from './component-simulator';

export interface DemoSettings {
  /** Completed runs per second. */
  ratePerSecond: number;
  /** Lag of the slowest outputs; choose it beyond Bridge's grace delay to see late findings. */
  longLagMs: number;
}

export type DemoAction =
  | { kind: 'run'; missing: number; lagMs: number; idempotent: boolean }
  | { kind: 'failed_run'; outputs: number; written: number }
  | { kind: 'deletion'; count: number; leaveArtifactsFor: number }
  | { kind: 'outage'; component: ComponentName; durationMs: number };

const TICK_MS = 1_000;
const OUTPUTS_PER_RUN = 3;
const MISSING_RATE = 0.03;
const SHORT_LAG_RATE = 0.15;
const LONG_LAG_RATE = 0.02;
/** Per tick: a failed run about every 10 s, a deletion every 15 s, an outage every 90 s. */
const FAILED_RUN_RATE = 0.1;
const DELETION_RATE = 1 / 15;
const OUTAGE_RATE = 1 / 90;
/**
 * Runs that lose or delay an output on a pipeline Cappella does not call idempotent (repairs
 * wait for approval).
 */
const NON_IDEMPOTENT_SHARE = 0.25;

/** What one second of demo traffic consists of. */
export function planDemoTick(random: Random, settings: DemoSettings): DemoAction[] {
  const actions: DemoAction[] = [];
  for (let i = 0; i < settings.ratePerSecond; i += 1) {
    const draw = random();
    if (draw < MISSING_RATE) {
      const idempotent = random() >= NON_IDEMPOTENT_SHARE;
      actions.push({ kind: 'run', missing: 1, lagMs: 0, idempotent });
    } else if (draw < MISSING_RATE + LONG_LAG_RATE) {
      const idempotent = random() >= NON_IDEMPOTENT_SHARE;
      actions.push({ kind: 'run', missing: 0, lagMs: settings.longLagMs, idempotent });
    } else if (draw < MISSING_RATE + LONG_LAG_RATE + SHORT_LAG_RATE) {
      const lagMs = 500 + Math.floor(random() * 2_000);
      actions.push({ kind: 'run', missing: 0, lagMs, idempotent: true });
    } else actions.push({ kind: 'run', missing: 0, lagMs: 0, idempotent: true });
  }
  if (random() < FAILED_RUN_RATE) {
    actions.push({ kind: 'failed_run', outputs: OUTPUTS_PER_RUN, written: 1 });
  }
  if (random() < DELETION_RATE) {
    actions.push({ kind: 'deletion', count: 2, leaveArtifactsFor: random() < 0.5 ? 1 : 0 });
  }
  if (random() < OUTAGE_RATE) {
    actions.push({
      kind: 'outage',
      component: random() < 0.7 ? 'hippo' : 'cappella',
      durationMs: 2_000 + Math.floor(random() * 3_000),
    });
  }
  return actions;
}

export class DemoTraffic {
  private readonly logger = new Logger('DemoTraffic');
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  constructor(
    private readonly sim: ComponentSimulator,
    private readonly random: Random,
    private readonly settings: DemoSettings,
  ) {}

  start(): void {
    if (this.timer || this.settings.ratePerSecond <= 0) return;
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, TICK_MS);
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    this.logger.log('demo traffic stopped');
  }

  private async tick(): Promise<void> {
    for (const action of planDemoTick(this.random, this.settings)) {
      try {
        await this.perform(action);
      } catch (error) {
        // Nothing to delete yet, or the transport refused: the next tick tries again.
        this.logger.debug(`demo ${action.kind} skipped: ${errorMessage(error)}`);
      }
    }
  }

  private async perform(action: DemoAction): Promise<void> {
    switch (action.kind) {
      case 'run':
        await this.sim.completeRun({
          outputs: OUTPUTS_PER_RUN,
          missing: action.missing,
          lagMs: action.lagMs,
          idempotent: action.idempotent,
        });
        return;
      case 'failed_run':
        await this.sim.failRun({ outputs: action.outputs, written: action.written });
        return;
      case 'deletion':
        await this.sim.deleteEntities({
          count: action.count,
          leaveArtifactsFor: action.leaveArtifactsFor,
        });
        return;
      case 'outage':
        this.sim.setFaults(action.component, {
          outage: { status: 503, untilMs: Date.now() + action.durationMs },
        });
        return;
    }
  }
}
