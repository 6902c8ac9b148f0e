/**
 * What operations watch, on the real stack: the Prometheus metrics move as events flow
 * (consumption per topic and group, findings per type, component calls, the lag of a group
 * that is behind), and readiness follows the database: false while it is cut, true once it is
 * back, while liveness stays true throughout. A service process started with `LOG_FORMAT=json`
 * writes JSON lines only, and the line about a message carries that message's trace, handed
 * over Kafka in its `traceparent` header.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { DEAD_LETTER_TOPIC, Topics, type EventOf } from '@bridge/contracts';
import {
  enableMessageContext,
  EventPublisher,
  EventSubscriber,
  messageContextFor,
  withMessageContext,
  type Subscription,
} from '@bridge/messaging';
import { eventually, stackEnv } from './stack-config';
import { startPipeline, type Pipeline } from './pipeline-harness';
import { freePorts, spawnService } from './service-processes';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in a Prometheus text exposition. */
function samplesOf(text: string, name: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
      const labels = Object.fromEntries(
        [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
      );
      return { labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) };
    });
}

/**
 * The consumer lag `text` reports for `group`, summed over its samples; undefined when it has
 * none (a scrape that dropped the lag source, e.g. for a slow broker answer), which must not
 * read as caught up.
 */
function groupLag(text: string, group: string, topic?: string): number | undefined {
  const samples = samplesOf(text, 'bridge_consumer_lag').filter(
    (sample) =>
      sample.labels.group === group && (topic === undefined || sample.labels.topic === topic),
  );
  return samples.length > 0 ? samples.reduce((sum, sample) => sum + sample.value, 0) : undefined;
}

