/**
 * Sample rows and an embedded store for the tests of libraries and apps: never imported by
 * services.
 */
export { openEmbeddedStore } from './embedded-store';
export {
  sampleCheckFailedFinding,
  sampleMismatchFinding,
  sampleOkFinding,
  sampleStaleCacheFinding,
  sampleStoredEvent,
} from './sample-findings';
