/**
 * HTTP ingestion's contract, the same on both transports: the API producing to Kafka (the
 * distributed mode, PostgreSQL on the local stack) and feeding the in-process bus (`npm start`,
 * PGlite). Acceptance (the record reaches its topic, keyed by its run), refusal per record
 * naming the field, idempotency by `event_id` (a resent record answers duplicate and reaches
 * the topic once), the roles (only a producer), and the request limits.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { BridgeConfig } from '@bridge/config';
import { Topics } from '@bridge/contracts';
import { IngestModule } from '@bridge/ingest';
import { EventSubscriber, type Subscription } from '@bridge/messaging';
import { ApiModule, configureApiHttp, tokenDigest } from '@bridge/query-api';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { bootApp } from '../../../test/pipeline-harness';
import { eventually, freshDatabase, stackConfig } from '../../../test/stack-config';

const INGEST = '/api/v1/bridge/sync/ingest';
const PRODUCER = 'producer-token-for-the-ingest-tests';
const READER = 'reader-token-for-the-ingest-tests';
const ADMIN = 'admin-token-for-the-ingest-tests';

function runCompleted(runId: string, overrides: Record<string, unknown> = {}) {
  return {
    event_id: randomUUID(),
    occurred_at: Date.now(),
    run_id: runId,
    pipeline_id: 'pipe-1',
    outputs: [{ entity_type: 'sample', external_id: `${runId}-out` }],
    actor: 'cappella',
    ...overrides,
  };
}

/**
 * How each transport is set up: the API alone producing to Kafka (as the api service runs), or
 * the API with ingest on the in-process bus (as `npm start` runs them, where an accepted record
 * is one ingest has handled).
 */
const TRANSPORTS: Array<
  [string, () => Promise<{ env: NodeJS.ProcessEnv; drop(): Promise<void> }>, boolean]
> = [
  [
    'Kafka',
    async () => {
      const db = await freshDatabase();
      return { env: { DATABASE_URL: db.url }, drop: db.drop };
    },
    false,
  ],
  [
    'the in-process bus',
    () =>
      Promise.resolve({
        env: { BRIDGE_TRANSPORT: 'in-process', BRIDGE_STORE: 'pglite' },
        drop: () => Promise.resolve(),
      }),
    true,
  ],
];

/** The API, with ingest beside it in one process when `withIngest`. */
function apiModule(config: BridgeConfig, withIngest: boolean): DynamicModule {
  if (!withIngest) return ApiModule.forRoot(config);
  return {
    module: class OneProcessApi {},
    imports: [ServiceRuntimeModule.forService('all-in-one', config), ApiModule, IngestModule],
  };
}

