/**
 * Seeded fault decisions for the simulated components: for each incoming request, whether it is
 * answered normally, late, with an error, throttled, or never within the client's timeout.
 *
 * Pure logic (no timers, no HTTP): `ComponentGateMiddleware` asks `decide()` once per request
 * and carries the decision out. Each component has its own PRNG stream derived from the seed, so
 * the faults Hippo serves do not depend on how many Cappella requests came first, and the same
 * seed and request sequence always give the same decisions.
 */
import { z } from 'zod';
import { COMPONENTS, type ComponentName } from '@bridge/config';
import { deriveSeed, seededRandom, type Random } from './seeded-random';

const rate = z.number().min(0).max(1);
const millis = z.number().int().min(0);

/** What may be wrong with one component; every field is optional and absent means no fault. */
export const ComponentFaultsSchema = z
  .object({
    /** Fraction of requests answered with a 5xx (503 or 500, or `errorStatus` when set). */
    errorRate: rate.optional(),
    errorStatus: z.number().int().min(500).max(599).optional(),
    /** Fraction of requests held for `hangMs` and then answered 504: a client timeout. */
    timeoutRate: rate.optional(),
    hangMs: z.number().int().positive().optional(),
    /** Latency added to every answered request. */
    slowMs: millis.optional(),
    /** Fraction of requests answered 429 with `Retry-After`. */
    throttleRate: rate.optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    /**
     * Every request fails with `status` while the outage lasts: for the next `requests` requests
     * and/or until `untilMs` (epoch ms); with both, it ends at whichever comes first, with
     * neither, when the faults are cleared.
     */
    outage: z
      .object({
        status: z.number().int().min(400).max(599).default(503),
        untilMs: z.number().int().positive().optional(),
        requests: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** Hippo only: entities written while this is set become visible this long after the write. */
    lagMs: millis.optional(),
  })
  .strict()
  .refine(
    (f) => (f.errorRate ?? 0) + (f.timeoutRate ?? 0) + (f.throttleRate ?? 0) <= 1,
    'errorRate + timeoutRate + throttleRate must not exceed 1',
  );

export type ComponentFaults = z.input<typeof ComponentFaultsSchema>;
type ParsedFaults = z.output<typeof ComponentFaultsSchema>;

export type FaultDecision =
  | { kind: 'pass'; delayMs: number }
  | { kind: 'fail'; status: number; reason: 'error' | 'outage'; delayMs: number }
  | { kind: 'throttle'; retryAfterSeconds: number; delayMs: number }
  | { kind: 'hang'; holdMs: number };

export const DEFAULT_HANG_MS = 30_000;

/** The decision of every request to a component without faults: shared, never allocated. */
const PASS: FaultDecision = Object.freeze({ kind: 'pass', delayMs: 0 });

interface ComponentPlan {
  faults: ParsedFaults;
  random: Random;
  /** Requests the outage still fails, when it is bounded by a count. */
  outageRemaining?: number;
}

export class FaultPlan {
  private readonly plans = new Map<ComponentName, ComponentPlan>();

  constructor(
    private readonly seed: number,
    private readonly defaultHangMs = DEFAULT_HANG_MS,
  ) {}

  /** Replaces the component's faults (validated) and restarts its PRNG stream from the seed. */
  set(component: ComponentName, faults: ComponentFaults): void {
    const parsed = ComponentFaultsSchema.parse(faults);
    this.plans.set(component, {
      faults: parsed,
      random: seededRandom(deriveSeed(this.seed, component)),
      outageRemaining: parsed.outage?.requests,
    });
  }

  clear(component?: ComponentName): void {
    if (component) this.plans.delete(component);
    else this.plans.clear();
  }

  /** The faults in effect, as set (outage counts show what is left). */
  snapshot(): Partial<Record<ComponentName, ParsedFaults>> {
    const result: Partial<Record<ComponentName, ParsedFaults>> = {};
    for (const name of COMPONENTS) {
      const plan = this.plans.get(name);
      if (!plan) continue;
      const outage = plan.faults.outage;
      result[name] =
        outage && plan.outageRemaining !== undefined
          ? { ...plan.faults, outage: { ...outage, requests: plan.outageRemaining } }
          : plan.faults;
    }
    return result;
  }

  /** Hippo's current write lag in ms (0 without a lag fault). */
  lagMs(component: ComponentName = 'hippo'): number {
    return this.plans.get(component)?.faults.lagMs ?? 0;
  }

  /**
   * Decides the fate of one request. One PRNG draw per request partitions [0, 1) into the
   * throttle, timeout and error bands, so each rate is met exactly in expectation and
   * the draws stay aligned with the request sequence.
   */
  decide(component: ComponentName, nowMs: number): FaultDecision {
    const plan = this.plans.get(component);
    if (!plan) return PASS;
    const f = plan.faults;
    const delayMs = f.slowMs ?? 0;
    if (f.outage && this.outageActive(plan, f.outage, nowMs)) {
      return { kind: 'fail', status: f.outage.status, reason: 'outage', delayMs };
    }
    const throttle = f.throttleRate ?? 0;
    const timeout = f.timeoutRate ?? 0;
    const error = f.errorRate ?? 0;
    if (throttle + timeout + error > 0) {
      const draw = plan.random();
      if (draw < throttle) {
        return { kind: 'throttle', retryAfterSeconds: f.retryAfterSeconds ?? 1, delayMs };
      }
      if (draw < throttle + timeout) {
        return { kind: 'hang', holdMs: f.hangMs ?? this.defaultHangMs };
      }
      if (draw < throttle + timeout + error) {
        // Lower half of the error band answers 503, upper half 500: both kinds of 5xx occur
        // without spending a second draw.
        const lowerHalf = draw < throttle + timeout + error / 2;
        return {
          kind: 'fail',
          status: f.errorStatus ?? (lowerHalf ? 503 : 500),
          reason: 'error',
          delayMs,
        };
      }
    }
    return delayMs > 0 ? { kind: 'pass', delayMs } : PASS;
  }

  private outageActive(
    plan: ComponentPlan,
    outage: NonNullable<ParsedFaults['outage']>,
    nowMs: number,
  ): boolean {
    if (outage.untilMs !== undefined && nowMs >= outage.untilMs) return false;
    if (plan.outageRemaining !== undefined) {
      if (plan.outageRemaining <= 0) return false;
      plan.outageRemaining -= 1;
    }
    return true;
  }
}
