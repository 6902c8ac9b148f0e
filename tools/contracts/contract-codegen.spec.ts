import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderContracts, renderSchemaVersions } from './contract-codegen';
import { REPO_ROOT, SCHEMAS_DIR } from './paths';

const tsx = join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');

describe('generated event contracts', () => {
  it('and docs/asyncapi.yaml match the .avsc files in schemas/ (run `npm run contracts:generate` after changing a schema)', () => {
    const run = spawnSync(
      process.execPath,
      [tsx, join(__dirname, 'generate-contracts.ts'), '--check'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.stderr).not.toContain('out of date');
    expect(run.status).toBe(0);
  }, 30_000);

  it('declare every inbound and outbound topic with its event type', () => {
    const source = renderContracts(SCHEMAS_DIR);
    for (const [topic, type] of [
      ['cappella.run.completed', 'RunCompleted'],
      ['cappella.run.failed', 'RunFailed'],
      ['cappella.reconciliation.completed', 'ReconciliationCompleted'],
      ['hippo.ingest.batch_completed', 'IngestBatchCompleted'],
      ['hippo.entities.availability_changed', 'EntitiesAvailabilityChanged'],
      ['canon.cache.evicted', 'CacheEvicted'],
      ['bridge.sync.ok', 'SyncOk'],
      ['bridge.sync.mismatch', 'SyncMismatch'],
      ['bridge.sync.repaired', 'SyncRepaired'],
      ['bridge.sync.stale_cache', 'SyncStaleCache'],
    ]) {
      expect(source).toContain(`'${topic}': ${type};`);
    }
  });

  it('follow a schema change: a new optional field becomes an optional property', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    mkdirSync(join(dir, 'cappella.run.completed'));
    const v1 = JSON.parse(
      readFileSync(join(SCHEMAS_DIR, 'cappella.run.completed/v1.avsc'), 'utf8'),
    ) as {
      fields: unknown[];
    };
    copyFileSync(
      join(SCHEMAS_DIR, 'cappella.run.completed/v1.avsc'),
      join(dir, 'cappella.run.completed/v1.avsc'),
    );
    v1.fields.push({ name: 'priority', type: ['null', 'int'], default: null });
    writeFileSync(join(dir, 'cappella.run.completed/v2.avsc'), JSON.stringify(v1));
    const source = renderContracts(dir);
    expect(source).toContain('priority?: null | number;');
    expect(source).toMatch(/'cappella\.run\.completed': \{ version: 2, .*"priority".*\}/);
    // The history keeps v1 in full and names the latest, v2, by its `TopicSchemas` entry above.
    const history = renderSchemaVersions(dir);
    expect(history).toMatch(
      /'cappella\.run\.completed': \[\{ version: 1, (?!.*"priority").*\}, TopicSchemas\['cappella\.run\.completed'\]\]/,
    );
  });
});
