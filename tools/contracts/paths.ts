/** Where the contracts tooling finds the schemas and writes the generated files. */
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const SCHEMAS_DIR = join(REPO_ROOT, 'schemas');
export const GENERATED_CONTRACTS = join(REPO_ROOT, 'libs/contracts/src/generated/events.ts');
export const GENERATED_SCHEMA_VERSIONS = join(
  REPO_ROOT,
  'libs/contracts/src/generated/schema-versions.ts',
);
export const ASYNCAPI_FILE = join(REPO_ROOT, 'docs/asyncapi.yaml');
