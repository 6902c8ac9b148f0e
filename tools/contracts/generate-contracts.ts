/**
 * `npm run contracts:generate`: regenerates libs/contracts/src/generated/events.ts from schemas/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateContracts } from './contract-codegen';

export const REPO_ROOT = join(__dirname, '..', '..');
export const GENERATED_CONTRACTS = join(REPO_ROOT, 'libs/contracts/src/generated/events.ts');
export const SCHEMAS_DIR = join(REPO_ROOT, 'schemas');

export function prettierConfig(): object {
  return JSON.parse(readFileSync(join(REPO_ROOT, '.prettierrc'), 'utf8')) as object;
}

async function main(): Promise<void> {
  const source = await generateContracts(SCHEMAS_DIR, prettierConfig());
  writeFileSync(GENERATED_CONTRACTS, source);
  console.log(`wrote ${GENERATED_CONTRACTS}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
