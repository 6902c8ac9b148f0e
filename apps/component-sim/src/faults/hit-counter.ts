/**
 * Counts the requests each simulated endpoint received and the faults served, so a test can
 * assert e.g. that a check made one bulk lookup instead of a thousand single gets, or that
 * Bridge retried after the injected 503s.
 */
import { COMPONENTS, type ComponentName } from '@bridge/config';

export type InjectedFault = 'error' | 'outage' | 'throttle' | 'timeout' | 'slow';

export interface HitCounts {
  /** Requests per component (answered or faulted). */
  components: Record<ComponentName, number>;
  /** Requests per route, e.g. `"POST /hippo/entities/lookup"`. */
  endpoints: Record<string, number>;
  /** Faults served per component and kind. */
  injected: Record<ComponentName, Record<InjectedFault, number>>;
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

  hit(component: ComponentName, endpoint: string): void {
    this.components[component] += 1;
    this.endpoints.set(endpoint, (this.endpoints.get(endpoint) ?? 0) + 1);
  }

  fault(component: ComponentName, kind: InjectedFault): void {
    this.injected[component][kind] += 1;
  }

  snapshot(): HitCounts {
    const injected = {} as Record<ComponentName, Record<InjectedFault, number>>;
    for (const name of COMPONENTS) injected[name] = { ...this.injected[name] };
    return {
      components: { ...this.components },
      endpoints: Object.fromEntries(this.endpoints),
      injected,
    };
  }

  reset(): void {
    this.endpoints.clear();
    this.components = { cappella: 0, hippo: 0, canon: 0 };
    this.injected = { cappella: noFaults(), hippo: noFaults(), canon: noFaults() };
  }
}
