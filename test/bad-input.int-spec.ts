/**
 * Malformed messages among good ones, on the real stack: a generator (fast-check, seeded)
 * sends well over a thousand bad records to the inbound topics — random bytes, a wrong magic
 * byte, an unknown schema id, a valid Avro record of another topic's schema, truncated
 * records, payloads of hundreds of kilobytes, records written with a schema that lacks a
 * required field or gives a field another type, empty bodies and events that decode but say
 * nothing usable — interleaved with runs from the simulator. Every bad record ends in the
 * dead-letter topic exactly once with a reason, every good run gets its one correct finding,
 * and ingest and checker stay ready with nothing left behind.
 *
 * On a broker of its own (`PrivateBroker`): the bad records, tens of megabytes of them, would
 * otherwise stay on the shared broker's topics for every later suite's new consumer groups to
 * read (and dead-letter) again from the beginning.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import fc from 'fast-check';
import request from 'supertest';
import { TopicSchemas, Topics, type Topic } from '@bridge/contracts';
import { EventPublisher } from '@bridge/messaging';
import { framed } from '../libs/messaging/test/length-bombs';
import { eventually, stackEnv } from './stack-config';
import { startPipeline, type Pipeline } from './pipeline-harness';
import { PrivateBroker } from './private-broker';
import { cleanUp } from './service-processes';

const SEED = 13_001;
const BAD_RECORDS = 1_200;
const GOOD_RUNS = 40;
const INBOUND: Topic[] = [
  Topics.CappellaRunCompleted,
  Topics.CappellaRunFailed,
  Topics.HippoIngestBatchCompleted,
  Topics.HippoEntitiesAvailabilityChanged,
  Topics.CanonCacheEvicted,
];

type AvroField = { name: string; type: unknown; default?: unknown };
type AvroRecord = { type: 'record'; name: string; namespace?: string; fields: AvroField[] };

describe('bad input on the inbound topics', () => {
  const broker = new PrivateBroker();
  let pipeline: Pipeline;
  let registry: SchemaRegistry;
  /** Bytes of writer schemas that cannot be read as the topic's own (registered for the test). */
  let lacksField: number;
  let otherType: number;
  let goodBytes: Buffer;

  beforeAll(async () => {
    await broker.up();
    pipeline = await startPipeline({ env: { KAFKA_BROKERS: broker.brokers } });
    registry = new SchemaRegistry({ host: stackEnv().registryUrl });
    const own = TopicSchemas[Topics.CappellaRunCompleted].schema as unknown as AvroRecord;
    const subject = `bridge-fuzz-${randomUUID().slice(0, 8)}`;
    const withoutPipeline: AvroRecord = {
      ...own,
      fields: own.fields.filter((field) => field.name !== 'pipeline_id'),
    };
    const runIdAsInt: AvroRecord = {
      ...own,
      fields: own.fields.map((field) =>
        field.name === 'run_id' ? { name: 'run_id', type: 'long' } : field,
      ),
    };
    lacksField = (
      await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(withoutPipeline) },
        { subject: `${subject}-a` },
      )
    ).id;
    otherType = (
      await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(runIdAsInt) },
        { subject: `${subject}-b` },
      )
    ).id;
    goodBytes = await pipeline.simApp.get(EventPublisher).encode(Topics.CappellaRunCompleted, {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      run_id: `fuzz-shape-${randomUUID()}`,
      pipeline_id: 'align-reads',
      outputs: [],
      actor: 'fuzz',
    });
  }, 300_000);

  afterAll(async () => {
    await cleanUp([() => pipeline?.close(), () => broker.remove()]);
  });

  it('dead-letters every bad record once with a reason and checks every good run', async () => {
    const publisher = pipeline.simApp.get(EventPublisher);
    const registeredId = goodBytes.readUInt32BE(1);
    const lacksBody = await registry.encode(lacksField, {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      run_id: 'fuzz-lacks-field',
      outputs: [],
      actor: 'fuzz',
    });
    const otherTypeBody = await registry.encode(otherType, {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      run_id: 42,
      pipeline_id: 'p',
      outputs: [],
      actor: 'fuzz',
    });
    const hippoBytes = await publisher.encode(Topics.HippoIngestBatchCompleted, {
      event_id: randomUUID(),
      occurred_at: Date.now(),
      batch_id: 'fuzz-batch',
      entity_type: 'sample',
      count: 3,
      actor: 'fuzz',
    });

    const badRecord = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc
        .uint8Array({ minLength: 1, maxLength: 64 })
        .map((bytes) => framed(registeredId, Buffer.from(bytes), 1)),
      fc
        .integer({ min: 9_000_000, max: 2_000_000_000 })
        .map((id) => framed(id, goodBytes.subarray(5))),
      fc.integer({ min: 6, max: goodBytes.length - 1 }).map((end) => goodBytes.subarray(0, end)),
      fc.constant(hippoBytes),
      fc.constant(lacksBody),
      fc.constant(otherTypeBody),
      fc.integer({ min: 200_000, max: 700_000 }).map((size) => Buffer.alloc(size, 0x41)),
      fc.constant(Buffer.alloc(0)),
    );
    const records = fc.sample(fc.tuple(fc.constantFrom(...INBOUND), badRecord), {
      numRuns: BAD_RECORDS,
      seed: SEED,
    });
    // A record that is another topic's valid event is bad only on the topics it does not belong to.
    const bad = records.filter(
      ([topic, value]) => !(topic === Topics.HippoIngestBatchCompleted && value === hippoBytes),
    );

    const runs: string[] = [];
    const chunk = Math.ceil(bad.length / GOOD_RUNS);
    for (let i = 0; i < GOOD_RUNS; i += 1) {
      const slice = bad.slice(i * chunk, (i + 1) * chunk);
      await Promise.all(
        slice.map(([topic, value], j) =>
          publisher.publishRaw(topic, `fuzz-${i * chunk + j}`, value),
        ),
      );
      runs.push(
        (await pipeline.sim.completeRun({ outputs: 2, missing: i % 5 === 0 ? 1 : 0 })).runId,
      );
    }

    const deadLetterKeys = () =>
      pipeline.observed
        .filter((received) => received.topic === Topics.BridgeDlqEvents)
        .map(
          (received) =>
            received.event as { key: Buffer | null; reason: string; failure_kind: string },
        )
        .filter((letter) => letter.key?.toString().startsWith('fuzz-'));
    await eventually(
      () => (deadLetterKeys().length >= bad.length ? true : undefined),
      180_000,
      `a dead letter for each of the ${bad.length} bad records`,
    );
    const rows = await eventually(
      async () => {
        const found = await pipeline.rows(runs);
        return found.length >= runs.length ? found : undefined;
      },
      120_000,
      'a finding for every good run',
    );

    const letters = deadLetterKeys();
    const keys = letters.map((letter) => letter.key?.toString());
    expect(new Set(keys).size).toBe(bad.length);
    expect(keys).toHaveLength(bad.length);
    expect(letters.every((letter) => letter.reason.length > 0)).toBe(true);
    expect(letters.filter((l) => !['undecodable', 'invalid'].includes(l.failure_kind))).toEqual([]);

    expect(rows).toHaveLength(runs.length);
    const truth = pipeline.sim.truth().runs;
    for (const row of rows) {
      const expected = truth[row.sourceId];
      expect(row.eventType).toBe(
        expected?.kind === 'missing_entity' ? 'bridge.sync.mismatch' : 'bridge.sync.ok',
      );
    }
    for (const app of [pipeline.ingest, pipeline.checker]) {
      if (!app) throw new Error('the checker runs in this process here');
      await request(app.getHttpServer() as Server)
        .get('/health/ready')
        .expect(200);
    }
  }, 420_000);
});
