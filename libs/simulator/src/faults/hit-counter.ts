/**
 * Counts the requests each simulated endpoint received and the faults served, so a test can
 * assert e.g. that a check made one bulk lookup instead of a thousand single gets, or that
 * Bridge retried after the injected 503s, and the peak request rate per component, to check
 * that a configured per-component rate limit was respected.
 */
import { COMPONENTS, type ComponentName } from '@bridge/config';
import { PeakRateMeter } from './peak-rate-meter';

export type InjectedFault = 'error' | 'outage' | 'throttle' | 'timeout' | 'slow';

export interface HitCounts {
  /** Requests per component (answered or faulted). */
  components: Record<ComponentName, number>;
  /** Requests per route, e.g. `"POST /hippo/entities/lookup"`. */
  endpoints: Record<string, number>;
  /** Faults served per component and kind. */
  injected: Record<ComponentName, Record<InjectedFault, number>>;
  /** Most requests per component within any one second (100-ms steps) since the last reset. */
  peakPerSecond: Record<ComponentName, number>;
}

const noFaults = (): Record<InjectedFault, number> => ({
  error: 0,
  outage: 0,
  throttle: 0,
  timeout: 0,
  slow: 0,
});

export class HitCounter {
  private readonly endpoints = new Map<string, number>();
  private components = { cappella: 0, hippo: 0, canon: 0 };
  private injected = { cappella: noFaults(), hippo: noFaults(), canon: noFaults() };
  private readonly rates: Record<ComponentName, PeakRateMeter> = {
    cappella: new PeakRateMeter(),
    hippo: new PeakRateMeter(),
    canon: new PeakRateMeter(),
  };

  constructor(private readonly now: () => number = () => Date.now()) {}

  hit(component: ComponentName, endpoint: string): void {
    this.components[component] += 1;
    this.endpoints.set(endpoint, (this.endpoints.get(endpoint) ?? 0) + 1);
    this.rates[component].record(this.now());
  }

  fault(component: ComponentName, kind: InjectedFault): void {
    this.injected[component][kind] += 1;
  }

  snapshot(): HitCounts {
    const injected = {} as Record<ComponentName, Record<InjectedFault, number>>;
    const peakPerSecond = {} as Record<ComponentName, number>;
    for (const name of COMPONENTS) {
      injected[name] = { ...this.injected[name] };
      peakPerSecond[name] = this.rates[name].peak;
    }
    return {
      components: { ...this.components },
      endpoints: Object.fromEntries(this.endpoints),
      injected,
      peakPerSecond,
    };
  }

  reset(): void {
    this.endpoints.clear();
    this.components = { cappella: 0, hippo: 0, canon: 0 };
    this.injected = { cappella: noFaults(), hippo: noFaults(), canon: noFaults() };
    for (const name of COMPONENTS) this.rates[name].reset();
  }
}
