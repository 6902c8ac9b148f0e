/**
 * The component simulator: a runnable Cappella, Hippo and Canon with scripted faults and a
 * ground truth, for `npm start`, the tests and the benchmark (see its README in
 * apps/component-sim, whose entry point runs it on its own).
 */
export { ComponentSimModule } from './component-sim.module';
export { ComponentSimulator, type GenerationResult } from './scenario/component-simulator';
export type { GroundTruth } from './scenario/ground-truth';
export type { ScanTruth } from './scenario/scan-truth';
export type { ComponentFaults } from './faults/fault-plan';
export { loadSimSettings, type SimSettings } from './sim-config';
export { SIM_HTTP_OPTIONS, SIM_JSON_BODY_LIMIT, configureSimHttp } from './sim-http';
