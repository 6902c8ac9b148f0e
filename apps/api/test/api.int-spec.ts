/**
 * The query API's contract on the real database (PostgreSQL on the local stack, Kafka as the
 * service's transport): every filter of `GET /events`, pagination while rows are inserted, the
 * auth matrix of every endpoint (no credential, a wrong one, a reader, an admin, JWTs), bad
 * input of every kind answered with a 4xx naming the problem, scans asked for and shown, admin
 * actions (and refused attempts) read back from the audit log, and the OpenAPI and AsyncAPI
 * documents.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SignJWT } from 'jose';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { DEAD_LETTER_TOPIC, Topics, asyncApiDocument } from '@bridge/contracts';
import { buildDeadLetter, EventPublisher, EventSubscriber } from '@bridge/messaging';
import { repairJobFor } from '@bridge/repair';
import { initialCheckpoint } from '@bridge/scan';
import {
  DeadLetterStore,
  RepairJobStore,
  ScanStore,
  ServiceStatusStore,
  SyncEventLog,
  type SyncEvent,
  SyncEventQueries,
} from '@bridge/store';
import {
  sampleMismatchFinding,
  sampleOkFinding,
  sampleStaleCacheFinding,
} from '@bridge/store/testing';
import { bootApp } from '../../../test/pipeline-harness';
import { eventually, freshDatabase, stackConfig } from '../../../test/stack-config';
import {
  ApiModule,
  tokenDigest,
  OPENAPI_JSON_PATH,
  ASYNCAPI_JSON_PATH,
  configureApiHttp,
  type AuditEntryView,
} from '@bridge/query-api';

const BASE = '/api/v1/bridge/sync';
const READER = 'reader-token-for-the-api-tests';
const ADMIN = 'admin-token-for-the-api-tests';
const JWT_SECRET = 'jwt-secret-for-the-api-tests-at-least-32';

describe('query API on the real database', () => {
  let app: INestApplication;
  let log: SyncEventLog;
  let scans: ScanStore;
  let drop: () => Promise<void>;
  let http: ReturnType<typeof request>;
  const recorded: SyncEvent[] = [];

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    const config = stackConfig({
      DATABASE_URL: db.url,
      CONSUMER_GROUP_PREFIX: `api-${randomUUID().slice(0, 8)}`,
      API_TOKENS: `reader:grafana:${tokenDigest(READER)},admin:alice:${tokenDigest(ADMIN)}`,
      API_JWT_SECRET: JWT_SECRET,
    });
    app = await bootApp(ApiModule.forRoot(config), (created) =>
      configureApiHttp(created as NestExpressApplication),
    );
    http = request(app.getHttpServer() as Server);
    log = app.get(SyncEventLog);
    scans = app.get(ScanStore);
    // Oldest first: a mismatch from Cappella, an ok, a stale cache from Hippo, more mismatches.
    const entries = [
      sampleMismatchFinding('run-a'),
      sampleOkFinding('run-b'),
      sampleStaleCacheFinding({
        artifactIds: ['artifact-c'],
        entities: [{ entity_type: 'sample', external_id: 'c' }],
      }),
      sampleMismatchFinding('run-d', { mismatchType: 'partial_output' }),
      ...Array.from({ length: 8 }, (_, i) => sampleOkFinding(`run-ok-${i}`)),
    ];
    for (const entry of entries) recorded.push((await log.record(entry)).event);
    await log.resolveMany([recorded[0].id], 'bridge-repair');
  });

  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  /** A page of `GET /events` as the tests read it. */
  type EventPage = { items: Array<{ id: string }>; next_cursor: string | null };
  const ids = (body: unknown) => (body as EventPage).items.map((item) => item.id);
  const newestFirst = () => [...recorded].reverse().map((event) => event.id);

  /** Repair jobs of new missing-entity findings, one per run, all awaiting approval; their ids. */
  async function jobsAwaitingApproval(runIds: string[]): Promise<string[]> {
    const repairs = app.get(RepairJobStore);
    const findings = [];
    for (const runId of runIds) {
      const entry = sampleMismatchFinding(runId, { repairStrategy: 'resubmit_run' });
      findings.push((await log.record(entry)).event);
    }
    const created = await repairs.create(
      findings.flatMap((finding) => {
        const job = repairJobFor(finding, { priorityByType: {}, priorityBySource: {} });
        return job ? [job] : [];
      }),
    );
    for (const job of created) {
      await repairs.record(job.id, 'PENDING', null, {
        state: 'AWAITING_APPROVAL',
        plan: {
          kind: 'resubmit_run',
          run_id: 'run-x',
          pipeline_id: 'p',
          inputs: {},
          idempotent: false,
          expected_entities: [],
        },
      });
    }
    return created.map((job) => job.id);
  }

  describe('GET /events', () => {
    it('lists every event newest first, 50 at a most by default', async () => {
      const response = await http.get(`${BASE}/events`).set(as(READER)).expect(200);
      expect(ids(response.body)).toEqual(newestFirst());
      expect(response.body.next_cursor).toBeNull();
      expect(response.body.items[0]).toMatchObject({
        event_type: 'bridge.sync.ok',
        source: 'cappella',
        state: 'record',
        resolved: false,
      });
    });

    it('lists only open findings as unresolved: never an ok, a clean cache or a component event', async () => {
      const open = await http.get(`${BASE}/events?status=unresolved`).set(as(READER)).expect(200);
      const items = (open.body as { items: Array<{ id: string; state: string }> }).items;
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((item) => item.state === 'open')).toBe(true);
      expect(items.map((item) => item.id)).not.toContain(recorded[1].id);
      const closed = await http.get(`${BASE}/events?status=resolved`).set(as(READER)).expect(200);
      expect(
        (closed.body as { items: Array<{ state: string }> }).items.every((item) =>
          ['resolved', 'healed'].includes(item.state),
        ),
      ).toBe(true);
    });

    it('filters by status, event type, mismatch type, source, source id and time', async () => {
      const get = async (query: string) =>
        ids((await http.get(`${BASE}/events?${query}`).set(as(READER)).expect(200)).body);
      expect(await get('status=resolved')).toEqual([recorded[0].id]);
      expect(await get('status=unresolved')).not.toContain(recorded[0].id);
      expect(await get('event_type=bridge.sync.stale_cache')).toEqual([recorded[2].id]);
      expect(await get('mismatch_type=partial_output')).toEqual([recorded[3].id]);
      expect(await get('source_id=run-b')).toEqual([recorded[1].id]);
      expect((await get('source=cappella')).length).toBe(recorded.length - 1);
      const future = new Date(Date.now() + 60_000).toISOString();
      expect(await get(`since=${future}`)).toEqual([]);
      expect((await get(`until=${future}`)).length).toBe(recorded.length);
    });

    it('pages by cursor without skipping or repeating while rows are inserted', async () => {
      const first = (await http.get(`${BASE}/events?limit=5`).set(as(READER)).expect(200))
        .body as EventPage;
      expect(ids(first)).toEqual(newestFirst().slice(0, 5));
      const inserted = [];
      for (let i = 0; i < 3; i += 1) {
        inserted.push((await log.record(sampleOkFinding(`run-late-${i}`))).event);
      }
      const seen = [...ids(first)];
      let cursor: string | null = first.next_cursor;
      while (cursor) {
        const page = (
          await http.get(`${BASE}/events?limit=5&cursor=${cursor}`).set(as(READER)).expect(200)
        ).body as EventPage;
        seen.push(...ids(page));
        cursor = page.next_cursor;
      }
      expect(seen).toEqual(newestFirst());
      // A fresh first page starts with the rows inserted meanwhile.
      const fresh = (await http.get(`${BASE}/events?limit=3`).set(as(READER)).expect(200)).body;
      expect(ids(fresh)).toEqual(inserted.reverse().map((event) => event.id));
      recorded.push(...inserted.reverse());
    });

    it.each([
      ['limit=0', /limit/],
      ['limit=1000', /limit/],
      ['limit=ten', /limit/],
      ['status=open', /status/],
      ['event_type=bridge.sync.nonsense', /event_type/],
      ['mismatch_type=typo', /mismatch_type/],
      ['since=yesterday', /since/],
      ['cursor=bm90LWEtY3Vyc29y', /cursor: not a cursor this API issued/],
      ['sort=asc', /sort/],
    ])('answers %s with a 400 naming the field', async (query, named) => {
      const response = await http.get(`${BASE}/events?${query}`).set(as(READER)).expect(400);
      expect(response.body.message).toMatch(named);
    });
  });

  describe('GET /events/:id and POST /events/:id/resolve', () => {
    it('shows one event, 404 for an unknown id, 400 for a malformed one', async () => {
      const shown = await http.get(`${BASE}/events/${recorded[2].id}`).set(as(READER)).expect(200);
      expect(shown.body).toMatchObject({ id: recorded[2].id, mismatch_type: 'stale_cache' });
      await http.get(`${BASE}/events/${randomUUID()}`).set(as(READER)).expect(404);
      const bad = await http.get(`${BASE}/events/42`).set(as(READER)).expect(400);
      expect(bad.body.message).toMatch(/event id/);
    });

    it('records who resolved a finding and why, once', async () => {
      const target = recorded[3].id;
      const resolved = await http
        .post(`${BASE}/events/${target}/resolve`)
        .set(as(ADMIN))
        .send({ reason: 'rerun by hand' })
        .expect(200);
      expect(resolved.body).toMatchObject({
        resolved: true,
        resolved_by: 'alice',
        resolution_note: 'rerun by hand',
      });
      const again = await http
        .post(`${BASE}/events/${target}/resolve`)
        .set(as(ADMIN))
        .send({ reason: 'twice' })
        .expect(409);
      expect(again.body.message).toMatch(/resolved already, by alice/);
      const record = await http
        .post(`${BASE}/events/${recorded[1].id}/resolve`)
        .set(as(ADMIN))
        .expect(409);
      expect(record.body.message).toMatch(/is a record \(bridge.sync.ok\), not a finding/);
      await http
        .post(`${BASE}/events/${randomUUID()}/resolve`)
        .set(as(ADMIN))
        .send({ reason: 'x' })
        .expect(404);
    });

    it('resolves with the bare POST and announces every manual resolution on bridge.sync.repaired, who and why', async () => {
      const announced: Array<Record<string, unknown>> = [];
      const bare = (await log.record(sampleMismatchFinding(`run-bare-${randomUUID()}`))).event;
      const noted = (await log.record(sampleMismatchFinding(`run-noted-${randomUUID()}`))).event;
      const subscription = await app.get(EventSubscriber).subscribe({
        groupId: `test-repaired-${randomUUID().slice(0, 8)}`,
        topics: [Topics.BridgeSyncRepaired],
        fromBeginning: true,
        handler: (received) => {
          announced.push(received.event as unknown as Record<string, unknown>);
          return Promise.resolve();
        },
      });
      try {
        const resolved = await http
          .post(`${BASE}/events/${bare.id}/resolve`)
          .set(as(ADMIN))
          .expect(200);
        expect(resolved.body).toMatchObject({
          state: 'resolved',
          resolved: true,
          resolved_by: 'alice',
          resolution_note: null,
        });
        await http
          .post(`${BASE}/events/${noted.id}/resolve`)
          .set(as(ADMIN))
          .send({ reason: 'fixed in Hippo by hand' })
          .expect(200);
        const events = await eventually(() => {
          const mine = announced.filter((event) =>
            [bare.id, noted.id].includes(event.sync_event_id as string),
          );
          return mine.length >= 2 ? mine : undefined;
        }, 30_000);
        expect(events).toHaveLength(2);
        const byFinding = new Map(events.map((event) => [event.sync_event_id, event]));
        expect(byFinding.get(bare.id)).toMatchObject({
          resolution: 'operator',
          resolved_by: 'alice',
          mismatch_type: 'missing_entity',
          run_id: bare.sourceId,
          reason: null,
        });
        expect(byFinding.get(noted.id)).toMatchObject({
          resolution: 'operator',
          reason: 'fixed in Hippo by hand',
        });
      } finally {
        await subscription.stop();
      }
    });

    it.each([
      ['an empty reason', { reason: '' }, /reason/],
      ['a reason of the wrong type', { reason: 7 }, /reason/],
      ['an unknown field', { reason: 'x', by: 'mallory' }, /by/],
    ])('refuses a resolution with %s (400)', async (_, body, named) => {
      const call = http.post(`${BASE}/events/${recorded[2].id}/resolve`).set(as(ADMIN));
      const response = await (body === undefined ? call : call.send(body)).expect(400);
      expect(response.body.message).toMatch(named);
    });

    it('refuses malformed JSON and huge bodies with a 4xx, never a 500', async () => {
      await http
        .post(`${BASE}/events/${recorded[2].id}/resolve`)
        .set(as(ADMIN))
        .set('Content-Type', 'application/json')
        .send('{"reason": ')
        .expect(400);
      await http
        .post(`${BASE}/events/${recorded[2].id}/resolve`)
        .set(as(ADMIN))
        .send({ reason: 'x'.repeat(2_000_000) })
        .expect(413);
    });
  });

  describe('scans', () => {
    it('asks for a scan (202 with its id), refuses a second while it is active, and shows it', async () => {
      await http.get(`${BASE}/scan/latest`).set(as(READER)).expect(404);
      const asked = await http
        .post(`${BASE}/scan`)
        .set(as(ADMIN))
        .send({ mode: 'full' })
        .expect(202);
      expect(asked.body).toMatchObject({ status: 'requested', mode: 'full' });
      const conflict = await http.post(`${BASE}/scan`).set(as(ADMIN)).send({}).expect(409);
      expect(conflict.body.scan_id).toBe(asked.body.scan_id);
      const shown = await http
        .get(`${BASE}/scans/${asked.body.scan_id}`)
        .set(as(READER))
        .expect(200);
      expect(shown.body).toMatchObject({
        id: asked.body.scan_id,
        status: 'requested',
        requested_by: 'alice',
        progress: { items_read: 0, fraction: null, estimated_completion_at: null },
      });
      const latest = await http.get(`${BASE}/scan/latest`).set(as(READER)).expect(200);
      expect(latest.body.id).toBe(asked.body.scan_id);
      await http.get(`${BASE}/scans/${randomUUID()}`).set(as(READER)).expect(404);
      await http.post(`${BASE}/scan`).set(as(ADMIN)).send({ mode: 'sideways' }).expect(400);
      expect((await scans.active())?.id).toBe(asked.body.scan_id);
    });

    it("lists a scan's findings, at /scans/{id}/findings and as events?scan_id=", async () => {
      const scan = (await scans.active()) ?? (await scans.latest());
      if (!scan) throw new Error('no scan to attach findings to');
      const runId = `run-scanned-${randomUUID()}`;
      const entry = sampleMismatchFinding(runId, { dedupeKey: `scan:${scan.id}:${runId}` });
      const scanned = (
        await log.record({ ...entry, details: { ...entry.details, scan_id: scan.id } })
      ).event;
      const byPath = await http
        .get(`${BASE}/scans/${scan.id}/findings?status=unresolved`)
        .set(as(READER))
        .expect(200);
      expect(ids(byPath.body)).toEqual([scanned.id]);
      const byFilter = await http
        .get(`${BASE}/events?scan_id=${scan.id}`)
        .set(as(READER))
        .expect(200);
      expect(ids(byFilter.body)).toEqual([scanned.id]);
      const other = await http
        .get(`${BASE}/events?scan_id=${randomUUID()}`)
        .set(as(READER))
        .expect(200);
      expect(ids(other.body)).toEqual([]);
      await http.get(`${BASE}/scans/${randomUUID()}/findings`).set(as(READER)).expect(404);
      await http.get(`${BASE}/events?scan_id=not-a-scan`).set(as(READER)).expect(400);
      await http.get(`${BASE}/scans/${scan.id}/findings?scan_id=x`).set(as(READER)).expect(400);
    });
  });

  describe('repairs', () => {
    let waiting: string[];

    beforeAll(async () => {
      waiting = await jobsAwaitingApproval(['run-repair-1', 'run-repair-2']);
    });

    it('lists jobs by state and shows one, with 400 for a bad state and 404 for an unknown id', async () => {
      const listed = await http
        .get(`${BASE}/repairs?state=awaiting_approval`)
        .set(as(READER))
        .expect(200);
      expect(ids(listed.body)).toEqual(waiting);
      expect(
        ids((await http.get(`${BASE}/repairs?state=DONE`).set(as(READER)).expect(200)).body),
      ).toEqual([]);
      const bad = await http.get(`${BASE}/repairs?state=sleeping`).set(as(READER)).expect(400);
      expect(bad.body.message).toMatch(/state/);
      const shown = await http.get(`${BASE}/repairs/${waiting[0]}`).set(as(READER)).expect(200);
      expect(shown.body).toMatchObject({ state: 'AWAITING_APPROVAL', plan: { idempotent: false } });
      await http.get(`${BASE}/repairs/${randomUUID()}`).set(as(READER)).expect(404);
      await http.get(`${BASE}/repairs/nope`).set(as(READER)).expect(400);
    });

    it('approves and rejects (admin), recording who and why, and refuses a second decision', async () => {
      const approved = await http
        .post(`${BASE}/repairs/${waiting[0]}/approve`)
        .set(as(ADMIN))
        .send({})
        .expect(200);
      expect(approved.body).toMatchObject({ state: 'PLANNED', decided_by: 'alice' });
      const rejected = await http
        .post(`${BASE}/repairs/${waiting[1]}/reject`)
        .set(as(ADMIN))
        .send({ reason: 'inputs are gone' })
        .expect(200);
      expect(rejected.body).toMatchObject({
        state: 'REJECTED',
        decided_by: 'alice',
        decision_reason: 'inputs are gone',
      });
      const twice = await http
        .post(`${BASE}/repairs/${waiting[1]}/approve`)
        .set(as(ADMIN))
        .send({})
        .expect(409);
      expect(twice.body.message).toMatch(/REJECTED/);
      await http.post(`${BASE}/repairs/${randomUUID()}/reject`).set(as(ADMIN)).send({}).expect(404);
      await http
        .post(`${BASE}/repairs/${waiting[0]}/reject`)
        .set(as(ADMIN))
        .send({ reason: 5 })
        .expect(400);
    });
  });

  describe('summary', () => {
    it('counts findings per hour and kind, and open mismatches by type and source', async () => {
      const perHour = await http
        .get(`${BASE}/summary/findings-per-hour`)
        .set(as(READER))
        .expect(200);
      const items = (
        perHour.body as { items: Array<{ hour: string; event_type: string; count: number }> }
      ).items;
      const total = items.reduce((sum, item) => sum + item.count, 0);
      const all = await app.get(SyncEventQueries).page({ status: 'all', limit: 500 });
      expect(total).toBe(all.items.length);
      expect(items.every((item) => item.hour.endsWith(':00:00.000Z'))).toBe(true);
      const open = await http.get(`${BASE}/summary/open-mismatches`).set(as(READER)).expect(200);
      const expected = all.items.filter((event) => event.mismatchType !== null && !event.resolved);
      const rows = (open.body as { items: Array<{ open: number }> }).items;
      expect(rows.reduce((sum, row) => sum + row.open, 0)).toBe(expected.length);
      expect(rows).toEqual(
        expect.arrayContaining([{ mismatch_type: 'stale_cache', source: 'hippo', open: 1 }]),
      );
      const since = new Date().toISOString();
      const until = new Date(Date.now() - 1_000).toISOString();
      const bad = await http
        .get(`${BASE}/summary/findings-per-hour?since=${since}&until=${until}`)
        .set(as(READER))
        .expect(400);
      expect(bad.body.message).toMatch(/since: must be before until/);
    });

    it('gives the operations overview from the status reports the processes write', async () => {
      // Another process's report, as a checker would write it.
      await app.get(ServiceStatusStore).report({
        instance: 'checker#test',
        service: 'checker',
        startedAt: new Date(Date.now() - 60_000),
        reportedAt: new Date(),
        snapshot: {
          window_ms: 10_000,
          events_per_second: 12,
          dead_letters_per_second: 0,
          checks: { per_second: 7.5, p50_ms: 12, p95_ms: 40 },
          repairs: { per_second: 0, p50_ms: null, p95_ms: null },
          components: [
            { component: 'hippo', state: 'open', requests_per_second: 3, errors_per_second: 3 },
          ],
          consumer_lag: [{ group: 'bridge-checker', topic: 'bridge.internal.checks', lag: 9 }],
        },
      });
      const overview = await eventually(
        async () => {
          const response = await http.get(`${BASE}/summary/operations`).set(as(READER)).expect(200);
          const body = response.body as {
            services: Array<{ service: string; status: string }>;
            checks: { per_second: number };
            components: Array<{ component: string; state: string }>;
            consumer_lag: Array<{ lag: number }>;
            outbox_backlog: { findings: number; repairs: number };
          };
          // The API process reports itself too, at start and every interval.
          return body.services.some((s) => s.service === 'api') ? body : undefined;
        },
        15_000,
        "the api's own status report",
      );
      expect(overview.services).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ service: 'checker', status: 'up' }),
          expect.objectContaining({ service: 'api', status: 'up' }),
        ]),
      );
      expect(overview.checks.per_second).toBeGreaterThanOrEqual(7.5);
      expect(overview.components).toEqual([
        expect.objectContaining({ component: 'hippo', state: 'open' }),
      ]);
      expect(overview.consumer_lag).toEqual(
        expect.arrayContaining([expect.objectContaining({ lag: 9 })]),
      );
      expect(overview.outbox_backlog).toEqual({
        findings: await log.countOwed(),
        repairs: expect.any(Number),
      });
    });
  });

  describe('dead letters', () => {
    const group = `test-group-${randomUUID().slice(0, 8)}`;
    const runId = `run-dl-${randomUUID().slice(0, 8)}`;
    const eventId = randomUUID();
    let decodable: string;
    let garbage: string;
    const requeued: string[] = [];

    type LetterPage = {
      items: Array<{ id: string; failure_kind: string }>;
      next_cursor: string | null;
    };
    const lettersOf = async (query: string) =>
      (
        await http
          .get(`${BASE}/dead-letters?consumer_group=${group}&${query}`)
          .set(as(READER))
          .expect(200)
      ).body as LetterPage;

    beforeAll(async () => {
      const publisher = app.get(EventPublisher);
      const subscription = await app.get(EventSubscriber).subscribe({
        groupId: `test-requeue-${randomUUID().slice(0, 8)}`,
        topics: [Topics.CappellaRunCompleted],
        // From the beginning: a new group starting at the end picks its offsets only at its
        // first fetch, which can come after the requeue. Only the requeue writes this event id.
        fromBeginning: true,
        handler: (received) => {
          if (received.event.event_id === eventId) requeued.push(received.event.event_id);
          return Promise.resolve();
        },
      });
      cleanupSubscription = () => subscription.stop();
      const value = await publisher.encode(Topics.CappellaRunCompleted, {
        event_id: eventId,
        occurred_at: Date.now(),
        run_id: runId,
        pipeline_id: 'align',
        outputs: [],
        actor: 'tests',
      });
      const message = (bytes: Buffer, offset: string) => ({
        topic: Topics.CappellaRunCompleted,
        partition: 0,
        offset,
        key: Buffer.from(runId),
        value: bytes,
      });
      const letters = [
        buildDeadLetter(message(value, '7'), group, new Error('Hippo was down'), 5),
        buildDeadLetter(
          message(Buffer.from('not avro at all'), '8'),
          group,
          new Error('undecodable'),
          1,
        ),
      ];
      decodable = letters[0].event_id;
      garbage = letters[1].event_id;
      await publisher.publishMany(
        DEAD_LETTER_TOPIC,
        letters.map((event) => ({ event, key: runId })),
      );
    });
    let cleanupSubscription: () => Promise<void> = () => Promise.resolve();
    afterAll(() => cleanupSubscription());

    it('keeps every dead letter queryable, filtered, with its payload decoded where it decodes', async () => {
      const page = await eventually(
        async () => {
          const found = await lettersOf('status=all');
          return found.items.length === 2 ? found : undefined;
        },
        30_000,
        'the dead letters to be archived',
      );
      expect(ids(page).sort()).toEqual([decodable, garbage].sort());
      const shown = await http.get(`${BASE}/dead-letters/${decodable}`).set(as(READER)).expect(200);
      expect(shown.body).toMatchObject({
        source_topic: 'cappella.run.completed',
        consumer_group: group,
        key: runId,
        reason: 'Error: Hippo was down',
        attempts: 5,
        decode_error: null,
        payload_decoded: { event_id: eventId, run_id: runId },
      });
      const bad = await http.get(`${BASE}/dead-letters/${garbage}`).set(as(READER)).expect(200);
      expect(bad.body.payload_decoded).toBeNull();
      expect(bad.body.decode_error).toMatch(/not in Confluent wire format/);
      const firstPage = await lettersOf('status=all&limit=1');
      expect(firstPage.items).toHaveLength(1);
      const secondPage = await lettersOf(`status=all&limit=1&cursor=${firstPage.next_cursor}`);
      expect([...ids(firstPage), ...ids(secondPage)].sort()).toEqual([decodable, garbage].sort());
      await http.get(`${BASE}/dead-letters/${randomUUID()}`).set(as(READER)).expect(404);
      await http.get(`${BASE}/dead-letters?failure_kind=sad`).set(as(READER)).expect(400);
      await http.get(`${BASE}/dead-letters?cursor=zzz`).set(as(READER)).expect(400);
    });

    it('requeues one dead letter to its topic, and then a filtered set, recording who', async () => {
      const one = await http
        .post(`${BASE}/dead-letters/${decodable}/requeue`)
        .set(as(ADMIN))
        .expect(200);
      expect(one.body).toMatchObject({ requeue_count: 1, requeued_by: 'alice' });
      await eventually(
        () => (requeued.length > 0 ? true : undefined),
        30_000,
        'the requeued event',
      );
      expect(ids(await lettersOf('status=pending'))).toEqual([garbage]);

      await http.post(`${BASE}/dead-letters/requeue`).set(as(READER)).send({}).expect(403);
      await http
        .post(`${BASE}/dead-letters/requeue`)
        .set(as(ADMIN))
        .send({ consumer_group: group, limit: 5_000 })
        .expect(400);
      const set = await http
        .post(`${BASE}/dead-letters/requeue`)
        .set(as(ADMIN))
        .send({ consumer_group: group })
        .expect(200);
      expect(set.body).toEqual({ requeued: 1, ids: [garbage] });
      expect(ids(await lettersOf('status=pending'))).toEqual([]);
      expect(ids(await lettersOf('status=requeued')).sort()).toEqual([decodable, garbage].sort());
    });
  });

  describe('audit log', () => {
    /** An admin of its own (a JWT subject), so these entries are told apart from the others'. */
    const AUDITOR = 'audrey';
    const group = `audit-group-${randomUUID().slice(0, 8)}`;
    let auditor: string;
    let finding: SyncEvent;
    let jobs: string[];
    let letters: string[];

    type AuditPage = {
      items: AuditEntryView[];
      next_cursor: string | null;
    };
    const auditOf = async (query: string) =>
      (await http.get(`${BASE}/audit?${query}`).set(as(ADMIN)).expect(200)).body as AuditPage;

    beforeAll(async () => {
      auditor = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(AUDITOR)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JWT_SECRET));
      finding = (await log.record(sampleMismatchFinding(`run-audit-${randomUUID()}`))).event;
      jobs = await jobsAwaitingApproval([
        `run-audit-1-${randomUUID()}`,
        `run-audit-2-${randomUUID()}`,
      ]);
      const message = (offset: string) => ({
        topic: Topics.CappellaRunCompleted,
        partition: 0,
        offset,
        key: Buffer.from('run-audit-dlq'),
        value: Buffer.from('not avro at all'),
      });
      const deadLetters = [
        buildDeadLetter(message('1'), group, new Error('undecodable'), 1),
        buildDeadLetter(message('2'), group, new Error('undecodable'), 1),
      ];
      await app.get(DeadLetterStore).recordMany(deadLetters);
      letters = deadLetters.map((letter) => letter.event_id);
      if (!(await scans.active())) await scans.request({ trigger: 'manual', mode: 'full' });
    });

    it('records every admin action, a refused one too, and lists them newest first', async () => {
      const admin = as(auditor);
      await http
        .post(`${BASE}/events/${finding.id}/resolve`)
        .set(as(READER))
        .send({ reason: 'a reader trying' })
        .expect(403);
      await http
        .post(`${BASE}/events/${finding.id}/resolve`)
        .set(admin)
        .send({ reason: 'rerun by hand' })
        .expect(200);
      await http
        .post(`${BASE}/repairs/${jobs[0]}/approve`)
        .set(admin)
        .send({ reason: 'pipeline checked' })
        .expect(200);
      await http
        .post(`${BASE}/repairs/${jobs[1]}/reject`)
        .set(admin)
        .send({ reason: 'inputs are gone' })
        .expect(200);
      const conflict = await http
        .post(`${BASE}/repairs/${jobs[1]}/approve`)
        .set(admin)
        .send({ reason: 'changed my mind' })
        .expect(409);
      await http.post(`${BASE}/dead-letters/${letters[0]}/requeue`).set(admin).expect(200);
      await http
        .post(`${BASE}/dead-letters/requeue`)
        .set(admin)
        .send({ consumer_group: group })
        .expect(200);
      const busy = await http.post(`${BASE}/scan`).set(admin).send({ mode: 'full' }).expect(409);
      // The scan in the way ends, as a scanner would end it; the next request goes through.
      const taken = await scans.takeOver('audit-test-scanner', {
        mode: 'full',
        method: 'listing',
        graceCutoff: new Date(),
        checkpoint: initialCheckpoint('full', {}),
        estimatedItems: null,
      });
      if (!taken) throw new Error('no scan to end');
      await scans.complete(taken.id, 'audit-test-scanner');
      const asked = await http.post(`${BASE}/scan`).set(admin).send({}).expect(202);

      const page = await auditOf(`actor=${AUDITOR}`);
      expect(page.next_cursor).toBeNull();
      expect(page.items.map((entry) => [entry.action, entry.object_id, entry.outcome])).toEqual([
        ['scan_request', asked.body.scan_id, 'ok'],
        ['scan_request', null, 'state_conflict'],
        ['requeue_many', null, 'ok'],
        ['requeue', letters[0], 'ok'],
        ['approve', jobs[1], 'state_conflict'],
        ['reject', jobs[1], 'ok'],
        ['approve', jobs[0], 'ok'],
        ['resolve', finding.id, 'ok'],
      ]);
      for (const entry of page.items) {
        expect(entry).toMatchObject({ actor: AUDITOR, role: 'admin' });
        expect(entry.client_address).toMatch(/127\.0\.0\.1$/);
        expect(Date.parse(entry.at)).toBeGreaterThan(Date.now() - 120_000);
      }
      const [scanOk, scanRefused, requeueMany, , refused, , , resolved] = page.items;
      expect(scanOk.details).toEqual({ request: {} });
      expect(scanRefused.details).toEqual({
        request: { mode: 'full' },
        error: { status: 409, message: busy.body.message },
      });
      expect(requeueMany).toMatchObject({
        object_type: 'dead_letter',
        reason: null,
        details: { filter: { consumer_group: group }, count: 1, ids: [letters[1]] },
      });
      expect(refused).toMatchObject({
        object_type: 'repair_job',
        reason: 'changed my mind',
        details: { error: { status: 409, message: conflict.body.message } },
      });
      expect(resolved).toMatchObject({ object_type: 'sync_event', reason: 'rerun by hand' });

      // The reader's attempt is there under the reader's name; its reads are not.
      const byReader = await auditOf(`actor=grafana&object_id=${finding.id}`);
      expect(byReader.items).toEqual([
        expect.objectContaining({
          role: 'reader',
          action: 'resolve',
          object_type: 'sync_event',
          reason: 'a reader trying',
          outcome: 'forbidden',
        }),
      ]);
    });

    it('filters by action, object and time, and pages by cursor', async () => {
      const all = await auditOf(`actor=${AUDITOR}`);
      const ids = (page: AuditPage) => page.items.map((entry) => entry.id);
      const approvals = await auditOf(`actor=${AUDITOR}&action=approve`);
      expect(approvals.items.map((entry) => entry.object_id)).toEqual([jobs[1], jobs[0]]);
      const oneJob = await auditOf(`object_type=repair_job&object_id=${jobs[1]}`);
      expect(oneJob.items.map((entry) => entry.action)).toEqual(['approve', 'reject']);
      const future = new Date(Date.now() + 60_000).toISOString();
      expect((await auditOf(`actor=${AUDITOR}&since=${future}`)).items).toEqual([]);
      expect(ids(await auditOf(`actor=${AUDITOR}&until=${future}`))).toEqual(ids(all));
      const oldest = all.items[all.items.length - 1].at;
      expect(ids(await auditOf(`actor=${AUDITOR}&until=${oldest}`))).toEqual([]);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `actor=${AUDITOR}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await auditOf(query);
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...ids(page));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toEqual(ids(all));
    });

    it('is for admins only, and refuses a bad query with a 400 naming the field', async () => {
      const refused = await http.get(`${BASE}/audit`).set(as(READER)).expect(403);
      expect(refused.body.message).toMatch(/admin/);
      await http.get(`${BASE}/audit`).expect(401);
      for (const [query, named] of [
        ['limit=0', /limit/],
        ['since=yesterday', /since/],
        ['cursor=bm90LWEtY3Vyc29y', /cursor/],
        ['who=alice', /who/],
      ] as const) {
        const bad = await http.get(`${BASE}/audit?${query}`).set(as(ADMIN)).expect(400);
        expect(bad.body.message).toMatch(named);
      }
    });
  });

  describe('operator actions on findings and repairs', () => {
    const admin = as(ADMIN);
    const open = async (runId: string, options: Parameters<typeof sampleMismatchFinding>[1] = {}) =>
      (await log.record(sampleMismatchFinding(runId, options))).event;
    const row = async (id: string) => {
      const found = await log.findById(id);
      if (!found) throw new Error(`no row ${id}`);
      return found;
    };

    it('makes an open finding due for a re-check now, and refuses records, closed and unknown ones', async () => {
      const finding = await open(`run-recheck-${randomUUID()}`);
      expect((await row(finding.id)).nextRecheckAt).toBeNull();
      await http.post(`${BASE}/events/${finding.id}/recheck`).set(as(READER)).expect(403);
      const answer = await http.post(`${BASE}/events/${finding.id}/recheck`).set(admin).expect(202);
      expect(answer.body).toMatchObject({ id: finding.id, state: 'open', recheck_count: 0 });
      const due = (await row(finding.id)).nextRecheckAt;
      expect(due?.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);

      const refused = await http
        .post(`${BASE}/events/${recorded[1].id}/recheck`)
        .set(admin)
        .expect(409);
      expect(refused.body.message).toMatch(/is a record .*nothing to re-check/);
      await http.post(`${BASE}/events/${randomUUID()}/recheck`).set(admin).expect(404);
    });

    it('snoozes an open finding out of the default view until a time, and wakes it', async () => {
      const finding = await open(`run-snooze-${randomUUID()}`, {
        mismatchType: 'orphan_provenance',
      });
      const until = new Date(Date.now() + 3_600_000).toISOString();
      const listed = async (query: string) =>
        ids((await http.get(`${BASE}/events?${query}`).set(as(READER)).expect(200)).body);
      const filter = 'mismatch_type=orphan_provenance';
      expect(await listed(`status=unresolved&${filter}`)).toContain(finding.id);

      await http
        .post(`${BASE}/events/${finding.id}/snooze`)
        .set(admin)
        .send({ until: 'tomorrow' })
        .expect(400);
      const snoozed = await http
        .post(`${BASE}/events/${finding.id}/snooze`)
        .set(admin)
        .send({ until, reason: 'known Hippo migration' })
        .expect(200);
      expect(snoozed.body).toMatchObject({
        state: 'open',
        snoozed_until: until,
        snoozed_by: 'alice',
        snooze_reason: 'known Hippo migration',
      });
      expect(await listed(`status=unresolved&${filter}`)).not.toContain(finding.id);
      expect(await listed(`status=snoozed&${filter}`)).toEqual([finding.id]);
      expect(await listed(`status=unresolved&include_snoozed=true&${filter}`)).toContain(
        finding.id,
      );
      // Still counted as open.
      const summary = await http.get(`${BASE}/summary/open-mismatches`).set(as(READER)).expect(200);
      expect(JSON.stringify(summary.body)).toContain('orphan_provenance');

      await http.delete(`${BASE}/events/${finding.id}/snooze`).set(admin).expect(200);
      expect(await listed(`status=unresolved&${filter}`)).toContain(finding.id);
      await http
        .post(`${BASE}/events/${recorded[1].id}/snooze`)
        .set(admin)
        .send({ until })
        .expect(409);
    });

    it('starts a repair on an alert_only finding with an allowed strategy, one active at a time', async () => {
      const finding = await open(`run-by-hand-${randomUUID()}`, { repairStrategy: 'alert_only' });
      const start = (strategy: string) =>
        http.post(`${BASE}/events/${finding.id}/repair`).set(admin).send({ strategy });
      const refused = await start('evict_immediately').expect(409);
      expect(refused.body.message).toBe(
        'a missing_entity finding can be repaired with resubmit_run, not evict_immediately',
      );
      await start('reboot_everything').expect(400);
      const started = await start('resubmit_run').expect(201);
      expect(started.body).toMatchObject({
        sync_event_id: finding.id,
        strategy: 'resubmit_run',
        state: 'PENDING',
        requested_by: 'alice',
        retry_of: null,
      });
      const again = await start('resubmit_run').expect(409);
      expect(again.body.message).toMatch(/already has an active repair/);
    });

    it('retries a failed repair as a new job, changes the priority of an active one, and tells it all in the history', async () => {
      const finding = await open(`run-retry-${randomUUID()}`, { repairStrategy: 'resubmit_run' });
      const repairs = app.get(RepairJobStore);
      const entry = repairJobFor(finding, { priorityByType: {}, priorityBySource: {} });
      if (!entry) throw new Error('expected a repair job');
      const [first] = await repairs.create([entry]);
      await http.post(`${BASE}/repairs/${first.id}/retry`).set(admin).expect(409);
      await repairs.record(first.id, 'PENDING', null, { state: 'FAILED', lastError: 'bad inputs' });
      await http
        .post(`${BASE}/repairs/${first.id}/priority`)
        .set(admin)
        .send({ priority: 9 })
        .expect(409);

      const retried = await http.post(`${BASE}/repairs/${first.id}/retry`).set(admin).expect(201);
      expect(retried.body).toMatchObject({
        state: 'PENDING',
        retry_of: first.id,
        requested_by: 'alice',
      });
      await http.post(`${BASE}/repairs/${first.id}/retry`).set(admin).expect(409);
      const raised = await http
        .post(`${BASE}/repairs/${retried.body.id as string}/priority`)
        .set(admin)
        .send({ priority: 9 })
        .expect(200);
      expect(raised.body.priority).toBe(9);
      await http
        .post(`${BASE}/repairs/${retried.body.id as string}/priority`)
        .set(admin)
        .send({ priority: 'high' })
        .expect(400);

      const history = await http
        .get(`${BASE}/events/${finding.id}/history`)
        .set(as(READER))
        .expect(200);
      const body = history.body as {
        repair: { id: string };
        repairs: Array<{ id: string; state: string }>;
        steps: Array<{ step: string; by: string | null; note: string | null; job_id?: string }>;
      };
      expect(body.repairs.map((job) => job.state)).toEqual(['FAILED', 'PENDING']);
      expect(body.repair.id).toBe(retried.body.id);
      expect(body.steps.map((step) => step.step)).toEqual(
        expect.arrayContaining(['detected', 'repair_planned', 'repair_failed', 'operator_action']),
      );
      expect(body.steps).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            step: 'operator_action',
            by: 'alice',
            note: 'retry',
            job_id: first.id,
          }),
          expect.objectContaining({ step: 'operator_action', by: 'alice', note: 'set priority' }),
        ]),
      );
    });

    it('previews a bulk resolution by filter, then resolves exactly what it previewed', async () => {
      const findings = await Promise.all(
        [1, 2, 3].map((n) =>
          open(`run-bulk-${n}-${randomUUID()}`, { mismatchType: 'dangling_reference' }),
        ),
      );
      const body = {
        action: 'resolve',
        filter: { mismatch_type: 'dangling_reference' },
        reason: 'references fixed upstream',
      };
      await http.post(`${BASE}/events/bulk`).set(as(READER)).send(body).expect(403);
      await http
        .post(`${BASE}/events/bulk`)
        .set(admin)
        .send({ ...body, filter: { colour: 'red' } })
        .expect(400);
      const preview = await http
        .post(`${BASE}/events/bulk`)
        .set(admin)
        .send({ ...body, dry_run: true, max: 2 })
        .expect(200);
      expect(preview.body).toMatchObject({ dry_run: true, matched: 3, selected: 2, acted: 0 });
      expect((await row(findings[0].id)).state).toBe('open');

      const acted = await http.post(`${BASE}/events/bulk`).set(admin).send(body).expect(200);
      expect(acted.body).toMatchObject({ dry_run: false, matched: 3, selected: 3, acted: 3 });
      for (const finding of findings) {
        expect(await row(finding.id)).toMatchObject({
          state: 'resolved',
          resolvedBy: 'alice',
          resolutionNote: 'references fixed upstream',
        });
      }
      const nothingLeft = await http.post(`${BASE}/events/bulk`).set(admin).send(body).expect(200);
      expect(nothingLeft.body).toMatchObject({ matched: 0, acted: 0 });
    });

    it('bulk-approves awaiting repairs with a preview, and approves one that expired', async () => {
      const [first, second] = await jobsAwaitingApproval([
        `run-bulk-approve-1-${randomUUID()}`,
        `run-bulk-approve-2-${randomUUID()}`,
      ]);
      const repairs = app.get(RepairJobStore);
      await repairs.record(second, 'AWAITING_APPROVAL', null, { state: 'EXPIRED' });
      const preview = await http
        .post(`${BASE}/repairs/bulk`)
        .set(admin)
        .send({ action: 'approve', filter: { state: 'EXPIRED' }, dry_run: true })
        .expect(200);
      expect(preview.body).toMatchObject({ matched: 1, selected: 1, acted: 0, ids: [second] });
      const approved = await http
        .post(`${BASE}/repairs/bulk`)
        .set(admin)
        .send({ action: 'approve', filter: { state: 'EXPIRED' }, reason: 'late but fine' })
        .expect(200);
      expect(approved.body).toMatchObject({ acted: 1, ids: [second] });
      expect(await repairs.findById(second)).toMatchObject({
        state: 'PLANNED',
        decidedBy: 'alice',
        decisionReason: 'late but fine',
      });
      expect((await repairs.findById(first))?.state).toBe('AWAITING_APPROVAL');
    });
  });

  describe('auth', () => {
    const someId = randomUUID();
    const endpoints: Array<{
      method: 'get' | 'post' | 'delete';
      path: string;
      role: 'reader' | 'admin';
    }> = [
      { method: 'get', path: `${BASE}/events`, role: 'reader' },
      { method: 'get', path: `${BASE}/events/${someId}`, role: 'reader' },
      { method: 'get', path: `${BASE}/events/${someId}/history`, role: 'reader' },
      { method: 'post', path: `${BASE}/events/${someId}/resolve`, role: 'admin' },
      { method: 'post', path: `${BASE}/events/${someId}/recheck`, role: 'admin' },
      { method: 'post', path: `${BASE}/events/${someId}/repair`, role: 'admin' },
      { method: 'post', path: `${BASE}/events/${someId}/snooze`, role: 'admin' },
      { method: 'delete', path: `${BASE}/events/${someId}/snooze`, role: 'admin' },
      { method: 'post', path: `${BASE}/events/bulk`, role: 'admin' },
      { method: 'post', path: `${BASE}/repairs/${someId}/retry`, role: 'admin' },
      { method: 'post', path: `${BASE}/repairs/${someId}/priority`, role: 'admin' },
      { method: 'post', path: `${BASE}/repairs/bulk`, role: 'admin' },
      { method: 'get', path: `${BASE}/scan/latest`, role: 'reader' },
      { method: 'get', path: `${BASE}/scans/${someId}`, role: 'reader' },
      { method: 'get', path: `${BASE}/scans/${someId}/findings`, role: 'reader' },
      { method: 'post', path: `${BASE}/scan`, role: 'admin' },
      { method: 'get', path: `${BASE}/repairs`, role: 'reader' },
      { method: 'get', path: `${BASE}/repairs/${someId}`, role: 'reader' },
      { method: 'post', path: `${BASE}/repairs/${someId}/approve`, role: 'admin' },
      { method: 'post', path: `${BASE}/repairs/${someId}/reject`, role: 'admin' },
      { method: 'get', path: `${BASE}/summary/findings-per-hour`, role: 'reader' },
      { method: 'get', path: `${BASE}/summary/open-mismatches`, role: 'reader' },
      { method: 'get', path: `${BASE}/summary/operations`, role: 'reader' },
      { method: 'get', path: `${BASE}/dead-letters`, role: 'reader' },
      { method: 'get', path: `${BASE}/dead-letters/${someId}`, role: 'reader' },
      { method: 'post', path: `${BASE}/dead-letters/${someId}/requeue`, role: 'admin' },
      { method: 'post', path: `${BASE}/dead-letters/requeue`, role: 'admin' },
      { method: 'get', path: `${BASE}/audit`, role: 'admin' },
    ];
    const jwt = (role: string, secret = JWT_SECRET) =>
      new SignJWT({ role })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('carol')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));

    it.each(endpoints)(
      '$method $path: 401 without a valid credential',
      async ({ method, path }) => {
        const none = await http[method](path).expect(401);
        expect(none.headers['www-authenticate']).toBe('Bearer');
        await http[method](path).set(as('not-a-token')).expect(401);
        await http[method](path)
          .set({ Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })
          .expect(401);
        await http[method](path)
          .set(as(await jwt('admin', 'a-different-secret-of-32-characters!!')))
          .expect(401);
      },
    );

    it.each(endpoints)(
      '$method $path: the $role role is needed',
      async ({ method, path, role }) => {
        // Bodies that fail validation: a request that passes auth answers 400 or 404, not 401/403.
        const send = (token: string) => http[method](path).set(as(token)).send({ bad: true });
        const status = async (token: string) => (await send(token)).status;
        if (role === 'admin') {
          expect(await status(READER)).toBe(403);
          expect(await status(await jwt('reader'))).toBe(403);
        } else {
          expect([200, 404]).toContain(await status(READER));
        }
        expect([200, 400, 404]).toContain(await status(ADMIN));
        expect([200, 400, 404]).toContain(await status(await jwt('admin')));
      },
    );
  });

  it('refuses to start with no credential configured (there is no default one)', async () => {
    const config = stackConfig({ CONSUMER_GROUP_PREFIX: `api-${randomUUID().slice(0, 8)}` });
    await expect(bootApp(ApiModule.forRoot(config))).rejects.toThrow(/API_TOKENS/);
  });

  it('serves an OpenAPI document of the API', async () => {
    const response = await http.get(`/${OPENAPI_JSON_PATH}`).expect(200);
    const paths = Object.keys((response.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        `${BASE}/events`,
        `${BASE}/events/{id}`,
        `${BASE}/events/{id}/resolve`,
        `${BASE}/scan/latest`,
        `${BASE}/scans/{id}`,
        `${BASE}/scans/{id}/findings`,
        `${BASE}/scan`,
        `${BASE}/repairs`,
        `${BASE}/repairs/{id}/approve`,
        `${BASE}/summary/findings-per-hour`,
        `${BASE}/audit`,
      ]),
    );
    expect(paths.some((path) => path.startsWith('/health'))).toBe(false);
  });

  it('serves the AsyncAPI document of the topics next to it, as generated into docs/', async () => {
    // No token, like the OpenAPI document.
    const response = await http.get(`/${ASYNCAPI_JSON_PATH}`).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual(asyncApiDocument());
    const checkedIn: unknown = parseYaml(
      readFileSync(join(__dirname, '../../../docs/asyncapi.yaml'), 'utf8'),
    );
    expect(response.body).toEqual(checkedIn);
    expect(Object.keys((response.body as { channels: object }).channels)).toEqual(
      expect.arrayContaining([Topics.CappellaRunCompleted, Topics.BridgeSyncMismatch]),
    );
  });

  it('answers with security headers', async () => {
    const response = await http.get(`${BASE}/whoami`).set(as(READER)).expect(200);
    expect(response.body).toEqual({ name: 'grafana', role: 'reader' });
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringMatching(/max-age=\d+/),
    });
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

describe('query API rate limit', () => {
  let app: INestApplication;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    app = await bootApp(
      ApiModule.forRoot(
        stackConfig({
          DATABASE_URL: db.url,
          CONSUMER_GROUP_PREFIX: `api-limit-${randomUUID().slice(0, 8)}`,
          API_TOKENS: `reader:grafana:${tokenDigest(READER)}`,
          API_RATE_LIMIT_PER_MINUTE: '5',
        }),
      ),
      (created) => configureApiHttp(created as NestExpressApplication),
    );
  });

  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  it('answers 429 with Retry-After past the limit, also to calls without a valid token', async () => {
    const http = request(app.getHttpServer() as Server);
    for (let i = 0; i < 3; i += 1) {
      await http
        .get(`${BASE}/whoami`)
        .set({ Authorization: `Bearer ${READER}` })
        .expect(200);
    }
    await http.get(`${BASE}/whoami`).set({ Authorization: 'Bearer guess-1' }).expect(401);
    await http.get(`${BASE}/whoami`).set({ Authorization: 'Bearer guess-2' }).expect(401);
    const limited = await http.get(`${BASE}/whoami`).set({ Authorization: 'Bearer guess-3' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ statusCode: 429 });
  });
});
