/**
 * The three component clients of one process, built from the component manifests. Services get
 * them from `ComponentClientsModule`; tests and tools build them directly with `fromConfig`.
 */
import type { ComponentManifest, ComponentName } from '@bridge/config';
import { CanonClient } from './canon-client';
import { CappellaClient } from './cappella-client';
import { HippoClient } from './hippo-client';

export class ComponentClients {
  constructor(
    readonly cappella: CappellaClient,
    readonly hippo: HippoClient,
    readonly canon: CanonClient,
  ) {}

  static fromConfig(manifests: Record<ComponentName, ComponentManifest>): ComponentClients {
    return new ComponentClients(
      new CappellaClient(manifests.cappella),
      new HippoClient(manifests.hippo),
      new CanonClient(manifests.canon),
    );
  }

  /** Closes every client even if one fails to, then reports the first failure. */
  async close(): Promise<void> {
    const results = await Promise.allSettled([
      this.cappella.close(),
      this.hippo.close(),
      this.canon.close(),
    ]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
