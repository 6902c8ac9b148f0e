/**
 * The built `bridge-sync` command against a running query API (in this process, on the real
 * database): what operators and scripts do with it, in tables and in JSON, and the exit codes
 * scripts can trust. The operator actions (re-check, repair, snooze, retry, priority, bulk) are
 * the API's; these tests hold that the CLI sends what the API expects, prints its answer, and
 * passes on its refusals.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { RepairJobStore, SyncEventLog, type SyncEvent } from '@bridge/store';
import { sampleMismatchFinding } from '@bridge/store/testing';
import { bootApp } from '../../../test/pipeline-harness';
import { freshDatabase, stackConfig } from '../../../test/stack-config';
import { ApiModule, tokenDigest } from '@bridge/query-api';

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

  /** A new open finding (missing_entity, alert_only unless told otherwise) of run `runId`. */
  async function openFinding(
    runId: string,
    options: Parameters<typeof sampleMismatchFinding>[1] = {},
  ): Promise<SyncEvent> {
    return (await app.get(SyncEventLog).record(sampleMismatchFinding(runId, options))).event;
  }

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

  describe('operator actions', () => {
    const admin = { BRIDGE_API_TOKEN: ADMIN };
    const json = <T>(run: Run): T => JSON.parse(run.stdout) as T;

    it('asks for a re-check of an open finding, and passes on the refusal for a closed one', async () => {
      const open = await openFinding('run-cli-recheck');
      expect(open.nextRecheckAt).toBeNull();
      const before = Date.now();
      const asked = await cli(['events', 'recheck', open.id], admin);
      expect(asked.code).toBe(0);
      const due = /re-check of (\S+) asked \(due (\S+); looked at 0 time\(s\) so far\)/.exec(
        asked.stdout,
      );
      expect(due?.[1]).toBe(open.id);
      expect(Date.parse(due?.[2] ?? '')).toBeGreaterThanOrEqual(before - 5_000);
      const shown = json<{ next_recheck_at: string | null }>(
        await cli(['--json', 'events', 'show', open.id]),
      );
      expect(shown.next_recheck_at).toBe(due?.[2]);
      const history = await cli(['events', 'history', open.id]);
      expect(history.code).toBe(0);
      expect(history.stdout.split('\n')[0]).toBe(
        `${open.id}: missing_entity, open, 0 repair job(s)`,
      );
      expect(history.stdout.split('\n')[1]).toMatch(/^at\s+step\s+by\s+note$/);
      expect(history.stdout).toMatch(/\sdetected\s/);
      expect(history.stdout).toMatch(/operator_action\s+alice\s+recheck/);

      // The finding of the first tests was resolved by hand: nothing to look at again.
      const closed = await cli(['events', 'recheck', finding.id], admin);
      expect(closed.code).toBe(1);
      expect(closed.stderr).toContain(
        `HTTP 409: sync event ${finding.id} was resolved already, by alice: there is nothing to re-check`,
      );
      const reader = await cli(['events', 'recheck', open.id]);
      expect(reader.code).toBe(4);
    });

    it('snoozes a finding out of the open list until a time, lists it as snoozed, and wakes it', async () => {
      const open = await openFinding('run-cli-snooze');
      const before = Date.now();
      const snoozed = await cli(
        ['events', 'snooze', open.id, '--until', '2h', '--reason', 'Hippo is being migrated'],
        admin,
      );
      expect(snoozed.code).toBe(0);
      const until = new RegExp(`^snoozed ${open.id} until (\\S+) \\(by alice\\)$`).exec(
        snoozed.stdout.trim(),
      )?.[1];
      // Two hours from when the command ran, not from some other moment.
      const hours = (Date.parse(until ?? '') - before) / 3_600_000;
      expect(hours).toBeGreaterThanOrEqual(2);
      expect(hours).toBeLessThan(2.02);

      const listed = await cli(['events', 'list', '--status', 'snoozed']);
      expect(listed.code).toBe(0);
      expect(listed.stdout.split('\n')[0]).toMatch(/\sstate\s+snoozed_until$/);
      expect(listed.stdout).toContain(open.id);
      expect(listed.stdout).toContain(until);
      expect((await cli(['events', 'list', '--limit', '500'])).stdout).not.toContain(open.id);
      expect(
        (await cli(['events', 'list', '--include-snoozed', '--limit', '500'])).stdout,
      ).toContain(open.id);
      expect((await cli(['events', 'show', open.id])).stdout).toMatch(
        /snooze_reason\s+Hippo is being migrated/,
      );
      expect((await cli(['events', 'history', open.id])).stdout).toMatch(/snoozed\s+alice\s+until/);

      const woken = await cli(['events', 'wake', open.id], admin);
      expect(woken.code).toBe(0);
      expect(woken.stdout).toContain(`woke ${open.id}`);
      expect((await cli(['events', 'list', '--status', 'snoozed'])).stdout).toBe('(none)\n');
      expect((await cli(['events', 'list', '--limit', '500'])).stdout).toContain(open.id);

      // An instant goes to the API as given; what is not one comes back as the API's 400.
      const exact = await cli(
        ['--json', 'events', 'snooze', open.id, '--until', '2099-01-01T09:00:00+01:00'],
        admin,
      );
      expect(json<{ snoozed_until: string }>(exact).snoozed_until).toBe('2099-01-01T08:00:00.000Z');
      const vague = await cli(['events', 'snooze', open.id, '--until', 'tomorrow'], admin);
      expect(vague.code).toBe(1);
      expect(vague.stderr).toMatch(/HTTP 400: .*ISO 8601/);
      const closed = await cli(['events', 'wake', finding.id], admin);
      expect(closed.code).toBe(1);
      expect(closed.stderr).toMatch(/HTTP 409: .*there is nothing to wake/);
    });

    it('starts a repair of an alert_only finding, changes its priority, and retries it once it failed', async () => {
      const open = await openFinding('run-cli-repair');
      const refused = await cli(
        ['events', 'repair', open.id, '--strategy', 'evict_immediately'],
        admin,
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'HTTP 409: a missing_entity finding can be repaired with resubmit_run, not evict_immediately',
      );

      const started = await cli(
        ['events', 'repair', open.id, '--strategy', 'resubmit_run', '--priority', '7'],
        admin,
      );
      expect(started.code).toBe(0);
      const jobId = /^repair (\S+) started \(resubmit_run, PENDING, priority 7\)$/.exec(
        started.stdout.trim(),
      )?.[1];
      expect(jobId).toBeDefined();
      const job = jobId ?? '';
      const twice = await cli(['events', 'repair', open.id, '--strategy', 'resubmit_run'], admin);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain(
        `the finding already has an active repair (job ${job}, PENDING)`,
      );

      const lowered = await cli(['repairs', 'priority', job, '-5'], admin);
      expect(lowered.code).toBe(0);
      expect(lowered.stdout.trim()).toBe(`repair ${job} has priority -5`);
      expect((await cli(['repairs', 'list', '--state', 'PENDING'])).stdout).toMatch(
        new RegExp(`${job}\\s+PENDING\\s+-5\\s+missing_entity\\s+resubmit_run`),
      );
      const active = await cli(['repairs', 'retry', job], admin);
      expect(active.code).toBe(1);
      expect(active.stderr).toContain(
        `HTTP 409: repair job ${job} is PENDING: only a FAILED, REJECTED, EXPIRED repair can be retried`,
      );

      // The API runs no repair worker here: the job fails as the worker would record it.
      expect(
        await app
          .get(RepairJobStore)
          .record(job, 'PENDING', null, { state: 'FAILED', lastError: 'Cappella said no' }),
      ).toBe(true);
      const finished = await cli(['repairs', 'priority', job, '3'], admin);
      expect(finished.code).toBe(1);
      expect(finished.stderr).toMatch(/HTTP 409: .*only an active repair has a priority to change/);
      const retried = await cli(['repairs', 'retry', job], admin);
      expect(retried.code).toBe(0);
      const retryId = new RegExp(`^repair ${job} retried as (\\S+) \\(PENDING\\)$`).exec(
        retried.stdout.trim(),
      )?.[1];
      expect(retryId).toBeDefined();
      expect(retryId).not.toBe(job);
      expect(
        json<Record<string, unknown>>(await cli(['--json', 'repairs', 'show', retryId ?? ''])),
      ).toMatchObject({
        retry_of: job,
        requested_by: 'alice',
        priority: -5,
        state: 'PENDING',
      });
      const history = await cli(['events', 'history', open.id]);
      expect(history.stdout.split('\n')[0]).toBe(
        `${open.id}: missing_entity, open, 2 repair job(s)`,
      );
      expect(history.stdout).toMatch(/operator_action\s+alice\s+retry/);
    });

    it('previews a bulk resolution without --yes, and resolves only with it', async () => {
      const first = await openFinding('run-cli-bulk-1', { mismatchType: 'partial_output' });
      const second = await openFinding('run-cli-bulk-2', { mismatchType: 'partial_output' });
      const filter = ['--mismatch-type', 'partial_output'];
      const openIds = async () =>
        json<{ items: Array<{ id: string }> }>(
          await cli(['--json', 'events', 'list', ...filter]),
        ).items.map((item) => item.id);

      const preview = await cli(['events', 'bulk', 'resolve', ...filter], admin);
      expect(preview.code).toBe(0);
      expect(preview.stdout.trim()).toBe('would resolve 2 of 2 open findings');
      expect(preview.stderr).toContain('run again with --yes to resolve them');
      const dryRun = await cli(
        ['events', 'bulk', 'resolve', ...filter, '--dry-run', '--yes'],
        admin,
      );
      expect(dryRun.stdout.trim()).toBe('would resolve 2 of 2 open findings');
      expect(dryRun.stderr).toBe('');
      expect((await openIds()).sort()).toEqual([first.id, second.id].sort());
      expect((await cli(['events', 'bulk', 'resolve', ...filter, '--yes'])).code).toBe(4);

      const one = await cli(
        ['events', 'bulk', 'resolve', ...filter, '--max', '1', '--reason', 'known gap', '--yes'],
        admin,
      );
      expect(one.code).toBe(0);
      expect(one.stdout.trim()).toBe('resolved 1 of 2 open findings (at most 1 in one call)');
      // Oldest first: the first finding went, the second is still open.
      expect(await openIds()).toEqual([second.id]);
      expect((await cli(['events', 'show', first.id])).stdout).toMatch(
        /resolution_note\s+known gap/,
      );
      const rest = await cli(['--json', 'events', 'bulk', 'resolve', ...filter, '--yes'], admin);
      expect(json<Record<string, unknown>>(rest)).toMatchObject({
        action: 'resolve',
        dry_run: false,
        matched: 1,
        acted: 1,
        ids: [second.id],
      });
      expect(await openIds()).toEqual([]);
      const none = await cli(['events', 'bulk', 'resolve', ...filter], admin);
      expect(none.stdout.trim()).toBe('would resolve 0 of 0 open findings');
      expect(none.stderr).toBe('');
      const tooMany = await cli(['events', 'bulk', 'recheck', '--max', '5000'], admin);
      expect(tooMany.code).toBe(1);
      expect(tooMany.stderr).toMatch(/HTTP 400: .*max/);
    });

    it('previews and makes a bulk decision on expired repairs, which list by their state', async () => {
      const open = await openFinding('run-cli-expired');
      const started = await cli(
        ['--json', 'events', 'repair', open.id, '--strategy', 'resubmit_run'],
        admin,
      );
      const job = json<{ id: string }>(started).id;
      // Nobody approved it in time (the API runs no expiry sweep here).
      await app.get(RepairJobStore).record(job, 'PENDING', null, { state: 'EXPIRED' });
      const listed = await cli(['repairs', 'list', '--state', 'EXPIRED']);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`${job}\\s+EXPIRED\\s`));

      const preview = await cli(['repairs', 'bulk', 'reject', '--state', 'EXPIRED'], admin);
      expect(preview.stdout.trim()).toBe('would reject 1 of 1 expired repairs');
      expect(preview.stderr).toContain('run again with --yes to reject them');
      expect((await cli(['--json', 'repairs', 'show', job])).stdout).toContain('"EXPIRED"');
      const rejected = await cli(
        ['repairs', 'bulk', 'reject', '--state', 'EXPIRED', '--reason', 'too late', '--yes'],
        admin,
      );
      expect(rejected.code).toBe(0);
      expect(rejected.stdout.trim()).toBe('rejected 1 of 1 expired repairs');
      expect(
        json<Record<string, unknown>>(await cli(['--json', 'repairs', 'show', job])),
      ).toMatchObject({
        state: 'REJECTED',
        decided_by: 'alice',
        decision_reason: 'too late',
      });
      expect((await cli(['repairs', 'bulk', 'approve'], admin)).stdout.trim()).toBe(
        'would approve 0 of 0 repairs awaiting approval or expired',
      );
    });
  });
});
