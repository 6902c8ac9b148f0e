import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CHECKER_GROUP, checkerGroupOf } from '@bridge/checks';
import { validateAsyncApi } from '../../../tools/contracts/asyncapi-validation';
import { ASYNCAPI_FILE, SCHEMAS_DIR } from '../../../tools/contracts/paths';
import { INGEST_GROUP } from '../../ingest/src/inbound-event-ingestor';
import { INGEST_PATH } from '../../query-api/src/api-http';
import { DEAD_LETTER_ARCHIVE_GROUP } from '../../query-api/src/dead-letters/dead-letter-archive.controller';
import { REPAIR_GROUP } from '../../repair/src/repair-findings.controller';
import {
  AVRO_SCHEMA_FORMAT,
  asyncApiDocument,
  messageIdOf,
  receiveOperationIdOf,
  sendOperationIdOf,
  type AsyncApiDocument,
  type AsyncApiOperation,
} from './asyncapi-document';
import {
  DEAD_LETTER_TOPIC,
  INBOUND_TOPICS,
  OUTBOUND_TOPICS,
  RETRY_TIER_TOPICS,
  subjectFor,
} from './event-types';
import { Topics, TopicSchemas, type Topic } from './generated/events';
import { inboundPartitionKey } from './inbound-partition-key';
import { readSchemaHistories } from './schema-history';

const topics = Object.keys(TopicSchemas) as Topic[];
const CHECK_TOPICS = [
  Topics.BridgeInternalChecks,
  Topics.BridgeInternalChecksRecheck,
  ...RETRY_TIER_TOPICS,
] as const;

/** The messages an operation names, as `<topic>.v<N>` message ids. */
function messageIdsOf(operation: AsyncApiOperation): string[] {
  return operation.messages.map(({ $ref }) => {
    const match = /^#\/channels\/([^/]+)\/messages\/v(\d+)$/.exec($ref);
    if (!match) throw new Error(`not a channel message reference: ${$ref}`);
    return messageIdOf(match[1] as Topic, Number(match[2]));
  });
}

function groupOf(document: AsyncApiDocument, topic: Topic): string | undefined {
  return document.operations[receiveOperationIdOf(topic)]?.bindings.kafka.groupId?.default;
}

