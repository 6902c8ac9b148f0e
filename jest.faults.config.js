/**
 * The fault suite (`npm run test:faults`): `test/faults/*.fault-spec.ts`, on the real local
 * stack like the integration tests, each test breaking one part of it while Bridge works.
 */
const integration = require('./jest.integration.config.js');

module.exports = {
  ...integration,
  testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
  testTimeout: 300000,
};
