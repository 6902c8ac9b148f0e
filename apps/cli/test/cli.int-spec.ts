/**
 * The built `bridge-sync` command against a running query API (in this process, on the real
 * database): what operators and scripts do with it, in tables and in JSON, and the exit codes
 * scripts can trust.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { sampleMismatchFinding, SyncEventLog, type SyncEvent } from '@bridge/store';
import { bootApp } from '../../../test/pipeline-harness';
import { freshDatabase, stackConfig } from '../../../test/stack-config';
import { ApiModule } from '../../api/src/api.module';
import { tokenDigest } from '../../api/src/auth/api-credentials';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'bridge-sync.js');
const READER = 'cli-reader-token-for-the-tests';
const ADMIN = 'cli-admin-token-for-the-tests';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('bridge-sync against a running API', () => {
  let app: INestApplication;
  let drop: () => Promise<void>;
  let url: string;
  let finding: SyncEvent;

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    app = await bootApp(
      ApiModule.forRoot(
        stackConfig({
          DATABASE_URL: db.url,
          CONSUMER_GROUP_PREFIX: `cli-${randomUUID().slice(0, 8)}`,
          API_TOKENS: `reader:grafana:${tokenDigest(READER)},admin:alice:${tokenDigest(ADMIN)}`,
        }),
      ),
    );
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
    finding = (await app.get(SyncEventLog).record(sampleMismatchFinding('run-cli-1'))).event;
  });

  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, BRIDGE_API_URL: url, BRIDGE_API_TOKEN: READER, ...env } },
        (error, stdout, stderr) => {
          const code = error && typeof error.code === 'number' ? error.code : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it('lists events as a table, and as the API’s JSON with --json', async () => {
    const table = await cli(['events', 'list', '--status', 'unresolved']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+created_at\s+event_type\s+mismatch_type/);
    expect(table.stdout).toContain(finding.id);
    const json = await cli(['--json', 'events', 'list', '--source-id', 'run-cli-1']);
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as { items: Array<{ id: string }> };
    expect(page.items.map((item) => item.id)).toEqual([finding.id]);
  });

  it('shows and resolves an event (admin), and a reader may not resolve (exit 4)', async () => {
    const shown = await cli(['events', 'show', finding.id]);
    expect(shown.stdout).toMatch(/^id\s+/m);
    expect(shown.stdout).toContain('missing_entity');
    const refused = await cli(['events', 'resolve', finding.id, '--reason', 'by hand']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/HTTP 403/);
    const resolved = await cli(['events', 'resolve', finding.id, '--reason', 'by hand'], {
      BRIDGE_API_TOKEN: ADMIN,
    });
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain('by alice');
    const again = await cli(['events', 'resolve', finding.id, '--reason', 'twice'], {
      BRIDGE_API_TOKEN: ADMIN,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/HTTP 409/);
  });

  it('asks for a scan and shows it, lists repairs and dead letters, and reports health', async () => {
    const asked = await cli(['--json', 'scan', 'run', '--full'], { BRIDGE_API_TOKEN: ADMIN });
    expect(asked.code).toBe(0);
    const scanId = (JSON.parse(asked.stdout) as { scan_id: string }).scan_id;
    const latest = await cli(['scan', 'latest']);
    expect(latest.stdout).toContain(scanId);
    expect((await cli(['scan', 'show', scanId])).stdout).toMatch(/status\s+requested/);
    expect((await cli(['scan', 'run'], { BRIDGE_API_TOKEN: ADMIN })).code).toBe(1);
    expect((await cli(['repairs', 'list', '--state', 'AWAITING_APPROVAL'])).stdout).toBe(
      '(none)\n',
    );
    expect((await cli(['dlq', 'list'])).code).toBe(0);
    const health = await cli(['health'], { BRIDGE_API_TOKEN: '' });
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/status: ok/);
  });

  it('lists the audit log (admin), filtered and paged, with the refused attempts', async () => {
    const admin = { BRIDGE_API_TOKEN: ADMIN };
    const table = await cli(['audit'], admin);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^at\s+actor\s+role\s+action\s+object_type/);
    expect(table.stdout).toMatch(/alice\s+admin\s+resolve\s+sync_event/);
    // The earlier tests asked for a scan twice: the second was refused, the one in progress.
    const scans = await cli(['--json', 'audit', '--action', 'scan_request'], admin);
    const page = JSON.parse(scans.stdout) as {
      items: Array<{ actor: string; outcome: string; object_id: string | null }>;
    };
    expect(page.items.map((entry) => entry.outcome)).toEqual(['state_conflict', 'ok']);
    const reader = await cli(
      ['--json', 'audit', '--actor', 'grafana', '--object-id', finding.id],
      admin,
    );
    expect(JSON.parse(reader.stdout)).toMatchObject({
      items: [{ role: 'reader', action: 'resolve', outcome: 'forbidden' }],
    });
    const first = await cli(['audit', '--actor', 'alice', '--limit', '1'], admin);
    const cursor = /next page: --cursor (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const next = await cli(
      ['audit', '--actor', 'alice', '--limit', '1', '--cursor', cursor ?? ''],
      admin,
    );
    expect(next.code).toBe(0);
    expect(next.stdout.split('\n')[1]).not.toBe(first.stdout.split('\n')[1]);
    const refused = await cli(['audit']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/HTTP 403/);
  });

  it('exits with codes scripts can tell apart', async () => {
    expect((await cli(['events', 'list'], { BRIDGE_API_TOKEN: '' })).code).toBe(4);
    expect((await cli(['events', 'list'], { BRIDGE_API_TOKEN: 'wrong' })).code).toBe(4);
    expect((await cli(['events', 'show', 'not-a-uuid'])).code).toBe(1);
    expect((await cli(['events', 'show', randomUUID()])).code).toBe(1);
    expect((await cli(['events', 'fly'])).code).toBe(2);
    expect((await cli(['dlq', 'requeue'], { BRIDGE_API_TOKEN: ADMIN })).code).toBe(2);
    expect((await cli(['events', 'list'], { BRIDGE_API_URL: 'http://127.0.0.1:9' })).code).toBe(3);
    expect((await cli(['--help'])).code).toBe(0);
  });

  it('takes its token from a file, and warns when it is given in the arguments', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bridge-cli-token-')), 'token');
    writeFileSync(file, `${READER}\n`, { mode: 0o600 });
    const fromFile = await cli(['events', 'list', '--limit', '1'], {
      BRIDGE_API_TOKEN: '',
      BRIDGE_API_TOKEN_FILE: file,
    });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toBe('');
    const fromFlag = await cli(['--token-file', file, 'events', 'list'], { BRIDGE_API_TOKEN: '' });
    expect(fromFlag.code).toBe(0);
    const inArgv = await cli(['--token', READER, 'events', 'list'], { BRIDGE_API_TOKEN: '' });
    expect(inArgv.code).toBe(0);
    expect(inArgv.stderr).toMatch(/a token on the command line can be seen by other users/);
    const missing = await cli(['--token-file', `${file}.missing`, 'events', 'list'], {
      BRIDGE_API_TOKEN: '',
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the token file/);
  });
});
