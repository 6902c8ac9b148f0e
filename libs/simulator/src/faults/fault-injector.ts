/**
 * The live fault state of the running simulator: the seeded `FaultPlan` plus the requests it is
 * currently holding to simulate timeouts.
 *
 * Held requests are tracked so that clearing the faults, resetting the simulator or shutting
 * the process down answers them at once (504) instead of leaving sockets open for `hangMs`:
 * otherwise closing the HTTP server would wait for them.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ComponentName } from '@bridge/config';
import { SIM_SETTINGS, type SimSettings } from '../sim-config';
import { FaultPlan, type ComponentFaults, type FaultDecision } from './fault-plan';

@Injectable()
export class FaultInjector implements OnModuleDestroy {
  private plan: FaultPlan;
  private readonly held = new Set<() => void>();

  constructor(@Inject(SIM_SETTINGS) private readonly settings: SimSettings) {
    this.plan = new FaultPlan(settings.seed, settings.hangMs);
    for (const [component, faults] of Object.entries(settings.initialFaults)) {
      if (faults) this.plan.set(component as ComponentName, faults);
    }
  }

  decide(component: ComponentName): FaultDecision {
    return this.plan.decide(component, Date.now());
  }

  set(component: ComponentName, faults: ComponentFaults): void {
    this.plan.set(component, faults);
  }

  /** Clears the faults (all, or one component's) and answers every held request now. */
  clear(component?: ComponentName): void {
    this.plan.clear(component);
    this.releaseHeld();
  }

  /** Back to no faults and a fresh PRNG stream (the initial faults are not restored). */
  reset(): void {
    this.plan = new FaultPlan(this.settings.seed, this.settings.hangMs);
    this.releaseHeld();
  }

  snapshot(): ReturnType<FaultPlan['snapshot']> {
    return this.plan.snapshot();
  }

  lagMs(): number {
    return this.plan.lagMs('hippo');
  }

  /**
   * Calls `release` after `holdMs`, or earlier when the faults are cleared or the app stops.
   * Returns a cancel function for when the client gave up first.
   */
  hold(holdMs: number, release: () => void): () => void {
    const finish = () => {
      clearTimeout(timer);
      if (this.held.delete(finish)) release();
    };
    const timer = setTimeout(finish, holdMs);
    this.held.add(finish);
    return () => {
      clearTimeout(timer);
      this.held.delete(finish);
    };
  }

  get heldCount(): number {
    return this.held.size;
  }

  onModuleDestroy(): void {
    this.releaseHeld();
  }

  private releaseHeld(): void {
    for (const finish of [...this.held]) finish();
  }
}
