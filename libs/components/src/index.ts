/**
 * Public surface of the component clients library: typed, resilient HTTP clients of Cappella,
 * Hippo and Canon (see docs/design.md, Component APIs) for the checker, the scanner and the
 * repair service.
 */
export { CanonClient, type Artifact, type EvictionMode } from './canon-client';
export {
  CappellaClient,
  type CappellaRun,
  type CappellaRunStatus,
  type OutputPair,
  type Pipeline,
} from './cappella-client';
export { ComponentClients } from './component-clients';
export { ComponentClientsModule } from './component-clients.module';
export type { CircuitStateName, ComponentHttpStats } from './component-http';
export {
  HippoClient,
  type EntityPresence,
  type HippoEntity,
  type Provenance,
} from './hippo-client';
export type { Page } from './page';
