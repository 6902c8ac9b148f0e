/** The component calls a repair makes: what each step of the repair worker is given. */
import type { CanonClient, CappellaClient, HippoClient } from '@bridge/components';

/** `ComponentClients` has them; tests give fakes. */
export interface RepairComponents {
  cappella: Pick<CappellaClient, 'getRun' | 'getPipeline' | 'submitRun' | 'listRuns'>;
  hippo: Pick<HippoClient, 'lookup'>;
  canon: Pick<CanonClient, 'evict' | 'artifactsFor'>;
}
