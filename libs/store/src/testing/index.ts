/** Sample rows for the tests of other libraries and apps: never imported by services. */
export {
  sampleCheckFailedFinding,
  sampleMismatchFinding,
  sampleOkFinding,
  sampleStaleCacheFinding,
  sampleStoredEvent,
} from './sample-findings';
