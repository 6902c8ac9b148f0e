/**
 * The query API under hostile input, on the real database: thousands of generated requests
 * (fast-check, seeded so a failure can be replayed) with random and malicious paths, ids
 * (path traversal, SQL injection, control characters, very long), query strings, JSON bodies
 * of every shape, malformed and oversized bodies, with no token, a reader token or an admin
 * token. Whatever comes in, the answer is never a 5xx, and nothing changes without an admin
 * token.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import fc from 'fast-check';
import { Pool } from 'pg';
import request from 'supertest';
import { repairJobFor } from '@bridge/repair';
import { EventPublisher } from '@bridge/messaging';
import { RecordingEventPublisher } from '@bridge/messaging/testing';
import { DeadLetterStore, RepairJobStore, SyncEventLog } from '@bridge/store';
import { sampleMismatchFinding } from '@bridge/store/testing';
import { bootApp } from '../../../test/pipeline-harness';
import { freshDatabase, stackConfig } from '../../../test/stack-config';
import { configureApiHttp, ApiModule, tokenDigest } from '@bridge/query-api';

const BASE = '/api/v1/bridge/sync';
const READER = `reader-${randomUUID()}`;
const ADMIN = `admin-${randomUUID()}`;
/** Fixed, so that a failing run can be replayed; printed by fast-check on failure. */
const SEED = 20_261_201;

const HOSTILE_TEXT = [
  "' OR '1'='1",
  '1; DROP TABLE sync_events; --',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '\u0000',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  'x'.repeat(5_000),
  '🙂'.repeat(50),
  '-1',
  '1e309',
  'NaN',
  'null',
  '[]',
  '{}',
  ' ',
];

const hostileText = fc.oneof(
  fc.constantFrom(...HOSTILE_TEXT),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
  fc.uuid(),
);

const RESOURCES = [
  'events',
  'events/{id}',
  'events/{id}/history',
  'events/{id}/resolve',
  'scan',
  'scan/latest',
  'scans',
  'scans/{id}',
  'repairs',
  'repairs/{id}',
  'repairs/{id}/approve',
  'repairs/{id}/reject',
  'dead-letters',
  'dead-letters/{id}',
  'dead-letters/{id}/requeue',
  'dead-letters/requeue',
  'summary/findings-per-hour',
  'summary/open-mismatches',
  'summary/operations',
  'whoami',
  '{id}',
  '{id}/{id}',
];

const QUERY_KEYS = [
  'status',
  'event_type',
  'mismatch_type',
  'source',
  'source_id',
  'since',
  'until',
  'limit',
  'cursor',
  'state',
  'failure_kind',
  'consumer_group',
  'source_topic',
  'mode',
  'x',
];

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({ reason: fc.oneof(hostileText, fc.integer(), fc.constant(null)) }),
  fc.record({ mode: hostileText }),
  fc.dictionary(fc.constantFrom(...QUERY_KEYS), fc.oneof(hostileText, fc.integer())),
);

const body = fc.oneof(
  fc.constant<undefined>(undefined),
  jsonBody.map((value) => ({ kind: 'json' as const, value })),
  fc.constantFrom('{"reason": ', '{{{', 'reason=1', '\u0000\u0001').map((value) => ({
    kind: 'raw' as const,
    value,
  })),
  fc.constant({ kind: 'raw' as const, value: JSON.stringify({ reason: 'x'.repeat(300_000) }) }),
);

const fuzzRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  resource: fc.constantFrom(...RESOURCES),
  ids: fc.array(hostileText, { minLength: 2, maxLength: 2 }),
  query: fc.dictionary(fc.constantFrom(...QUERY_KEYS), hostileText, { maxKeys: 4 }),
  token: fc.constantFrom<'none' | 'reader' | 'admin' | 'forged'>(
    'none',
    'reader',
    'admin',
    'forged',
  ),
  body,
});

type FuzzRequest = typeof fuzzRequest extends fc.Arbitrary<infer T> ? T : never;

