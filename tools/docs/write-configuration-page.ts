/**
 * `npm run docs:config`: rewrites the settings part of `docs/configuration.md` from the
 * environment schema (`libs/config/src/environment-schema.ts`). The rest of the page is
 * written by hand. A unit test (`settings-reference.spec.ts`) fails until this has been run
 * after a setting changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { withSettingsReference } from '../../libs/config/src/settings-reference';

const page = resolve(__dirname, '..', '..', 'docs', 'configuration.md');
const before = readFileSync(page, 'utf8');
const after = withSettingsReference(before);
if (after === before) {
  console.log('docs/configuration.md already agrees with the schema');
} else {
  writeFileSync(page, after);
  console.log('docs/configuration.md rewritten from the schema');
}
