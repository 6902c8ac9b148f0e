/**
 * `npm run schemas:check [-- <dir>]`: checks schemas/ (or another directory laid out the same
 * way) and exits non-zero on any problem.
 */
import { resolve } from 'node:path';
import { checkSchemasDir } from './schema-check';
import { SCHEMAS_DIR } from './paths';

const dir = process.argv[2] ? resolve(process.argv[2]) : SCHEMAS_DIR;
const report = checkSchemasDir(dir);
if (report.problems.length > 0) {
  console.error(`schema check failed for ${dir}:`);
  for (const problem of report.problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(`schema check passed: ${report.checked} schema version(s) in ${dir}`);
