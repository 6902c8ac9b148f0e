/**
 * Integration tests: `apps/<app>/test/*.int-spec.ts` and `libs/<lib>/test/*.int-spec.ts`.
 * They talk to the real local stack (Kafka, Apicurio registry, PostgreSQL), which the global
 * setup brings up through tools/stack/stack.sh when it is not already running.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/{apps,libs}/**/test/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  setupFilesAfterEnv: [...base.setupFilesAfterEnv, '<rootDir>/test/fetch-deadline.ts'],
  testTimeout: 120000,
};
