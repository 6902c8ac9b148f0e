/**
 * The operator console end to end, in headless Chromium (Debian's `chromium`, driven by
 * playwright-core through its executable path), against the built console served by the API
 * on the real stack (PostgreSQL, Kafka, the schema registry): an admin logs in, filters the
 * findings, opens one and resolves it, approves a repair after seeing its plan, requeues a
 * dead letter, asks for a scan and watches its progress, and reads those actions back on the
 * Audit page; an entity id made of markup is shown as text and never runs; a reader sees no
 * action (nor the Audit page) and the API refuses one all the same.
 * Screenshots go to `test-output/console/`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEAD_LETTER_TOPIC, Topics } from '@bridge/contracts';
import { buildDeadLetter, EventPublisher } from '@bridge/messaging';
import { repairJobFor } from '@bridge/repair';
import { initialCheckpoint } from '@bridge/scan';
import {
  RepairJobStore,
  sampleMismatchFinding,
  sampleOkFinding,
  ScanStore,
  SyncEventLog,
  type SyncEvent,
} from '@bridge/store';
import { bootApp } from '../../../test/pipeline-harness';
import { eventually, freshDatabase, stackConfig } from '../../../test/stack-config';
import { configureApiHttp } from '../src/api-http';
import { ApiModule } from '../src/api.module';
import { tokenDigest } from '../src/auth/api-credentials';
import { consoleAssetsDir } from '../src/console/operator-console';

const ADMIN = `admin-${randomUUID()}`;
const READER = `reader-${randomUUID()}`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', '..', 'test-output', 'console');
/** An entity id an attacker could get into an event: it must be shown, never run. */
const HOSTILE_ID = `<img src=x onerror="window.__xss=1">run-<script>window.__xss=2</script>`;

