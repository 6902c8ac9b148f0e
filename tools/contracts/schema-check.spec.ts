import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { checkSchemasDir } from './schema-check';
import { REPO_ROOT, SCHEMAS_DIR } from './paths';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

describe('schema check', () => {
  it('passes for the project schemas', () => {
    const report = checkSchemasDir(SCHEMAS_DIR);
    expect(report.problems).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(11);
  });

  it('accepts a v2 that adds an optional field', () => {
    expect(checkSchemasDir(fixture('add-optional-field'))).toEqual({ checked: 2, problems: [] });
  });

  it('refuses a v2 that removes a required field, because v1 readers need it', () => {
    const report = checkSchemasDir(fixture('remove-required-field'));
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(/v1 -> v2: old readers cannot read new data.*size/);
  });

  it('refuses a v2 that adds a required field, because v1 data lacks it', () => {
    const report = checkSchemasDir(fixture('add-required-field'));
    expect(report.problems[0]).toMatch(/new readers cannot read old data.*owner/);
  });

  it('exits non-zero from the command line on an incompatible change', () => {
    const run = (dir: string) =>
      spawnSync(
        process.execPath,
        [
          join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
          join(__dirname, 'check-schemas.ts'),
          dir,
        ],
        {
          encoding: 'utf8',
        },
      );
    const refused = run(fixture('remove-required-field'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('schema check failed');
    expect(run(fixture('add-optional-field')).status).toBe(0);
  }, 30_000);
});
