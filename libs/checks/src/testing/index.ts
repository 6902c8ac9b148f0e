/** What tests use in place of the components' HTTP APIs: never imported by services. */
export { InMemoryComponentReader } from './in-memory-component-reader';
