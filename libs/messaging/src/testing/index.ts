/** What tests of other libraries use in place of a transport: never imported by services. */
export { RecordingEventPublisher } from './recording-publisher';