/** Sum of the samples whose labels include `match`. */
function total(text: string, name: string, match: Record<string, string | RegExp>): number {
  return samplesOf(text, name)
    .filter((sample) =>
      Object.entries(match).every(([key, wanted]) => {
        const value = sample.labels[key] ?? '';
        return typeof wanted === 'string' ? value === wanted : wanted.test(value);
      }),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

async function scrape(app: INestApplication): Promise<string> {
  const response = await request(app.getHttpServer() as Server)
    .get('/metrics')
    .expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.text;
}

async function asAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: stackEnv().databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function repaired(): EventOf<typeof Topics.BridgeSyncRepaired> {
  return {
    event_id: randomUUID(),
    occurred_at: Date.now(),
    sync_event_id: randomUUID(),
    mismatch_type: 'missing_entity',
    run_id: `lag-probe-${randomUUID()}`,
    resolution: 'operator',
    resolved_by: 'observability-test',
    new_run_id: null,
  };
}

describe('observability', () => {
  let pipeline: Pipeline;
  let prefix: string;

  beforeAll(async () => {
    pipeline = await startPipeline();
    prefix = pipeline.config.consumerGroupPrefix;
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('counts consumed events, findings per type and component calls as runs complete', async () => {
    const before = await scrape(pipeline.ingest);
    const group = new RegExp(`^${prefix}`);
    const consumed = (text: string) =>
      total(text, 'bridge_events_consumed_total', {
        topic: Topics.CappellaRunCompleted,
        group,
        outcome: 'handled',
      });
    const mismatches = (text: string) =>
      total(text, 'bridge_findings_published_total', {
        event_type: 'bridge.sync.mismatch',
        mismatch_type: 'missing_entity',
      });
    const oks = (text: string) =>
      total(text, 'bridge_findings_published_total', { event_type: 'bridge.sync.ok' });
    const outputCalls = (text: string) =>
      total(text, 'bridge_component_request_duration_seconds_count', {
        component: 'cappella',
        endpoint: 'GET /cappella/runs/{run_id}/outputs',
        outcome: 'ok',
      });

    const healthy = await pipeline.sim.completeRun({ outputs: 2 });
    const broken = await pipeline.sim.completeRun({ outputs: 3, missing: 1 });
    await pipeline.finding(healthy.runId, ['bridge.sync.ok']);
    await pipeline.finding(broken.runId, ['bridge.sync.mismatch']);

    const after = await eventually(
      async () => {
        const text = await scrape(pipeline.ingest);
        return mismatches(text) > mismatches(before) && oks(text) > oks(before) ? text : undefined;
      },
      15_000,
      'the findings counted',
    );
    expect(consumed(after) - consumed(before)).toBeGreaterThanOrEqual(2);
    expect(outputCalls(after) - outputCalls(before)).toBeGreaterThanOrEqual(2);
    expect(
      total(after, 'bridge_check_duration_seconds_count', {
        check_type: 'post_run',
        decision: 'mismatch',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(after, 'bridge_component_circuit_state', { component: 'hippo', state: 'closed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(samplesOf(after, 'bridge_outbox_backlog')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: expect.objectContaining({ kind: 'findings' }) }),
      ]),
    );
    expect(after).toMatch(/^bridge_process_resident_memory_bytes/m);
  });

  it('shows the lag of a group that is behind and brings it to zero once it catches up', async () => {
    const groupId = `${prefix}-lag-probe`;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handled = 0;
    const subscription: Subscription = await pipeline.simApp.get(EventSubscriber).subscribe({
      groupId,
      topics: [Topics.BridgeSyncRepaired],
      handler: async () => {
        await gate;
        handled += 1;
      },
    });
    try {
      const publisher = pipeline.simApp.get(EventPublisher);
      const sent = 6;
      await publisher.publishMany(
        Topics.BridgeSyncRepaired,
        Array.from({ length: sent }, () => ({ event: repaired() })),
      );
      const lag = (text: string) => groupLag(text, groupId, Topics.BridgeSyncRepaired);

      const behind = await eventually(
        async () => {
          const value = lag(await scrape(pipeline.ingest));
          return value !== undefined && value >= sent ? value : undefined;
        },
        20_000,
        `a lag of at least ${sent} while the group is held`,
      );
      expect(behind).toBeGreaterThanOrEqual(sent);
      expect(handled).toBe(0);

      release();
      const caughtUp = await eventually(
        async () => {
          const text = await scrape(pipeline.ingest);
          return lag(text) === 0 ? text : undefined;
        },
        30_000,
        'the lag back to zero',
      );
      expect(handled).toBeGreaterThanOrEqual(sent);
      expect(
        total(caughtUp, 'bridge_events_consumed_total', {
          group: groupId,
          topic: Topics.BridgeSyncRepaired,
          outcome: 'handled',
        }),
      ).toBe(handled);
    } finally {
      release();
      await subscription.stop();
    }
  });

  it('turns readiness false while the database is cut and true again after, liveness staying up', async () => {
    const server = pipeline.ingest.getHttpServer() as Server;
    const ready = await request(server).get('/health/ready').expect(200);
    expect(ready.body.details).toEqual(
      expect.objectContaining({
        store: expect.objectContaining({ status: 'up' }),
        transport: expect.objectContaining({ status: 'up', kind: 'kafka' }),
        registry: expect.objectContaining({ status: 'up' }),
      }),
    );

    const dbName = new URL(pipeline.db.url).pathname.slice(1);
    await asAdmin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
    try {
      await asAdmin(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}'`,
      );
      const down = await eventually(
        async () => {
          const response = await request(server).get('/health/ready');
          return response.status === 503 ? response : undefined;
        },
        15_000,
        'readiness to fail without the database',
      );
      expect(down.body.error).toEqual({
        store: expect.objectContaining({ status: 'down', message: 'database unreachable' }),
      });
      await request(server).get('/health/live').expect(200);
    } finally {
      await asAdmin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
    }

    await eventually(
      async () => {
        const response = await request(server).get('/health/ready');
        return response.status === 200 ? response : undefined;
      },
      15_000,
      'readiness back once the database is',
    );
  });

  it('writes JSON log lines in a service process, the one about a message carrying its trace', async () => {
    // This process sends the probe with a trace, as a service logging JSON would.
    enableMessageContext();
    const [port] = await freePorts(1);
    const api = spawnService('api', port, {
      ...pipeline.env,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'log',
      CONSUMER_GROUP_PREFIX: `${prefix}-json`,
      KAFKA_CLIENT_ID: `${prefix}-json-api`,
      // Any token digest will do: the API needs a credential to start.
      API_TOKENS: `admin:json-log-test:${'0'.repeat(64)}`,
    });
    try {
      await api.healthy();
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^bridge_process_cpu_user_seconds_total\{service="api"\}/m);
      // Its new group starts at the beginning of the dead-letter topic, which earlier suites
      // may have filled (hundreds of large records): the probe goes out once it caught up.
      const group = `${prefix}-json-api-dead-letters`;
      await eventually(
        async () => {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return groupLag(text, group) === 0 ? true : undefined;
        },
        240_000,
        `the api's dead-letter archive caught up; output:\n${api.logs().slice(-2_000)}`,
      );

      // A record on the dead-letter topic that is not one: the API's archive dead-letters it.
      const traceId = randomBytes(16).toString('hex');
      const sender = messageContextFor(
        [
          {
            topic: 'test',
            partition: 0,
            offset: '0',
            key: null,
            value: null,
            headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
          },
        ],
        'observability-test',
      );
      await withMessageContext(sender, () =>
        pipeline.simApp
          .get(EventPublisher)
          .publishRaw(DEAD_LETTER_TOPIC, 'json-log-probe', Buffer.from('not an Avro dead letter')),
      );

      const parsed = () =>
        api.logLines().map((line) => JSON.parse(line) as Record<string, unknown>);
      const line = await eventually(
        () => parsed().find((entry) => entry.trace_id === traceId),
        30_000,
        `a log line with trace ${traceId}; output:\n${api.logs()}`,
      );
      expect(line).toEqual(
        expect.objectContaining({
          level: 'warn',
          service: 'api',
          topic: DEAD_LETTER_TOPIC,
          consumer_group: `${prefix}-json-api-dead-letters`,
          msg: expect.stringMatching(/^dead-lettering bridge\.dlq\.events/),
        }),
      );
      expect(parsed().some((entry) => entry.level === 'info' && entry.msg !== undefined)).toBe(
        true,
      );
    } finally {
      await api.stop();
    }
  }, 360_000);
});
