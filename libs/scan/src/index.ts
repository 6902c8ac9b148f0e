/** Full consistency scans: pure scan rules, the page-by-page runner and the scanner's operations. */
export {
  checkpointAfterPage,
  initialCheckpoint,
  isJudgeable,
  progressOf,
  runDiscrepancies,
  scanFindingFor,
  scanModeFor,
  scanProgressSamples,
  type ScanDiscrepancy,
  type ScanProgressEstimate,
  type ScanProgressSample,
} from './scan-decisions';
export {
  ScanRunner,
  type ScanComponents,
  type ScanRunOutcome,
  type ScanRunnerDeps,
} from './scan-runner';
export { Scanner, type ActiveScanOutcome, type ScanRequest, type ScannerDeps } from './scanner';
export { SCANNER_COMPONENTS, ScannerModule } from './scanner.module';
export { ScanScheduler } from './scan-scheduler';
