/**
 * A producer that does not play by the rules, on the real stack with ingest, checker and the
 * query API as real processes:
 *
 * - Length bombs: records of a few dozen bytes, framed with the schema id registered for their
 *   topic, whose array block counts (2^31, 2^53, negative with a byte size) or string lengths
 *   (inside items too) claim far more than the record holds, on every inbound topic with such a
 *   field. Before bounded decoding one of them made ingest allocate until V8 aborted, again
 *   after every restart. Each must be dead-lettered once with a reason naming its field, the
 *   dead-letter API must show it without decoding it, and the runs among them must be checked,
 *   with no process exiting and memory flat.
 * - Schema ids an attacker picks: 10,000 records with distinct random schema ids cost a number
 *   of registry requests bounded by time (one listing per subject per second), not by records,
 *   and leave ingest's memory flat. The registry is reached through a proxy that counts.
 *
 * On a broker of its own (`PrivateBroker`), so that none of it is left on the shared broker
 * for later suites' new consumer groups to read again.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { DEAD_LETTER_TOPIC, INBOUND_TOPICS, type DeadLetter, type Topic } from '@bridge/contracts';
import { EventPublisher, EventSubscriber, type Subscription } from '@bridge/messaging';
import { framed, lengthBombsFor } from '../libs/messaging/test/length-bombs';
import { eventually, stackEnv } from './stack-config';
import { startSimulatedComponents, type SimulatedComponents } from './pipeline-harness';
import { PrivateBroker } from './private-broker';
import {
  cleanUp,
  freePorts,
  spawnService,
  stopAll,
  type ServiceProcess,
} from './service-processes';

const RANDOM_IDS = 10_000;

/** Resident memory of a process in MiB, as the kernel reports it. */
function rssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/** An HTTP proxy in front of the schema registry that counts the requests it forwards. */
class CountingRegistryProxy {
  requests = 0;
  private server?: Server;

  constructor(private readonly target: string) {}

  get url(): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}${new URL(this.target).pathname}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.forward(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.requests += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const origin = new URL(this.target).origin;
    try {
      const answer = await fetch(`${origin}${request.url}`, {
        method: request.method,
        headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      response.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
      });
      response.end(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      response.writeHead(502).end((error as Error).message);
    }
  }
}