describe('operator console in a browser', () => {
  let app: INestApplication;
  let drop: () => Promise<void>;
  let browser: Browser;
  let url: string;
  let log: SyncEventLog;
  let mismatch: SyncEvent;
  let hostile: SyncEvent;
  let waitingJob: string;
  const group = `console-dlq-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: install Debian's chromium package (README "Set-up") or set CHROMIUM_PATH`,
      );
    }
    if (!existsSync(join(consoleAssetsDir(), 'index.html'))) {
      throw new Error('the console is not built: run `npm run build` first');
    }
    mkdirSync(SHOTS, { recursive: true });
    const db = await freshDatabase();
    drop = db.drop;
    const config = stackConfig({
      DATABASE_URL: db.url,
      CONSUMER_GROUP_PREFIX: `console-${randomUUID().slice(0, 8)}`,
      API_TOKENS: `reader:grafana:${tokenDigest(READER)},admin:alice:${tokenDigest(ADMIN)}`,
    });
    app = await bootApp(ApiModule.forRoot(config), (created) =>
      configureApiHttp(created as NestExpressApplication),
    );
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as Server;
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    log = app.get(SyncEventLog);

    for (let i = 0; i < 5; i += 1) await log.record(sampleOkFinding(`run-console-ok-${i}`));
    mismatch = (await log.record(sampleMismatchFinding('run-console-lost'))).event;
    hostile = (await log.record(sampleMismatchFinding(HOSTILE_ID))).event;
    const repairFinding = (
      await log.record(
        sampleMismatchFinding('run-console-repair', { repairStrategy: 'resubmit_run' }),
      )
    ).event;
    const jobs = app.get(RepairJobStore);
    const job = repairJobFor(repairFinding, { priorityByType: {}, priorityBySource: {} });
    if (!job) throw new Error('no repair job for the finding');
    const [created] = await jobs.create([job]);
    waitingJob = created.id;
    await jobs.record(created.id, 'PENDING', null, {
      state: 'AWAITING_APPROVAL',
      plan: {
        kind: 'resubmit_run',
        run_id: 'run-console-repair',
        pipeline_id: 'variant-calling',
        inputs: { reference: 'GRCh38' },
        idempotent: false,
        expected_entities: [{ entity_type: 'vcf', external_id: 'run-console-repair.vcf' }],
      },
    });

    const publisher = app.get(EventPublisher);
    await publisher.publish(
      DEAD_LETTER_TOPIC,
      buildDeadLetter(
        {
          topic: Topics.CappellaRunCompleted,
          partition: 0,
          offset: '3',
          key: Buffer.from('run-console-dlq'),
          value: Buffer.from('not avro at all'),
        },
        group,
        new Error('undecodable body'),
        1,
      ),
      'run-console-dlq',
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await drop?.();
  });

  async function logIn(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(String(error)));
    (page as Page & { failures?: string[] }).failures = failures;
    await page.goto(`${url}/console/`);
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]');
    return page;
  }

  it('logs in, shows the overview with its charts, and refuses a wrong token', async () => {
    const bad = await browser.newPage();
    await bad.goto(`${url}/console/`);
    await bad.fill('input[name=token]', 'not-a-token');
    await bad.click('button[type=submit]');
    await bad.waitForSelector('text=This token is not accepted.');
    await bad.close();

    const page = await logIn(ADMIN);
    expect(await page.textContent('[data-testid=who]')).toBe('alice (admin)');
    await page.waitForSelector('[data-testid=open-total]');
    await page.waitForSelector('[data-testid=hourly-chart] canvas');
    expect(Number(await page.textContent('[data-testid=open-total] .stat-value'))).toBe(3);
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    await page.close();
  });

  it('opens the findings on what is open now, filters them, opens one and resolves it with a reason', async () => {
    const page = await logIn(ADMIN);
    await page.click('nav >> text=Findings');
    await page.waitForURL(/#\/findings\?status=unresolved$/);
    await page.waitForSelector('[data-testid=finding-row]');
    const open = await log.page({ status: 'unresolved', limit: 500 });
    await eventually(
      async () =>
        (await page.locator('[data-testid=finding-row]').count()) === open.items.length
          ? true
          : undefined,
      10_000,
      'the open findings only',
    );
    expect(open.items.length).toBeLessThan(8);
    await page.goto(`${url}/console/#/findings`);
    // The rows of the open findings are on the page until the unfiltered list replaces them.
    await eventually(
      async () =>
        (await page.locator('[data-testid=finding-row]').count()) === 8 ? true : undefined,
      10_000,
      'every row without a filter',
    );
    await page.selectOption('select[name=status]', 'unresolved');
    await page.selectOption('select[name=mismatch_type]', 'missing_entity');
    await page.fill('input[name=source_id]', 'run-console-lost');
    await page.click('.filters button[type=submit]');
    await eventually(
      async () =>
        (await page.locator('[data-testid=finding-row]').count()) === 1 ? true : undefined,
      10_000,
      'one finding left after filtering',
    );
    expect(page.url()).toContain('source_id=run-console-lost');
    await page.click('[data-testid=finding-row] a');
    await page.waitForSelector('[data-testid=finding-detail]');
    expect(await page.textContent('[data-testid=source-id]')).toBe('run-console-lost');
    expect(await page.textContent('[data-testid=history]')).toContain('detected');

    await page.fill('[data-testid=resolve] input', 'rerun by hand in Cappella');
    await page.click('[data-testid=resolve] button');
    await page.waitForSelector('[data-testid=finding-status] >> text=resolved');
    await page.waitForSelector('[data-testid=history] >> text=rerun by hand in Cappella');
    const stored = await log.findById(mismatch.id);
    expect(stored).toMatchObject({
      resolved: true,
      resolvedBy: 'alice',
      resolutionNote: 'rerun by hand in Cappella',
    });
    await page.screenshot({ path: join(SHOTS, 'finding.png'), fullPage: true });
    await page.close();
  });

  it('shows an entity id made of markup as text, and never runs it', async () => {
    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/findings/${hostile.id}`);
    await page.waitForSelector('[data-testid=finding-detail]');
    expect(await page.textContent('[data-testid=source-id]')).toBe(HOSTILE_ID);
    await page.goto(`${url}/console/#/findings?status=all`);
    await page.locator('[data-testid=finding-row]', { hasText: 'run-<script>' }).waitFor();
    // The page's global object, as the test's Node types do not know the browser's `window`.
    expect(await page.evaluate('typeof globalThis.__xss')).toBe('undefined');
    expect(await page.locator('main img').count()).toBe(0);
    expect((page as Page & { failures?: string[] }).failures).toEqual([]);
    await page.close();
  });

  it('shows a waiting repair with its plan and approves it', async () => {
    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/repairs`);
    const card = page.locator(`[data-job-id="${waitingJob}"]`);
    await card.waitFor();
    const text = await card.textContent();
    expect(text).toContain('variant-calling');
    expect(text).toContain('GRCh38');
    expect(text).toContain('run-console-repair.vcf');
    await card.locator('[data-testid=approve] input').fill('pipeline checked with the team');
    await card.locator('[data-testid=approve] button').click();
    await eventually(
      async () =>
        (await page.locator(`[data-job-id="${waitingJob}"]`).count()) === 0 ? true : undefined,
      10_000,
      'the approved job gone from the waiting list',
    );
    expect(await app.get(RepairJobStore).findById(waitingJob)).toMatchObject({
      state: 'PLANNED',
      decidedBy: 'alice',
      decisionReason: 'pipeline checked with the team',
    });
    await page.close();
  });

  it('opens a dead letter with its reason and requeues it', async () => {
    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/dead-letters?consumer_group=${group}`);
    await eventually(
      async () => {
        await page.reload();
        return (await page.locator('[data-testid=dead-letter-row]').count()) === 1
          ? true
          : undefined;
      },
      20_000,
      'the dead letter archived and listed',
    );
    await page.click('[data-testid=dead-letter-row] a');
    const detail = page.locator('[data-testid=dead-letter-detail]');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('undecodable body');
    await detail.locator('[data-testid=requeue-one]').click();
    await page.waitForSelector('[data-testid=dead-letter-detail] >> text=requeued 1 time(s)');

    // The filtered set: every letter of the group, requeued or not.
    await page.goto(`${url}/console/#/dead-letters?consumer_group=${group}&status=all`);
    await page.waitForSelector('[data-testid=dead-letter-row]');
    await page.click('[data-testid=requeue-matching]');
    await page.waitForSelector('text=1 dead letter(s) requeued');
    await page.close();
  });

  it('asks for a scan and shows its progress and estimated completion', async () => {
    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/scans`);
    await page.click('[data-testid=scan-full]');
    await page.waitForSelector('[data-testid=latest-scan][data-status=requested]');
    // A scanner takes the scan and reports progress (here by writing what a scanner writes).
    const scans = app.get(ScanStore);
    const scan = await scans.takeOver('console-test-scanner', {
      mode: 'full',
      graceCutoff: new Date(),
      checkpoint: initialCheckpoint('full', {}),
      estimatedItems: 1_000,
    });
    if (!scan) throw new Error('no scan to take over');
    await scans.saveProgress(scan.id, 'console-test-scanner', {
      phase: 'cappella',
      checkpoint: initialCheckpoint('full', {}),
      counts: { missing_entity: 2 },
      pages: { cappella: 1, hippo: 0 },
      items: { cappella: 250, hippo: 0 },
      requests: { cappella: 1, hippo: 0 },
    });
    await page.waitForSelector('[data-testid=latest-scan][data-status=running]');
    const progress = await page.textContent('[data-testid=scan-progress]');
    expect(progress).toContain('250 items read');
    expect(progress).toContain('25 %');
    expect(progress).toMatch(/done in \d/);
    await page.screenshot({ path: join(SHOTS, 'scans.png'), fullPage: true });

    // The scan links its findings: the Findings page filtered on it.
    const entry = sampleMismatchFinding(`run-console-scanned`, {
      dedupeKey: `scan:${scan.id}:run-console-scanned`,
    });
    await log.record({ ...entry, details: { ...entry.details, scan_id: scan.id } });
    await page.click('[data-testid=latest-scan-findings]');
    await page.waitForURL(new RegExp(`#/findings\\?scan_id=${scan.id}&status=all$`));
    await eventually(
      async () =>
        (await page.locator('[data-testid=finding-row]').count()) === 1 ? true : undefined,
      10_000,
      "the scan's one finding",
    );
    expect(await page.textContent('[data-testid=finding-row]')).toContain('run-console-scanned');
    await page.close();
  });

  it('fits a phone screen: navigation and overview without sideways scrolling', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${url}/console/`);
    await page.fill('input[name=token]', READER);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=open-total]');
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator('header nav a').count()).toBe(5);
    await page.screenshot({ path: join(SHOTS, 'overview-phone.png'), fullPage: true });
    await page.close();
  });

  it('shows a reader no action, and the API refuses one all the same', async () => {
    const page = await logIn(READER);
    expect(await page.textContent('[data-testid=who]')).toBe('grafana (reader)');
    const open = (await log.findById(hostile.id)) as SyncEvent;
    await page.goto(`${url}/console/#/findings/${open.id}`);
    await page.waitForSelector('[data-testid=finding-detail]');
    expect(await page.locator('[data-testid=resolve]').count()).toBe(0);
    await page.goto(`${url}/console/#/scans`);
    await page.waitForSelector('[data-testid=latest-scan]');
    expect(await page.locator('[data-testid=scan-full]').count()).toBe(0);
    await page.goto(`${url}/console/#/dead-letters?status=all`);
    await page.waitForSelector('[data-testid=dead-letters]');
    expect(await page.locator('[data-testid=requeue-matching]').count()).toBe(0);
    const refused = await page.evaluate(
      async ([id, token]) => {
        const response = await fetch(`/api/v1/bridge/sync/events/${id}/resolve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'reader trying' }),
        });
        return response.status;
      },
      [open.id, READER],
    );
    expect(refused).toBe(403);
    expect((await log.findById(open.id))?.resolved).toBe(false);
    await page.close();
  });

  it('lists the admin actions on the Audit page, newest first, for admins only', async () => {
    const page = await logIn(ADMIN);
    await page.click('header nav a[href="#/audit"]');
    await page.waitForSelector('[data-testid=audit-row]');
    const rows = page.locator('[data-testid=audit-row]');
    // The newest: the reader's refused attempt of the previous test.
    const newest = await rows.first().textContent();
    expect(newest).toContain('grafana (reader)');
    expect(newest).toContain('resolve');
    expect(newest).toContain('forbidden');
    expect(await rows.count()).toBeGreaterThanOrEqual(6);

    await page.selectOption('select[name=action]', 'approve');
    await page.click('.filters button[type=submit]');
    await eventually(
      async () => ((await rows.count()) === 1 ? true : undefined),
      10_000,
      'the one approval left after filtering',
    );
    expect(page.url()).toContain('action=approve');
    const approval = await rows.first().textContent();
    expect(approval).toContain('alice (admin)');
    expect(approval).toContain(waitingJob);
    expect(approval).toContain('pipeline checked with the team');
    expect(approval).toContain('ok');

    // Two at a time, then more.
    await page.goto(`${url}/console/#/audit?limit=2`);
    await eventually(
      async () => ((await rows.count()) === 2 ? true : undefined),
      10_000,
      'a first page of two',
    );
    await page.click('[data-testid=audit-more]');
    await eventually(
      async () => ((await rows.count()) === 4 ? true : undefined),
      10_000,
      'two more after More',
    );
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
    await page.close();

    const reader = await logIn(READER);
    expect(await reader.locator('header nav a[href="#/audit"]').count()).toBe(0);
    await reader.close();
  });
});
