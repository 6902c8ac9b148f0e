/**
 * Unit tests: `*.spec.ts` beside the code they test; no infrastructure.
 *
 * Jest runs the TypeScript as ES modules (hence NODE_OPTIONS=--experimental-vm-modules in the
 * npm scripts): NestJS 12 ships ES modules only, and Jest can `require()` an ES module only on
 * Node 24.9+, while the project supports Node 20.19+. ts-jest therefore emits ES modules here
 * (`module: esnext`) although `tsc` and `nest build` emit CommonJS; the two CommonJS
 * module-scope variables the sources use are mapped by jest.module-scope.js. In test files the
 * `jest` object comes from `@jest/globals`, as Jest does not inject it into ES modules.
 */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

module.exports = {
  rootDir: __dirname,
  // A green run prints nothing: logs are kept per test and shown only for one that fails.
  testEnvironment: '<rootDir>/jest.quiet-environment.js',
  setupFilesAfterEnv: ['<rootDir>/test/unit/buffered-test-logger.ts'],
  // Hooks included: a spec's embedded store (PGlite, every migration) takes 3 to 12 s to open on a
  // loaded two-core machine, past Jest's 5 s default.
  testTimeout: 20_000,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/{apps,libs,tools,test}/**/*.spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        useESM: true,
        tsconfig: { module: 'esnext', moduleResolution: 'bundler' },
        astTransformers: { before: ['<rootDir>/jest.module-scope.js'] },
      },
    ],
  },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
};