describe('the AsyncAPI document', () => {
  const document = asyncApiDocument();

  it('is valid AsyncAPI 3.0.0 to the official parser, without errors or warnings', async () => {
    expect(document.asyncapi).toBe('3.0.0');
    const { document: parsed, problems } = await validateAsyncApi(document);
    expect(problems).toEqual([]);
    expect(parsed).toBeDefined();
    expect(parsed?.channels().length).toBe(topics.length);
    expect(parsed?.servers().get('kafka')?.protocol()).toBe('kafka');
  });

  it('would be refused by the parser if an operation named a message of another channel', async () => {
    const broken = asyncApiDocument();
    broken.operations[receiveOperationIdOf(Topics.CappellaRunCompleted)].messages.push({
      $ref: '#/channels/bridge.sync.ok/messages/v1',
    });
    const { problems } = await validateAsyncApi(broken);
    expect(problems.join('\n')).toContain('asyncapi3-operation-messages-from-referred-channel');
  });

  it('has one channel per topic with a schema, at the topic', () => {
    expect(Object.keys(document.channels).sort()).toEqual([...topics].sort());
    for (const topic of topics) expect(document.channels[topic].address).toBe(topic);
  });

  it("carries each topic's current Avro schema as its current message's payload", () => {
    for (const topic of topics) {
      const { version, schema } = TopicSchemas[topic];
      const message = document.components.messages[messageIdOf(topic, version)];
      expect(message.payload).toEqual({ schemaFormat: AVRO_SCHEMA_FORMAT, schema });
      expect(message['x-schema-version']).toBe(version);
      expect(message['x-registry-subject']).toBe(`${topic}-value`);
      expect(message['x-registry-subject']).toBe(subjectFor(topic));
    }
  });

  it('lists every version in schemas/ as a message of its channel, with that version as payload', () => {
    const histories = readSchemaHistories(SCHEMAS_DIR);
    expect([...histories.keys()].sort()).toEqual([...topics].sort());
    // bridge.sync.repaired has two versions: the listing must not be only the current one.
    expect(histories.get(Topics.BridgeSyncRepaired)?.length).toBeGreaterThan(1);
    for (const [topic, history] of histories) {
      const channel = document.channels[topic];
      expect(Object.keys(channel.messages)).toEqual(history.map(({ version }) => `v${version}`));
      for (const { version, schema } of history) {
        const id = messageIdOf(topic as Topic, version);
        expect(channel.messages[`v${version}`]).toEqual({ $ref: `#/components/messages/${id}` });
        expect(document.components.messages[id].payload.schema).toEqual(schema);
      }
    }
  });

  it('describes the Confluent framing and the message key of every message', () => {
    for (const message of Object.values(document.components.messages)) {
      expect(message.bindings.kafka).toMatchObject({
        schemaIdLocation: 'payload',
        schemaIdPayloadEncoding: 'confluent',
        schemaLookupStrategy: 'TopicNameStrategy',
        key: { type: 'string', description: expect.any(String) },
      });
      expect(message.description).toContain('magic byte 0');
      expect(message.description).toContain('de-duplicates on it');
    }
  });

  it('has Bridge send only its current version, and receive every version', () => {
    for (const topic of topics) {
      const versions = Object.keys(document.channels[topic].messages).length;
      const send = document.operations[sendOperationIdOf(topic)];
      const receive = document.operations[receiveOperationIdOf(topic)];
      if (send) {
        expect(send.action).toBe('send');
        expect(messageIdsOf(send)).toEqual([messageIdOf(topic, TopicSchemas[topic].version)]);
      }
      if (receive) {
        expect(receive.action).toBe('receive');
        expect(messageIdsOf(receive)).toHaveLength(versions);
      }
      for (const operation of [send, receive]) {
        if (operation) expect(operation.channel).toEqual({ $ref: `#/channels/${topic}` });
      }
    }
  });

  it('has ingest receive the inbound topics, which only HTTP ingestion (the api) publishes', () => {
    for (const topic of INBOUND_TOPICS) {
      const receive = document.operations[receiveOperationIdOf(topic)];
      expect(receive.tags).toEqual([{ name: 'ingest' }]);
      expect(receive.bindings.kafka.groupId?.default).toBe('bridge-ingest');
      const send = document.operations[sendOperationIdOf(topic)];
      expect(send.tags).toEqual([{ name: 'api' }]);
      expect(send.description).toContain(`POST /${INGEST_PATH}/<topic>`);
      expect(document.channels[topic].tags[0].name).toBe('inbound');
    }
    expect(document.channels[Topics.CappellaRunCompleted].description).toContain('Cappella');
    expect(document.channels[Topics.HippoIngestBatchCompleted].description).toContain('Hippo');
    expect(document.channels[Topics.CanonCacheEvicted].description).toContain('Canon');
  });

  it('documents as inbound keys those HTTP ingestion produces with (inboundPartitionKey)', () => {
    const keyOf = (topic: Topic) =>
      document.components.messages[messageIdOf(topic, TopicSchemas[topic].version)].bindings.kafka
        .key.description;
    const envelope = { event_id: '0b9f4c1e-5b1a-4d7e-9a43-6f1d2c3b4a59', occurred_at: 1 };
    const entities = [
      { entity_type: 'sample', external_id: 'S-1' },
      { entity_type: 'sample', external_id: 'S-2' },
    ];
    const run = { ...envelope, run_id: 'run-1', pipeline_id: 'p', actor: 'a' };
    expect(inboundPartitionKey(Topics.CappellaRunCompleted, { ...run, outputs: entities })).toBe(
      'run-1',
    );
    expect(keyOf(Topics.CappellaRunCompleted)).toContain('`run_id`');
    expect(
      inboundPartitionKey(Topics.CappellaRunFailed, { ...run, error: 'e', partial_outputs: [] }),
    ).toBe('run-1');
    expect(keyOf(Topics.CappellaRunFailed)).toContain('`run_id`');
    expect(
      inboundPartitionKey(Topics.CappellaReconciliationCompleted, {
        ...envelope,
        scan_id: 'scan-1',
        discrepancy_count: 0,
        resolved_count: 0,
      }),
    ).toBe('scan-1');
    expect(keyOf(Topics.CappellaReconciliationCompleted)).toContain('`scan_id`');
    expect(
      inboundPartitionKey(Topics.HippoIngestBatchCompleted, {
        ...envelope,
        batch_id: 'batch-1',
        entity_type: 'sample',
        count: 2,
        actor: 'a',
      }),
    ).toBe('batch-1');
    expect(keyOf(Topics.HippoIngestBatchCompleted)).toContain('`batch_id`');
    expect(
      inboundPartitionKey(Topics.HippoEntitiesAvailabilityChanged, {
        ...envelope,
        change: 'DELETED',
        entities,
        actor: 'a',
      }),
    ).toBe('sample:S-1');
    expect(keyOf(Topics.HippoEntitiesAvailabilityChanged)).toContain(
      'first entity of `entities`, as `entity_type:external_id`',
    );
    expect(
      inboundPartitionKey(Topics.CanonCacheEvicted, {
        ...envelope,
        artifact_ids: ['artifact-1', 'artifact-2'],
        reason: 'sweep',
      }),
    ).toBe('artifact-1');
    expect(keyOf(Topics.CanonCacheEvicted)).toContain('first artifact id');
  });

  it('has Bridge publish the outbound topics for the observability stack, and stale caches for Canon', () => {
    for (const topic of OUTBOUND_TOPICS) {
      const send = document.operations[sendOperationIdOf(topic)];
      expect(send.action).toBe('send');
      expect(send.description).toContain('observability stack');
      expect(document.channels[topic].tags[0].name).toBe('outbound');
    }
    expect(document.operations[sendOperationIdOf(Topics.BridgeSyncStaleCache)].description).toMatch(
      /Canon, which may evict/,
    );
    const publishersOf = (topic: Topic) =>
      document.operations[sendOperationIdOf(topic)].tags.map((tag) => tag.name).sort();
    expect(publishersOf(Topics.BridgeSyncMismatch)).toEqual(['checker', 'scanner']);
    expect(publishersOf(Topics.BridgeSyncRepaired)).toEqual(['api', 'checker', 'ingest', 'repair']);
    expect(document.operations[receiveOperationIdOf(Topics.BridgeSyncRepaired)]).toBeUndefined();
  });

  it("names the consumer groups the services really use (with the default prefix 'bridge')", () => {
    for (const topic of INBOUND_TOPICS)
      expect(groupOf(document, topic)).toBe(`bridge-${INGEST_GROUP}`);
    for (const topic of CHECK_TOPICS) {
      expect(groupOf(document, topic)).toBe(`bridge-${checkerGroupOf(topic)}`);
      expect(document.operations[receiveOperationIdOf(topic)].tags).toEqual([{ name: 'checker' }]);
    }
    expect(groupOf(document, Topics.BridgeInternalChecks)).toBe(`bridge-${CHECKER_GROUP}`);
    for (const topic of [
      Topics.BridgeSyncOk,
      Topics.BridgeSyncMismatch,
      Topics.BridgeSyncStaleCache,
    ]) {
      expect(groupOf(document, topic)).toBe(`bridge-${REPAIR_GROUP}`);
    }
    expect(groupOf(document, DEAD_LETTER_TOPIC)).toBe(`bridge-${DEAD_LETTER_ARCHIVE_GROUP}`);
  });

  it('has a kafka server whose host is a variable', () => {
    const server = document.servers.kafka;
    expect(server).toMatchObject({ host: '{broker}', protocol: 'kafka' });
    expect(server.variables.broker.default).toMatch(/^[\w.-]+:\d+$/);
  });

  it('is what docs/asyncapi.yaml holds (run `npm run contracts:generate` if not)', () => {
    expect(parse(readFileSync(ASYNCAPI_FILE, 'utf8'))).toEqual(asyncApiDocument());
  });

  it('is a fresh object on each call, so a caller changing it changes nothing else', () => {
    const first = asyncApiDocument();
    first.components.messages[messageIdOf(Topics.BridgeSyncOk, 1)].payload.schema = null;
    expect(asyncApiDocument()).toEqual(document);
    expect(TopicSchemas[Topics.BridgeSyncOk].schema).toEqual(
      document.components.messages[messageIdOf(Topics.BridgeSyncOk, 1)].payload.schema,
    );
  });
});
