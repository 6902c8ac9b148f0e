/**
 * `npm run schemas:check [-- <dir>]`: checks schemas/ (or another directory laid out the same
 * way) and exits non-zero on any problem. For schemas/ itself it also checks what is generated
 * from it: that the generated contracts and docs/asyncapi.yaml are up to date, and that the
 * official AsyncAPI parser accepts docs/asyncapi.yaml without an error or a warning.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { validateAsyncApi } from './asyncapi-validation';
import { renderAsyncApiFile, renderContractSources, staleFiles } from './generated-files';
import { checkSchemasDir } from './schema-check';
import { ASYNCAPI_FILE, REPO_ROOT, SCHEMAS_DIR } from './paths';

async function generatedFileProblems(): Promise<string[]> {
  const stale = staleFiles([...(await renderContractSources()), await renderAsyncApiFile()]);
  const problems = stale.map(
    (path) => `${relative(REPO_ROOT, path)} is out of date: run npm run contracts:generate`,
  );
  let asyncApiText: string;
  try {
    asyncApiText = readFileSync(ASYNCAPI_FILE, 'utf8');
  } catch (error) {
    return [...problems, `${relative(REPO_ROOT, ASYNCAPI_FILE)}: ${(error as Error).message}`];
  }
  const { problems: asyncApiProblems } = await validateAsyncApi(asyncApiText);
  return [
    ...problems,
    ...asyncApiProblems.map((problem) => `${relative(REPO_ROOT, ASYNCAPI_FILE)}: ${problem}`),
  ];
}

async function main(): Promise<void> {
  const dir = process.argv[2] ? resolve(process.argv[2]) : SCHEMAS_DIR;
  const report = checkSchemasDir(dir);
  const problems = [...report.problems];
  // Generated from the project's schemas only; another directory is checked for itself.
  const checksGenerated = dir === SCHEMAS_DIR && report.problems.length === 0;
  if (checksGenerated) problems.push(...(await generatedFileProblems()));
  if (problems.length > 0) {
    console.error(`schema check failed for ${dir}:`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exit(1);
  }
  console.log(`schema check passed: ${report.checked} schema version(s) in ${dir}`);
  if (checksGenerated) {
    console.log(
      `generated contracts and ${relative(REPO_ROOT, ASYNCAPI_FILE)} are up to date; the AsyncAPI parser accepts it`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
