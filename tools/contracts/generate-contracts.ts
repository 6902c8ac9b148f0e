/**
 * `npm run contracts:generate`: regenerates libs/contracts/src/generated/events.ts from
 * schemas/. With `--check` it writes nothing and exits 1 when the committed file has drifted
 * from the schemas (the unit tests run it that way).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import { renderContracts } from './contract-codegen';
import { GENERATED_CONTRACTS, REPO_ROOT, SCHEMAS_DIR } from './paths';

async function main(): Promise<void> {
  const prettierConfig = JSON.parse(readFileSync(join(REPO_ROOT, '.prettierrc'), 'utf8')) as object;
  const source = await format(renderContracts(SCHEMAS_DIR), {
    ...prettierConfig,
    parser: 'typescript',
  });
  if (process.argv.includes('--check')) {
    if (readFileSync(GENERATED_CONTRACTS, 'utf8') !== source) {
      console.error(`${GENERATED_CONTRACTS} is out of date: run npm run contracts:generate`);
      process.exit(1);
    }
    console.log('generated contracts match schemas/');
    return;
  }
  writeFileSync(GENERATED_CONTRACTS, source);
  console.log(`wrote ${GENERATED_CONTRACTS}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
