/**
 * The messaging library on a real broker and a real schema registry: events round-trip
 * through Kafka in the Confluent wire format, and what cannot be decoded is dead-lettered
 * with its reason and bytes while the partition keeps moving.
 */
import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { DEAD_LETTER_TOPIC, Topics, type DeadLetter, type EventOf } from '@bridge/contracts';
import { createTransport, type Subscription, type Transport } from '@bridge/messaging';
import { eventually, kafkaTransport, stackConfig } from '../../../test/stack-config';

type KafkaTransport = Extract<Transport, { kind: 'kafka' }>;

describe('Kafka transport (real broker and registry)', () => {
  const config = stackConfig();
  const registryUrl = kafkaTransport(config).registry.url;
  let transport: KafkaTransport;
  const subscriptions: Subscription[] = [];

  beforeAll(() => {
    const created = createTransport(config);
    if (created.kind !== 'kafka') throw new Error('expected Kafka');
    transport = created;
  });

  afterAll(async () => {
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await transport.connection.close();
  });

  const runCompleted = (runId: string): EventOf<'cappella.run.completed'> => ({
    event_id: randomUUID(),
    occurred_at: Date.now(),
    run_id: runId,
    pipeline_id: 'rnaseq-v3',
    outputs: [
      { entity_type: 'sample', external_id: `${runId}-S1` },
      { entity_type: 'alignment', external_id: `${runId}-A1` },
    ],
    actor: 'pipeline-bot',
  });

  it('publishes an event with its schema registered as <topic>-value and consumes it back decoded and equal', async () => {
    const runId = `run-${randomUUID()}`;
    const received: Array<EventOf<'cappella.run.completed'>> = [];
    const keys: Array<string | null> = [];
    subscriptions.push(
      await transport.subscriber.subscribe({
        groupId: `round-trip-${randomUUID()}`,
        topics: [Topics.CappellaRunCompleted],
        handler: (message) => {
          if (message.event.run_id === runId) {
            received.push(message.event);
            keys.push(message.key);
          }
          return Promise.resolve();
        },
      }),
    );
    const event = runCompleted(runId);
    await transport.publisher.publish(Topics.CappellaRunCompleted, event, runId);

    await eventually(
      () => (received.length > 0 ? true : undefined),
      60_000,
      'the event to come back',
    );
    expect(received).toEqual([event]);
    expect(keys).toEqual([runId]);

    const latest = (await (
      await fetch(`${registryUrl}/subjects/cappella.run.completed-value/versions/latest`)
    ).json()) as { id: number; schema: string };
    expect(JSON.parse(latest.schema)).toMatchObject({
      name: 'RunCompleted',
      namespace: 'bridge.events.cappella',
    });
    expect(await transport.connection.codec.schemaIdFor(Topics.CappellaRunCompleted)).toBe(
      latest.id,
    );
  });

  it('writes the same bytes as the registry client, which any Confluent consumer reads back', async () => {
    // The codec frames messages itself (see RegistryAvroCodec.encode); this keeps it honest
    // against the reference implementation of the wire format.
    const event = runCompleted(`run-${randomUUID()}`);
    const codec = transport.connection.codec;
    const ours = await codec.encode(Topics.CappellaRunCompleted, event);
    const client = new SchemaRegistry({ host: registryUrl });
    const id = await codec.schemaIdFor(Topics.CappellaRunCompleted);
    expect(ours.equals(await client.encode(id, event))).toBe(true);
    expect(await client.decode(ours)).toEqual(event);
  });

  it('dead-letters undecodable messages with the reason and the original bytes, and still delivers the next good event', async () => {
    const runId = `run-${randomUUID()}`;
    const garbage = Buffer.from(`not avro at all ${runId}`);
    const unknownSchemaId = Buffer.concat([
      Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]),
      // Unique per run, so a dead letter left by an earlier run on the same broker never counts.
      Buffer.from(`body ${runId}`),
    ]);
    const good: string[] = [];
    const deadLetters: DeadLetter[] = [];
    subscriptions.push(
      await transport.subscriber.subscribe({
        groupId: `dlq-source-${randomUUID()}`,
        topics: [Topics.CappellaRunCompleted],
        handler: (message) => {
          if (message.event.run_id === runId) good.push(message.event.event_id);
          return Promise.resolve();
        },
      }),
      await transport.subscriber.subscribe({
        groupId: `dlq-reader-${randomUUID()}`,
        topics: [DEAD_LETTER_TOPIC],
        handler: (message) => {
          const payload = message.event.payload;
          if (payload && (payload.equals(garbage) || payload.equals(unknownSchemaId))) {
            deadLetters.push(message.event);
          }
          return Promise.resolve();
        },
      }),
    );
    // Same key: same partition, so the good event is behind the two poison messages.
    await transport.publisher.publishRaw(Topics.CappellaRunCompleted, runId, garbage);
    await transport.publisher.publishRaw(Topics.CappellaRunCompleted, runId, unknownSchemaId);
    const event = runCompleted(runId);
    await transport.publisher.publish(Topics.CappellaRunCompleted, event, runId);

    await eventually(
      () =>
        good.length > 0 &&
        deadLetters.some((letter) => letter.payload?.equals(garbage)) &&
        deadLetters.some((letter) => letter.payload?.equals(unknownSchemaId))
          ? true
          : undefined,
      60_000,
      'dead letters',
    );
    expect(good).toEqual([event.event_id]);
    const byPayload = (bytes: Buffer) =>
      deadLetters.find((letter) => letter.payload?.equals(bytes));
    expect(byPayload(garbage)).toMatchObject({
      source_topic: 'cappella.run.completed',
      failure_kind: 'undecodable',
      attempts: 1,
      reason: expect.stringMatching(/Confluent wire format/),
    });
    expect(byPayload(garbage)?.key?.toString()).toBe(runId);
    expect(byPayload(unknownSchemaId)).toMatchObject({ failure_kind: 'undecodable' });
    expect(byPayload(unknownSchemaId)?.reason).toMatch(
      /schema id \d+ is not registered under subject cappella.run.completed-value/,
    );
  });

  it('has the registry refuse an incompatible new version of a subject', async () => {
    const subject = `compat-probe-${randomUUID()}-value`;
    const post = (schema: object) =>
      fetch(`${registryUrl}/subjects/${subject}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: JSON.stringify(schema) }),
      });
    const v1 = { type: 'record', name: 'Probe', fields: [{ name: 'id', type: 'string' }] };
    expect((await post(v1)).status).toBe(200);
    const config = await fetch(`${registryUrl}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    expect(config.status).toBe(200);
    const optional = {
      ...v1,
      fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }],
    };
    expect((await post(optional)).status).toBe(200);
    const incompatible = { ...v1, fields: [...v1.fields, { name: 'owner', type: 'string' }] };
    expect((await post(incompatible)).status).toBe(409);
  });
});