describe('query API under hostile input', () => {
  let app: INestApplication;
  let drop: () => Promise<void>;
  let pool: Pool;
  /** Where the app's requeues go instead of the shared topics. */
  const requeued = new RecordingEventPublisher();

  /** What a write could change: compared before and after the unauthenticated requests. */
  async function writableState(): Promise<string> {
    const [events, jobs, letters, scans] = await Promise.all([
      pool.query('SELECT id, resolved, resolved_by, resolution_note FROM sync_events ORDER BY id'),
      pool.query('SELECT id, state, decided_by FROM repair_jobs ORDER BY id'),
      // The API's archive keeps adding what earlier suites left on the dead-letter topic:
      // only a requeue is a change a request could make.
      pool.query(
        'SELECT id, requeue_count, requeued_by FROM dead_letters WHERE requeue_count > 0 ORDER BY id',
      ),
      pool.query('SELECT id, status FROM scans ORDER BY id'),
    ]);
    return JSON.stringify([events.rows, jobs.rows, letters.rows, scans.rows]);
  }

  beforeAll(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    pool = new Pool({ connectionString: db.url, max: 2 });
    app = await bootApp(
      ApiModule.forRoot(
        stackConfig({
          DATABASE_URL: db.url,
          CONSUMER_GROUP_PREFIX: `api-fuzz-${randomUUID().slice(0, 8)}`,
          API_TOKENS: `reader:fuzz-reader:${tokenDigest(READER)},admin:fuzz-admin:${tokenDigest(ADMIN)}`,
          API_RATE_LIMIT_PER_MINUTE: '0',
        }),
      ),
      (created) => configureApiHttp(created as NestExpressApplication),
      // The archive holds what every earlier suite left on the shared dead-letter topic, and an
      // admin's requeue would send those letters back to topics other suites read: kept here.
      (builder) => builder.overrideProvider(EventPublisher).useValue(requeued),
    );
    const log = app.get(SyncEventLog);
    const jobs = app.get(RepairJobStore);
    for (let i = 0; i < 5; i += 1) {
      const finding = (
        await log.record(sampleMismatchFinding(`run-fuzz-${i}`, { repairStrategy: 'resubmit_run' }))
      ).event;
      const job = repairJobFor(finding, { priorityByType: {}, priorityBySource: {} });
      if (job) await jobs.create([job]);
    }
    // A dead letter of its own, so that a requeue surely has something to send.
    await app.get(DeadLetterStore).recordMany([
      {
        event_id: randomUUID(),
        occurred_at: Date.now(),
        source_topic: 'cappella.run.completed',
        source_partition: 0,
        source_offset: '0',
        consumer_group: 'api-fuzz',
        key: Buffer.from('run-fuzz-0'),
        payload: Buffer.from([0, 0, 0, 0, 1]),
        reason: 'seeded by the fuzz test',
        failure_kind: 'undecodable',
        attempts: 1,
      },
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await drop?.();
  });

  async function send(http: ReturnType<typeof request>, input: FuzzRequest) {
    const path = input.resource
      .split('/')
      .map((part, i) => (part === '{id}' ? encodeURIComponent(input.ids[i % 2] ?? '') : part))
      .join('/');
    const query = new URLSearchParams(input.query).toString();
    const url = `${BASE}/${path}${query ? `?${query}` : ''}`;
    const method = input.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch';
    let call = http[method](url);
    if (input.token !== 'none') {
      const token =
        input.token === 'reader' ? READER : input.token === 'admin' ? ADMIN : `${ADMIN}x`;
      call = call.set('Authorization', `Bearer ${token}`);
    }
    if (input.body) {
      const text = input.body.kind === 'json' ? JSON.stringify(input.body.value) : input.body.value;
      call = call.set('Content-Type', 'application/json').send(text);
    }
    return call;
  }

  it('never answers 5xx and changes nothing without an admin token', async () => {
    const http = request(app.getHttpServer() as Server);
    const before = await writableState();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fuzzRequest.filter((input) => input.token !== 'admin'),
        async (input) => {
          const response = await send(http, input);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(response.status).toBeLessThan(500);
          if (input.method !== 'GET') expect(response.status).toBeGreaterThanOrEqual(400);
          // Without a valid token nothing succeeds (a bad body may be refused before the token).
          if (input.token === 'none' || input.token === 'forged') {
            expect(response.status).toBeGreaterThanOrEqual(400);
          }
        },
      ),
      { numRuns: 1_500, seed: SEED },
    );
    expect(await writableState()).toBe(before);
    // Sanity: the generator reached the API's answers, not just its 404s.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 403, 404]));
  }, 300_000);

  it('never answers 5xx to an admin either, whatever the body', async () => {
    const http = request(app.getHttpServer() as Server);
    await fc.assert(
      fc.asyncProperty(
        fuzzRequest.map((input) => ({ ...input, token: 'admin' as const })),
        async (input) => {
          const response = await send(http, input);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 1_000, seed: SEED + 1 },
    );
    // Still serving, and still answering normal calls correctly.
    const page = await http
      .get(`${BASE}/events?status=all&limit=5`)
      .set('Authorization', `Bearer ${READER}`)
      .expect(200);
    expect((page.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
    // Every requeue the archive records was sent, and only to the test's own publisher.
    await http
      .post(`${BASE}/dead-letters/requeue`)
      .set('Authorization', `Bearer ${ADMIN}`)
      .send({ consumer_group: 'api-fuzz' })
      .expect(200);
    expect(requeued.raw.length).toBeGreaterThan(0);
    const { rows } = await pool.query<{ sent: string }>(
      'SELECT coalesce(sum(requeue_count), 0) AS sent FROM dead_letters',
    );
    expect(requeued.raw).toHaveLength(Number(rows[0].sent));
  }, 300_000);
});