describe('hostile records on the inbound topics', () => {
  const broker = new PrivateBroker();
  const proxy = new CountingRegistryProxy(stackEnv().registryUrl);
  const readerToken = randomBytes(24).toString('hex');
  let components: SimulatedComponents;
  let services: ServiceProcess[] = [];
  let apiPort: number;
  let pool: Pool;
  let observer: Subscription | undefined;
  /** Dead letters seen on the topic, by the key of the record they carry. */
  const letters = new Map<string, DeadLetter[]>();

  beforeAll(async () => {
    await broker.up();
    await proxy.start();
    components = await startSimulatedComponents({ KAFKA_BROKERS: broker.brokers });
    pool = new Pool({ connectionString: components.db.url, max: 2 });
    pool.on('error', () => undefined);
    const env: NodeJS.ProcessEnv = {
      ...components.env,
      SCHEMA_REGISTRY_URL: proxy.url,
      API_TOKENS: `reader:hostile-test:${createHash('sha256').update(readerToken).digest('hex')}`,
    };
    const [ingestPort, checkerPort, port] = await freePorts(3);
    apiPort = port;
    services = [
      spawnService('ingest', ingestPort, env),
      spawnService('checker', checkerPort, env),
      spawnService('api', apiPort, env),
    ];
    await Promise.all(services.map((service) => service.healthy(120_000)));
    observer = await components.simApp.get(EventSubscriber).subscribe({
      groupId: `${components.prefix}-hostile-observer`,
      topics: [DEAD_LETTER_TOPIC],
      handler: (received) => {
        const letter = received.event;
        const key = letter.key?.toString('utf8') ?? '';
        letters.set(key, [...(letters.get(key) ?? []), letter]);
        return Promise.resolve();
      },
    });
  }, 300_000);

  afterAll(async () => {
    await cleanUp([
      () => observer?.stop(),
      () => stopAll(services),
      () => components?.simApp.close(),
      () => pool?.end(),
      () => components?.db.drop(),
      () => proxy.stop(),
      () => broker.remove(),
    ]);
  });

  function expectAllRunning(): void {
    for (const service of services) {
      if (!service.running) throw new Error(service.describeExit());
    }
  }

  async function checkedRuns(runIds: string[]): Promise<Array<{ source_id: string }>> {
    const { rows } = await pool.query<{ source_id: string }>(
      `SELECT DISTINCT source_id FROM sync_events WHERE source_id = ANY($1::text[])`,
      [runIds],
    );
    return rows;
  }

  /** The registry id of each inbound topic's schema, as Bridge's own producers frame it. */
  async function registeredIds(): Promise<Map<Topic, number>> {
    const publisher = components.simApp.get(EventPublisher);
    const ids = new Map<Topic, number>();
    for (const topic of INBOUND_TOPICS) {
      const bytes = await publisher.encode(topic, sampleEvent(topic) as never);
      ids.set(topic, bytes.readUInt32BE(1));
    }
    return ids;
  }

  it('dead-letters every length bomb once, naming its field, while runs among them are checked', async () => {
    const publisher = components.simApp.get(EventPublisher);
    const ids = await registeredIds();
    const bombs = INBOUND_TOPICS.flatMap((topic) =>
      lengthBombsFor(topic).map((bomb, i) => ({ topic, key: `bomb-${topic}-${i}`, bomb })),
    );
    expect(bombs.length).toBeGreaterThan(40);
    const rssBefore = rssMiB(services[0].child.pid);

    const runs: string[] = [];
    for (const [i, { topic, key, bomb }] of bombs.entries()) {
      await publisher.publishRaw(topic, key, framed(ids.get(topic) ?? 0, bomb.body));
      if (i % 4 === 0) runs.push((await components.sim.completeRun({ outputs: 2 })).runId);
    }

    await eventually(
      () => (bombs.every(({ key }) => letters.has(key)) ? true : undefined),
      120_000,
      `a dead letter for each of the ${bombs.length} length bombs`,
    );
    await eventually(
      async () => ((await checkedRuns(runs)).length === runs.length ? true : undefined),
      120_000,
      `a finding for each of the ${runs.length} runs among the bombs`,
    );
    for (const { key, bomb } of bombs) {
      const seen = letters.get(key) ?? [];
      expect({ key, count: seen.length }).toEqual({ key, count: 1 });
      expect({ bomb: bomb.label, reason: seen[0].reason }).toEqual({
        bomb: bomb.label,
        reason: expect.stringContaining(`field ${bomb.field}:`) as unknown,
      });
      expect(seen[0].failure_kind).toBe('undecodable');
    }
    expectAllRunning();
    expect(rssMiB(services[0].child.pid) - rssBefore).toBeLessThan(100);

    // The dead-letter API shows a bomb's bytes without decoding them into memory.
    const [first] = letters.get(bombs[0].key) ?? [];
    const detail = await eventually(async () => {
      const response = await fetch(
        `http://127.0.0.1:${apiPort}/api/v1/bridge/sync/dead-letters/${first.event_id}`,
        { headers: { authorization: `Bearer ${readerToken}` }, signal: AbortSignal.timeout(5_000) },
      );
      return response.status === 200
        ? ((await response.json()) as { decode_error: string | null; payload_decoded: unknown })
        : undefined;
    }, 60_000);
    expect(detail.payload_decoded).toBeNull();
    expect(detail.decode_error).toMatch(/^undecodable: /);
    expect(detail.decode_error).toContain(`field ${bombs[0].bomb.field}:`);
    expectAllRunning();
  }, 300_000);

  it('costs a bounded number of registry requests and flat memory for 10,000 random schema ids', async () => {
    const publisher = components.simApp.get(EventPublisher);
    const ids = await registeredIds();
    const valid = await publisher.encode(
      'cappella.run.completed',
      sampleEvent('cappella.run.completed') as never,
    );
    const known = new Set(ids.values());
    const randomIds = new Set<number>();
    while (randomIds.size < RANDOM_IDS) {
      const id = 1_000 + Math.floor(Math.random() * 2_000_000_000);
      if (!known.has(id)) randomIds.add(id);
    }
    const records = [...randomIds].map((id, i) => ({
      topic: INBOUND_TOPICS[i % INBOUND_TOPICS.length],
      key: `random-id-${i}`,
      value: framed(id, valid.subarray(5)),
    }));

    const rssBefore = rssMiB(services[0].child.pid);
    const requestsBefore = proxy.requests;
    const started = Date.now();
    const runs: string[] = [];
    for (let i = 0; i < records.length; i += 500) {
      await Promise.all(
        records
          .slice(i, i + 500)
          .map(({ topic, key, value }) => publisher.publishRaw(topic, key, value)),
      );
      runs.push((await components.sim.completeRun({ outputs: 1 })).runId);
    }
    await eventually(
      () => (records.every(({ key }) => letters.has(key)) ? true : undefined),
      240_000,
      `a dead letter for each of the ${RANDOM_IDS} records with made-up schema ids`,
    );
    const seconds = (Date.now() - started) / 1_000;
    const requests = proxy.requests - requestsBefore;
    await eventually(
      async () => ((await checkedRuns(runs)).length === runs.length ? true : undefined),
      120_000,
      `a finding for each of the ${runs.length} runs among them`,
    );

    for (const { key } of records) {
      const seen = letters.get(key) ?? [];
      expect(seen).toHaveLength(1);
      expect(seen[0].reason).toMatch(/schema id \d+ is not registered under subject .+-value/);
    }
    // At most one listing per inbound subject per second, plus the runs' own lookups.
    expect(requests).toBeLessThanOrEqual(INBOUND_TOPICS.length * (Math.ceil(seconds) + 2));
    expectAllRunning();
    expect(rssMiB(services[0].child.pid) - rssBefore).toBeLessThan(100);
    process.stdout.write(
      `${RANDOM_IDS} made-up schema ids: ${requests} registry requests in ${seconds.toFixed(1)} s; ingest RSS ${rssBefore.toFixed(0)} -> ${rssMiB(services[0].child.pid).toFixed(0)} MiB\n`,
    );
  }, 420_000);
});

/** A valid event of each inbound topic, for its schema id. */
function sampleEvent(topic: Topic): Record<string, unknown> {
  const base = { event_id: randomUUID(), occurred_at: Date.now() };
  switch (topic) {
    case 'cappella.run.completed':
      return { ...base, run_id: 'r', pipeline_id: 'p', outputs: [], actor: 'hostile' };
    case 'cappella.run.failed':
      return {
        ...base,
        run_id: 'r',
        pipeline_id: 'p',
        error: 'e',
        partial_outputs: [],
        actor: 'hostile',
      };
    case 'cappella.reconciliation.completed':
      return { ...base, scan_id: 's', discrepancy_count: 0, resolved_count: 0 };
    case 'hippo.ingest.batch_completed':
      return { ...base, batch_id: 'b', entity_type: 'sample', count: 1, actor: 'hostile' };
    case 'hippo.entities.availability_changed':
      return { ...base, change: 'AVAILABLE', entities: [], actor: 'hostile' };
    case 'canon.cache.evicted':
      return { ...base, artifact_ids: [], reason: 'hostile' };
    default:
      throw new Error(`${topic} is not inbound`);
  }
}
