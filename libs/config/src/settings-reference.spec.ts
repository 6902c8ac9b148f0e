import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvSchema } from './environment-schema';
import {
  SETTINGS_BEGIN,
  SETTINGS_END,
  renderSettingsReference,
  withSettingsReference,
} from './settings-reference';

const PAGE = join(__dirname, '..', '..', '..', 'docs', 'configuration.md');

describe('the settings reference', () => {
  it('is what docs/configuration.md holds, so the page and the schema agree (npm run docs:config)', () => {
    const page = readFileSync(PAGE, 'utf8');
    expect(withSettingsReference(page)).toBe(page);
  });

  it('has one entry for every variable of the schema, and no other', () => {
    const listed = [...renderSettingsReference().matchAll(/^- \*\*`([A-Z0-9_]+)`\*\*/gm)].map(
      (match) => match[1],
    );
    expect([...listed].sort()).toEqual(Object.keys(EnvSchema.shape).sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("shows each setting's default and allowed values as the schema has them", () => {
    const reference = renderSettingsReference();
    expect(reference).toContain(
      '- **`BRIDGE_TRANSPORT`** (default: `in-process`; one of `kafka`, `in-process`):',
    );
    expect(reference).toContain('- **`CHECK_RETRY_DELAYS_MS`** (default: `5000,30000,120000`):');
    expect(reference).toContain(
      '- **`STRATEGY_STALE_CACHE`** (default: `evict_on_next_sweep`; one of',
    );
    expect(reference).toContain('- **`DATABASE_URL`** (default: none):');
  });

  it('refuses a page that lost its markers rather than appending to it', () => {
    expect(() => withSettingsReference('# Configuration\n')).toThrow(/markers/);
    expect(withSettingsReference(`a\n${SETTINGS_BEGIN}\nold\n${SETTINGS_END}\nb\n`)).toBe(
      `a\n${renderSettingsReference()}\nb\n`,
    );
  });
});