describe.each(TRANSPORTS)('HTTP ingestion on %s', (_name, storage, withIngest) => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let drop: () => Promise<void>;
  let subscription: Subscription;
  /** Every record of cappella.run.completed the topic delivered: event id and key. */
  const delivered: Array<{ eventId: string; key: string | null }> = [];

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const post = (
    records: unknown[],
    token = PRODUCER,
    topic: string = Topics.CappellaRunCompleted,
  ) => http.post(`${INGEST}/${topic}`).set(as(token)).send({ records });
  const deliveriesOf = (eventId: string) => delivered.filter((d) => d.eventId === eventId);

  beforeAll(async () => {
    const store = await storage();
    drop = store.drop;
    const config = stackConfig({
      ...store.env,
      CONSUMER_GROUP_PREFIX: `ingest-http-${randomUUID().slice(0, 8)}`,
      API_TOKENS: [
        `producer:lab-cappella:${tokenDigest(PRODUCER)}`,
        `reader:grafana:${tokenDigest(READER)}`,
        `admin:alice:${tokenDigest(ADMIN)}`,
      ].join(','),
      INGEST_HTTP_MAX_RECORDS: '20',
      INGEST_HTTP_BODY_LIMIT_BYTES: '65536',
      MAX_EVENT_BYTES: '8192',
    });
    app = await bootApp(apiModule(config, withIngest), (created) =>
      configureApiHttp(created as NestExpressApplication),
    );
    http = request(app.getHttpServer() as Server);
    subscription = await app.get(EventSubscriber).subscribe({
      groupId: `test-http-ingest-${randomUUID().slice(0, 8)}`,
      topics: [Topics.CappellaRunCompleted],
      fromBeginning: true,
      handler: (received) => {
        delivered.push({ eventId: received.event.event_id, key: received.key });
        return Promise.resolve();
      },
    });
  }, 60_000);

  afterAll(async () => {
    await subscription?.stop();
    await app?.close();
    await drop?.();
  });

  it('lets only a producer in: none, a reader and an admin are refused', async () => {
    const records = [runCompleted('run-roles')];
    await http.post(`${INGEST}/${Topics.CappellaRunCompleted}`).send({ records }).expect(401);
    await post(records, READER).expect(403);
    const refused = await post(records, ADMIN).expect(403);
    expect(refused.body.message).toMatch(/needs the producer role/);
    await post(records, PRODUCER).expect(200);
  });

  it('produces each accepted record to its topic, keyed by its run', async () => {
    const a = runCompleted('run-a');
    const b = runCompleted('run-b');
    const answer = await post([a, b]).expect(200);
    expect(answer.body).toMatchObject({
      topic: Topics.CappellaRunCompleted,
      accepted: 2,
      duplicates: 0,
      refused: 0,
      records: [
        { index: 0, event_id: a.event_id, status: 'accepted' },
        { index: 1, event_id: b.event_id, status: 'accepted' },
      ],
    });
    await eventually(() => (deliveriesOf(b.event_id).length > 0 ? true : undefined));
    expect(deliveriesOf(a.event_id)).toEqual([{ eventId: a.event_id, key: 'run-a' }]);
  });

  it('refuses a bad record naming its field, and still produces the others', async () => {
    const bad = runCompleted('run-bad', { outputs: [{ entity_type: 'sample' }] });
    const good = runCompleted('run-good');
    const answer = await post([bad, good]).expect(200);
    expect(answer.body).toMatchObject({ accepted: 1, refused: 1 });
    expect(answer.body.records[0]).toMatchObject({
      index: 0,
      event_id: bad.event_id,
      status: 'refused',
      code: 400,
      problems: [expect.stringContaining('outputs.0.external_id')],
    });
    const large = runCompleted('run-large', { actor: 'x'.repeat(10_000) });
    expect((await post([large]).expect(200)).body.records[0]).toMatchObject({
      status: 'refused',
      code: 413,
    });
    // Ordered after the refused records on its run's partition: when it arrives, they would have.
    await eventually(() => (deliveriesOf(good.event_id).length > 0 ? true : undefined));
    expect(deliveriesOf(bad.event_id)).toEqual([]);
    expect(deliveriesOf(large.event_id)).toEqual([]);
  });

  it('answers duplicate for a record sent again, and produces it once', async () => {
    const first = runCompleted('run-again');
    await post([first]).expect(200);
    const again = await post([first, first]).expect(200);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 2 });
    // A later record of the same run shares the partition: once it is delivered, a second copy
    // of the first would have been too.
    const later = runCompleted('run-again');
    await post([later]).expect(200);
    await eventually(() => (deliveriesOf(later.event_id).length > 0 ? true : undefined));
    expect(deliveriesOf(first.event_id)).toHaveLength(1);
  });

  it('refuses a request it cannot read as a whole, before producing anything', async () => {
    await post([runCompleted('run-x')], PRODUCER, 'bridge.sync.mismatch').expect(404);
    await post([runCompleted('run-x')], PRODUCER, 'no.such.topic').expect(404);
    const tooMany = Array.from({ length: 21 }, (_, i) => runCompleted(`run-many-${i}`));
    expect((await post(tooMany).expect(413)).body.message).toMatch(/INGEST_HTTP_MAX_RECORDS/);
    const tooLarge = Array.from({ length: 20 }, (_, i) =>
      runCompleted(`run-big-${i}`, { actor: 'y'.repeat(4_000) }),
    );
    await post(tooLarge).expect(413);
    await http
      .post(`${INGEST}/${Topics.CappellaRunCompleted}`)
      .set(as(PRODUCER))
      .set('content-type', 'application/json')
      .send('{"records": [')
      .expect(400);
    await http
      .post(`${INGEST}/${Topics.CappellaRunCompleted}`)
      .set(as(PRODUCER))
      .send({ events: [] })
      .expect(400);
    const ids: string[] = [...tooMany, ...tooLarge].map((r) => r.event_id);
    expect(delivered.filter((d) => ids.includes(d.eventId))).toEqual([]);
  });
});
