/**
 * The operator console end to end, in headless Chromium (Debian's `chromium`, driven by
 * playwright-core through its executable path), against the built console served by the API
 * on the real stack (PostgreSQL, Kafka, the schema registry): an admin logs in, filters the
 * findings, opens one and resolves it, approves a repair after seeing its plan, requeues a
 * dead letter, asks for a scan and watches its progress, and reads those actions back on the
 * Audit page; an entity id made of markup is shown as text and never runs; on a finding's page
 * re-checks it now, snoozes and wakes it, starts a repair with a strategy its type allows, and
 * on the lists resolves every finding a filter selects (preview first) and retries a failed
 * repair; a reader sees no action (nor the Audit page) and the API refuses one all the same.
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
  AuditLog,
  RepairJobStore,
  ScanStore,
  SyncEventLog,
  type SyncEvent,
  SyncEventQueries,
} from '@bridge/store';
import { sampleMismatchFinding, sampleOkFinding } from '@bridge/store/testing';
import { bootApp } from '../../../test/pipeline-harness';
import { eventually, freshDatabase, stackConfig } from '../../../test/stack-config';
import { configureApiHttp, ApiModule, tokenDigest, consoleAssetsDir } from '@bridge/query-api';

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
  /** The FAILED job the retry test retries; still FAILED when the reader looks at it. */
  let failedJob: string;
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
    const open = await app.get(SyncEventQueries).page({ status: 'unresolved', limit: 500 });
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
      method: 'listing',
      graceCutoff: new Date(),
      checkpoint: initialCheckpoint('full', {}),
      estimatedItems: 1_000,
    });
    if (!scan) throw new Error('no scan to take over');
    await scans.saveProgress(scan.id, 'console-test-scanner', {
      phase: 'cappella',
      checkpoint: initialCheckpoint('full', {}),
      counts: { missing_entity: 2 },
      pages: { cappella: 1, hippo: 0, canon: 0 },
      items: { cappella: 250, hippo: 0, canon: 0 },
      requests: { cappella: 1, hippo: 0, canon: 0 },
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

  it('re-checks a finding now from its page: the log has it due at once, the audit log says who', async () => {
    const finding = (await log.record(sampleMismatchFinding('run-console-recheck'))).event;
    expect(finding.nextRecheckAt).toBeNull();
    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/findings/${finding.id}`);
    await page.waitForSelector(
      '[data-testid=finding-rechecks] >> text=looked at again 0 time(s), next at the next scan',
    );
    const before = Date.now();
    await page.click('[data-testid=recheck]');
    await page.waitForSelector('[data-testid=finding-action-note] >> text=again within seconds');
    await page.waitForSelector('[data-testid=finding-rechecks] >> text=next due now');
    const stored = await log.findById(finding.id);
    expect(stored?.state).toBe('open');
    expect(stored?.nextRecheckAt?.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(stored?.nextRecheckAt?.getTime()).toBeLessThanOrEqual(Date.now());
    const audit = await app
      .get(AuditLog)
      .page({ objectType: 'sync_event', objectId: finding.id }, null, 10);
    expect(audit.items.map(({ action, actor, outcome }) => ({ action, actor, outcome }))).toEqual([
      { action: 'recheck', actor: 'alice', outcome: 'ok' },
    ]);
    // The finding's story tells it too, once the page loads it again.
    await page.waitForSelector('[data-testid=history] >> text=recheck', { timeout: 15_000 });
    await page.close();
  });

  it('snoozes a finding out of the open list, lists it under Snoozed, and wakes it', async () => {
    const finding = (await log.record(sampleMismatchFinding('run-console-snooze'))).event;
    const rows = (page: Page) => page.locator('[data-testid=finding-row]');
    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/findings?status=unresolved&source_id=run-console-snooze`);
    await rows(page).first().waitFor();
    expect(await rows(page).count()).toBe(1);

    await page.click('[data-testid=finding-row] a');
    await page.click('[data-testid=snooze-open]');
    await page.click('[data-testid=snooze] [data-preset="1 week"]');
    await page.fill('[data-testid=snooze] input[name=reason]', 'waiting for the Hippo migration');
    await page.screenshot({ path: join(SHOTS, 'finding-snooze.png'), fullPage: true });
    const asked = Date.now();
    await page.click('[data-testid=snooze] button[type=submit]');
    await page.waitForSelector(
      '[data-testid=finding-snooze] >> text=waiting for the Hippo migration',
    );
    const snoozed = await log.findById(finding.id);
    expect(snoozed).toMatchObject({ state: 'open', snoozedBy: 'alice' });
    // A week from the click, to the minute the input shows.
    const week = 7 * 24 * 3_600_000;
    expect(snoozed?.snoozedUntil?.getTime()).toBeGreaterThan(asked + week - 90_000);
    expect(snoozed?.snoozedUntil?.getTime()).toBeLessThan(asked + week + 90_000);

    // Out of the default list of open findings...
    await page.goto(`${url}/console/#/findings?status=unresolved&source_id=run-console-snooze`);
    await page.waitForSelector('text=Nothing matches these filters.');
    expect(await rows(page).count()).toBe(0);
    // ...and in the Snoozed view, marked so.
    await page.click('[data-testid=finding-views] >> text=snoozed');
    await page.waitForURL(/status=snoozed/);
    expect(page.url()).toContain('source_id=run-console-snooze');
    await rows(page).first().waitFor();
    expect(await rows(page).count()).toBe(1);
    expect(await rows(page).first().textContent()).toContain('snoozed');

    await page.click('[data-testid=finding-row] a');
    await page.click('[data-testid=wake]');
    await page.waitForSelector('[data-testid=finding-action-note] >> text=Woken');
    await eventually(
      async () => ((await page.locator('[data-testid=wake]').count()) === 0 ? true : undefined),
      10_000,
      'no Wake button once awake',
    );
    expect(await log.findById(finding.id)).toMatchObject({ snoozedUntil: null, snoozedBy: null });
    await page.goto(`${url}/console/#/findings?status=unresolved&source_id=run-console-snooze`);
    await rows(page).first().waitFor();
    expect(await rows(page).count()).toBe(1);
    await page.close();
  });

  it('starts a repair of an alert-only finding with a strategy its type allows, and lists the job on its page', async () => {
    const finding = (await log.record(sampleMismatchFinding('run-console-start'))).event;
    expect(finding.repairStrategy).toBe('alert_only');
    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/findings/${finding.id}`);
    await page.waitForSelector('[data-testid=finding-detail] >> text=No repair job so far.');
    await page.click('[data-testid=repair-open]');
    const strategies = await page
      .locator('[data-testid=repair] select[name=strategy] option')
      .allTextContents();
    expect(strategies).toEqual(['resubmit_run']);
    await page.fill('[data-testid=repair] input[name=priority]', '7');
    await page.fill('[data-testid=repair] input[name=reason]', 'the run can be resubmitted');
    await page.click('[data-testid=repair] button[type=submit]');

    const row = page.locator('[data-testid=finding-repair]');
    await row.first().waitFor();
    const text = await row.first().textContent();
    expect(text).toContain('resubmit_run');
    expect(text).toContain('PENDING');
    expect(text).toContain('alice');
    const jobs = await app.get(RepairJobStore).listBySyncEventId(finding.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      strategy: 'resubmit_run',
      state: 'PENDING',
      priority: 7,
      requestedBy: 'alice',
      retryOf: null,
    });
    expect(await row.first().getAttribute('data-job-id')).toBe(jobs[0].id);
    await page.waitForSelector('[data-testid=history] >> text=the run can be resubmitted', {
      timeout: 15_000,
    });
    await page.screenshot({ path: join(SHOTS, 'finding-repair.png'), fullPage: true });

    // A second one while the first is active: the API's refusal, shown as it says it.
    await page.click('[data-testid=repair-open]');
    await page.click('[data-testid=repair] button[type=submit]');
    await page.waitForSelector(
      '[data-testid=finding-actions] ~ [role=alert] >> text=active repair',
    );
    expect(await app.get(RepairJobStore).listBySyncEventId(finding.id)).toHaveLength(1);
    await page.close();
  });

  it('resolves every open finding a filter selects, acting only once the preview is confirmed', async () => {
    const dangling = await Promise.all(
      ['run-console-dangling-1', 'run-console-dangling-2'].map(
        async (run) =>
          (await log.record(sampleMismatchFinding(run, { mismatchType: 'dangling_reference' })))
            .event,
      ),
    );
    const orphan = (
      await log.record(
        sampleMismatchFinding('run-console-orphan', { mismatchType: 'orphan_provenance' }),
      )
    ).event;
    const page = await logIn(ADMIN);

    // A type only resolved by hand offers no repair; the other actions are there.
    await page.goto(`${url}/console/#/findings/${dangling[0].id}`);
    await page.waitForSelector('[data-testid=recheck]');
    expect(await page.locator('[data-testid=snooze-open]').count()).toBe(1);
    expect(await page.locator('[data-testid=repair-open]').count()).toBe(0);

    await page.goto(`${url}/console/#/findings?status=unresolved&mismatch_type=dangling_reference`);
    const rows = page.locator('[data-testid=finding-row]');
    await eventually(
      async () => ((await rows.count()) === 2 ? true : undefined),
      10_000,
      'the two dangling references',
    );
    await page.click('[data-testid=bulk-resolve-ask]');
    await page.waitForSelector(
      '[data-testid=bulk-resolve-preview] >> text=This will resolve 2 of 2 open findings',
    );
    // The preview acted on nothing.
    for (const { id } of dangling) expect((await log.findById(id))?.state).toBe('open');

    await page.fill('[data-testid=bulk-resolve] input', 'fixed with the Hippo clean-up');
    await page.screenshot({ path: join(SHOTS, 'findings-bulk.png'), fullPage: true });
    await page.click('[data-testid=bulk-resolve-confirm]');
    await page.waitForSelector('[data-testid=bulk-resolve-done] >> text=Resolved 2 open findings.');
    for (const { id } of dangling) {
      expect(await log.findById(id)).toMatchObject({
        state: 'resolved',
        resolvedBy: 'alice',
        resolutionNote: 'fixed with the Hippo clean-up',
      });
    }
    // Nothing outside the filter.
    expect((await log.findById(orphan.id))?.state).toBe('open');
    expect((await log.findById(hostile.id))?.state).toBe('open');
    await eventually(
      async () => ((await rows.count()) === 0 ? true : undefined),
      10_000,
      'the list empty once they are resolved',
    );

    // Nothing left to resolve: no confirm to press.
    await page.click('[data-testid=bulk-resolve-ask]');
    await page.waitForSelector('[data-testid=bulk-resolve-preview] >> text=nothing to resolve');
    expect(await page.locator('[data-testid=bulk-resolve-confirm]').count()).toBe(0);
    await page.close();
  });

  it('retries a FAILED repair from the Repairs page as a new PENDING job, and sets its priority', async () => {
    const finding = (
      await log.record(
        sampleMismatchFinding('run-console-failed', { repairStrategy: 'resubmit_run' }),
      )
    ).event;
    const jobs = app.get(RepairJobStore);
    const job = repairJobFor(finding, { priorityByType: {}, priorityBySource: {} });
    if (!job) throw new Error('no repair job for the finding');
    const [created] = await jobs.create([job]);
    failedJob = created.id;
    expect(
      await jobs.record(created.id, 'PENDING', null, {
        state: 'FAILED',
        lastError: 'Cappella refused the resubmission',
      }),
    ).toBe(true);

    const page = await logIn(ADMIN);
    await page.goto(`${url}/console/#/repairs`);
    await page.click('.tabs button[data-group=finished]');
    const card = page.locator(`[data-job-id="${failedJob}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('Cappella refused the resubmission');
    expect(await card.locator('[data-testid=approve]').count()).toBe(0);
    await card.locator('[data-testid=retry]').click();
    await card.locator('[data-testid=retry-note] >> text=PENDING').waitFor();

    const [first, retry] = await jobs.listBySyncEventId(finding.id);
    expect(first).toMatchObject({ id: failedJob, state: 'FAILED' });
    expect(retry).toMatchObject({ state: 'PENDING', retryOf: failedJob, requestedBy: 'alice' });

    // A second retry while the first is active: refused, and the refusal shown.
    await card.locator('[data-testid=retry]').click();
    await card.locator('[role=alert] >> text=active repair').waitFor();
    expect(await jobs.listBySyncEventId(finding.id)).toHaveLength(2);
    await page.screenshot({ path: join(SHOTS, 'repairs-retry.png'), fullPage: true });

    await page.click('.tabs button[data-group=active]');
    const active = page.locator(`[data-job-id="${retry.id}"]`);
    await active.waitFor();
    expect(await active.locator('[data-testid=repair-origin]').textContent()).toContain(
      `retry of ${failedJob}`,
    );
    await active.locator('[data-testid=priority] input').fill('250');
    await active.locator('[data-testid=priority] button').click();
    await eventually(
      async () => ((await jobs.findById(retry.id))?.priority === 250 ? true : undefined),
      10_000,
      'the new priority stored',
    );
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
    // The page is whole (its re-checks are shown), with none of the actions on an open finding.
    await page.waitForSelector('[data-testid=finding-rechecks]');
    expect(await page.locator('[data-testid=resolve]').count()).toBe(0);
    expect(await page.locator('[data-testid=finding-actions]').count()).toBe(0);
    expect(await page.locator('[data-testid=recheck]').count()).toBe(0);
    expect(await page.locator('[data-testid=snooze-open]').count()).toBe(0);
    await page.goto(`${url}/console/#/findings?status=unresolved`);
    await page.waitForSelector('[data-testid=finding-row]');
    expect(await page.locator('[data-testid=findings-bulk]').count()).toBe(0);
    await page.goto(`${url}/console/#/repairs`);
    await page.click('.tabs button[data-group=finished]');
    await page.locator(`[data-job-id="${failedJob}"]`).waitFor();
    expect(await page.locator('[data-testid=retry]').count()).toBe(0);
    await page.click('.tabs button[data-group=active]');
    await page.locator('[data-testid=repair-job]').first().waitFor();
    expect(await page.locator('[data-testid=priority]').count()).toBe(0);
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
