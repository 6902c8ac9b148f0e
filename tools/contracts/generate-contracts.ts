/**
 * `npm run contracts:generate`: regenerates, from schemas/, libs/contracts/src/generated/
 * (events.ts, schema-versions.ts) and then docs/asyncapi.yaml, which is built from them. With
 * `--check` it writes nothing and exits 1 when a checked-in file has drifted (the unit tests run
 * it that way; `npm run schemas:check` checks the same).
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { renderAsyncApiFile, renderContractSources, staleFiles } from './generated-files';
import { REPO_ROOT } from './paths';

async function main(): Promise<void> {
  const sources = await renderContractSources();
  if (process.argv.includes('--check')) {
    const stale = staleFiles([...sources, await renderAsyncApiFile()]);
    for (const path of stale) {
      console.error(`${relative(REPO_ROOT, path)} is out of date: run npm run contracts:generate`);
    }
    if (stale.length > 0) process.exit(1);
    console.log('generated contracts and docs/asyncapi.yaml match schemas/');
    return;
  }
  for (const file of sources) writeFileSync(file.path, file.content);
  // Rendered only now, from the modules just written.
  const asyncApi = await renderAsyncApiFile();
  writeFileSync(asyncApi.path, asyncApi.content);
  for (const file of [...sources, asyncApi]) console.log(`wrote ${relative(REPO_ROOT, file.path)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
