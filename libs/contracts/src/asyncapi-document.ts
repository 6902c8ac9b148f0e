/**
 * The AsyncAPI 3.0 document of Bridge Sync's Kafka topics: for every topic with a schema, its
 * channel, one message per schema version (the Avro schema as payload, the message key and the
 * registry framing as Kafka bindings), and what Bridge does with it, as `send` and `receive`
 * operations seen from Bridge, with the components and observers named in the descriptions.
 *
 * Built from the generated contracts alone, so the api service can serve it without reading
 * files. `npm run contracts:generate` writes it to docs/asyncapi.yaml, `npm run schemas:check`
 * fails when that file is stale or the official parser finds fault with it, and the query API
 * serves it next to its OpenAPI document. docs/events.md explains it.
 *
 * Every claim in the per-topic table below is about what the code does (who publishes, with
 * which key, which consumer group reads): when one of those changes, change the table too.
 */
import { TopicSchemas, type Topic } from './generated/events';
import { TopicSchemaVersions } from './generated/schema-versions';
import { subjectFor } from './event-types';

export const ASYNCAPI_VERSION = '3.0.0';
export const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro;version=1.9.0';
/** The body after the Confluent framing is Avro binary; the framing itself has no media type. */
export const AVRO_CONTENT_TYPE = 'application/vnd.apache.avro+binary';
const KAFKA_SERVER = 'kafka';
const KAFKA_BINDING_VERSION = '0.5.0';
/** The query API's HTTP ingestion (its `INGEST_PATH`, which this library cannot import). */
const HTTP_INGEST_PATH = '/api/v1/bridge/sync/ingest';
/** The CONSUMER_GROUP_PREFIX default; a deployment may choose another. */
const DEFAULT_GROUP_PREFIX = 'bridge';
/** The KAFKA_CLIENT_ID default. */
const DEFAULT_CLIENT_ID = 'bridge-sync';

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON Schema (AsyncAPI Schema Object), as far as this document uses one. */
export interface JsonSchema {
  type: 'string' | 'object';
  description?: string;
  default?: string;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
}

export interface Reference {
  $ref: string;
}

export interface Tag {
  name: string;
  description?: string;
}

export interface AsyncApiMessage {
  name: string;
  title: string;
  summary?: string;
  description: string;
  contentType: string;
  headers: JsonSchema;
  payload: { schemaFormat: typeof AVRO_SCHEMA_FORMAT; schema: JsonValue };
  bindings: {
    kafka: {
      key: JsonSchema;
      schemaIdLocation: 'payload';
      schemaIdPayloadEncoding: 'confluent';
      schemaLookupStrategy: 'TopicNameStrategy';
      bindingVersion: typeof KAFKA_BINDING_VERSION;
    };
  };
  /** The registry subject the payload schema is registered under. */
  'x-registry-subject': string;
  /** The schema version, N of `schemas/<topic>/vN.avsc`. */
  'x-schema-version': number;
}

export interface AsyncApiChannel {
  address: string;
  title: string;
  summary: string;
  description: string;
  tags: Tag[];
  messages: Record<string, Reference>;
}

export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: Reference;
  title: string;
  summary: string;
  description: string;
  tags: Tag[];
  messages: Reference[];
  bindings: {
    kafka: { groupId?: JsonSchema; clientId: JsonSchema; bindingVersion: string };
  };
}

export interface AsyncApiDocument {
  asyncapi: typeof ASYNCAPI_VERSION;
  id: string;
  info: { title: string; version: string; description: string; license: { name: string } };
  defaultContentType: string;
  servers: Record<
    string,
    {
      host: string;
      protocol: 'kafka';
      title: string;
      description: string;
      variables: Record<string, { default: string; description: string; examples: string[] }>;
      bindings: {
        kafka: { schemaRegistryVendor: string; bindingVersion: string };
      };
    }
  >;
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  components: { messages: Record<string, AsyncApiMessage> };
}

/** Bridge's services, as they appear in operation tags. */
export type BridgeService = 'ingest' | 'checker' | 'repair' | 'scanner' | 'api';

/** The four kinds of topic of docs/design.md's topic tables. */
export type TopicRole = 'inbound' | 'internal' | 'outbound' | 'dead-letter';

interface TopicContract {
  role: TopicRole;
  title: string;
  /** What one message says. */
  meaning: string;
  /** Who writes the topic, outsiders included. */
  producers: string;
  /** Who reads the topic, outsiders included. */
  consumers: string;
  /** The Kafka message key: what it is, and so what stays in order. */
  key: string;
  /** Bridge's publishing, if it publishes (besides requeueing dead letters). */
  sends?: { by: BridgeService[]; what: string };
  /** Bridge's consuming, if it consumes: the service and its group (before the prefix). */
  receives?: { by: BridgeService; group: string; what: string };
}

const ROLE_TAGS: Record<TopicRole, Tag> = {
  inbound: {
    name: 'inbound',
    description:
      "Published by Cappella, Hippo or Canon (directly, or through Bridge's HTTP ingestion); consumed by Bridge ingest.",
  },
  internal: { name: 'internal', description: "Bridge's own check work; nobody else uses it." },
  outbound: {
    name: 'outbound',
    description: "Bridge's findings, for the observability stack and for Canon.",
  },
  'dead-letter': { name: 'dead-letter', description: 'What Bridge could not decode or handle.' },
};

const FINDING_OUTBOX =
  'It is published right after the finding is recorded; if that publish never completed, the outbox relay (run by the checker and by the scanner) sends it again under the same `event_id`.';

/**
 * An inbound topic: written by one component, on Kafka itself or through the api's HTTP
 * ingestion (`POST /<API_PREFIX>/ingest/<topic>`), which produces the records it admits with
 * the key the component would use (`inboundPartitionKey`), and read by ingest.
 */
function inboundTopic(topic: {
  component: 'Cappella' | 'Hippo' | 'Canon';
  title: string;
  meaning: string;
  key: string;
  ingestDoes: string;
}): TopicContract {
  return {
    role: 'inbound',
    title: topic.title,
    meaning: topic.meaning,
    producers: `${topic.component}, on Kafka itself or through Bridge's HTTP ingestion (the api).`,
    consumers: 'Bridge ingest, consumer group `<prefix>-ingest`.',
    key: topic.key,
    sends: {
      by: ['api'],
      what: `HTTP ingestion: the records ${topic.component} hands in at \`POST ${HTTP_INGEST_PATH}/<topic>\` (with a producer token) are checked against the schema and produced here as ${topic.component}'s own producer would write them, with the same key. Idempotent by \`event_id\`.`,
    },
    receives: {
      by: 'ingest',
      group: 'ingest',
      what: `claims the event id (a redelivery is dropped) and ${topic.ingestDoes}`,
    },
  };
}

const CHECK_WORK_KEY =
  'The run id for a check about a run; otherwise the first entity as `entity_type:external_id` (a staleness check); otherwise the check key. So the checks of one run stay in order.';

function retryTier(tier: 1 | 2 | 3): TopicContract {
  return {
    role: 'internal',
    title: `Check retries, tier ${tier}`,
    meaning: `A check whose component was unreachable on attempt ${tier}, waiting out the ${['first', 'second', 'third'][tier - 1]} delay of \`CHECK_RETRY_DELAYS_MS\` before it runs again (not before \`not_before\`, with \`delay_reason: retry\`). One topic per delay, so a long delay never holds up a shorter one.`,
    producers: 'Bridge checker.',
    consumers: `Bridge checker, consumer group \`<prefix>-checker-retry-${tier}\`.`,
    key: CHECK_WORK_KEY,
    sends: { by: ['checker'], what: 'puts a check here when a component could not be reached.' },
    receives: {
      by: 'checker',
      group: `checker-retry-${tier}`,
      what: 'holds each item until its `not_before`, then runs the check again.',
    },
  };
}

const TOPIC_CONTRACTS: Record<Topic, TopicContract> = {
  'cappella.run.completed': inboundTopic({
    component: 'Cappella',
    title: 'Run completed',
    meaning: 'Cappella finished a run; all its outputs should now be in Hippo.',
    key: 'The run id (`run_id`), so that the events of one run stay in order.',
    ingestDoes: 'publishes a `post_run` check on `bridge.internal.checks`.',
  }),
  'cappella.run.failed': inboundTopic({
    component: 'Cappella',
    title: 'Run failed',
    meaning: 'Cappella reports a failed run, which may have written some outputs before failing.',
    key: 'The run id (`run_id`), so that the events of one run stay in order.',
    ingestDoes:
      'publishes a `failed_run` check on `bridge.internal.checks` when `partial_outputs` is not empty.',
  }),
  'cappella.reconciliation.completed': inboundTopic({
    component: 'Cappella',
    title: 'Reconciliation completed',
    meaning: 'Cappella finished one of its own reconciliation scans.',
    key: 'The scan id (`scan_id`).',
    ingestDoes: 'records the event in the sync event log.',
  }),
  'hippo.ingest.batch_completed': inboundTopic({
    component: 'Hippo',
    title: 'Ingest batch completed',
    meaning: 'Hippo ingested a batch of entities.',
    key: 'The batch id (`batch_id`).',
    ingestDoes: 'records the event in the sync event log.',
  }),
  'hippo.entities.availability_changed': inboundTopic({
    component: 'Hippo',
    title: 'Entity availability changed',
    meaning: 'Hippo deleted entities, made them unavailable, or made them available again.',
    key: 'The first entity of `entities`, as `entity_type:external_id`.',
    ingestDoes:
      'publishes a `canon_staleness` check on `bridge.internal.checks` for `DELETED` and `UNAVAILABLE`.',
  }),
  'canon.cache.evicted': inboundTopic({
    component: 'Canon',
    title: 'Cache evicted',
    meaning: 'Canon evicted artifacts from its cache.',
    key: 'The first artifact id of `artifact_ids`.',
    ingestDoes:
      'records the event and resolves the stale-cache findings the eviction settles, announcing each on `bridge.sync.repaired`.',
  }),
  'bridge.internal.checks': {
    role: 'internal',
    title: 'Check work',
    meaning: 'A consistency check to run now.',
    producers:
      "Bridge ingest (checks that inbound events call for) and the checker (open findings its re-checker looks at again, on its schedule or when an operator asks through the api's re-check).",
    consumers: 'Bridge checker, consumer group `<prefix>-checker`.',
    key: CHECK_WORK_KEY,
    sends: {
      by: ['ingest', 'checker'],
      what: 'ingest publishes the checks of a batch of inbound events before it commits the batch; the checker publishes the checks of findings it looks at again.',
    },
    receives: {
      by: 'checker',
      group: 'checker',
      what: 'runs each check, records its finding and publishes it on `bridge.sync.*`.',
    },
  },
  'bridge.internal.checks.recheck': {
    role: 'internal',
    title: 'Check re-checks',
    meaning:
      'A check to run again later: an output still missing within the grace delay (`delay_reason: grace`), or a check whose lease another checker held (`lease`). It is not run before `not_before`.',
    producers: 'Bridge checker.',
    consumers: 'Bridge checker, consumer group `<prefix>-checker-recheck`.',
    key: CHECK_WORK_KEY,
    sends: {
      by: ['checker'],
      what: 'puts a check here when it is too early to call or another checker holds it.',
    },
    receives: {
      by: 'checker',
      group: 'checker-recheck',
      what: 'holds each item until its `not_before`, then runs the check again.',
    },
  },
  'bridge.internal.checks.retry.1': retryTier(1),
  'bridge.internal.checks.retry.2': retryTier(2),
  'bridge.internal.checks.retry.3': retryTier(3),
  'bridge.sync.ok': {
    role: 'outbound',
    title: 'Sync ok',
    meaning: 'A post-run check found every output of a completed run in Hippo.',
    producers: 'Bridge checker.',
    consumers:
      'The observability stack (dashboards, alerts); Bridge repair, consumer group `<prefix>-repair`.',
    key: 'The run id.',
    sends: { by: ['checker', 'scanner'], what: `the checker announces each ok. ${FINDING_OUTBOX}` },
    receives: {
      by: 'repair',
      group: 'repair',
      what: 'confirms sooner a repair whose resubmitted run this is.',
    },
  },
  'bridge.sync.mismatch': {
    role: 'outbound',
    title: 'Sync mismatch',
    meaning:
      'A discrepancy between the components, recorded as an open finding in the sync event log; `mismatch_type` says which.',
    producers: 'Bridge checker (post-run and failed-run checks) and scanner (full scans).',
    consumers:
      'The observability stack (dashboards, alerts); Bridge repair, consumer group `<prefix>-repair`.',
    key: "The finding's subject: the run id, or the orphaned entity as `entity_type:external_id` for an `orphan_provenance` a scan found.",
    sends: {
      by: ['checker', 'scanner'],
      what: `the checker and the scanner announce each new mismatch finding. ${FINDING_OUTBOX}`,
    },
    receives: {
      by: 'repair',
      group: 'repair',
      what: 'opens a repair job for the finding (a resubmission, as its strategy says) unless the strategy only alerts.',
    },
  },
  'bridge.sync.stale_cache': {
    role: 'outbound',
    title: 'Stale cache',
    meaning: 'Canon holds artifacts of entities that Hippo no longer offers.',
    producers: 'Bridge checker (staleness checks).',
    consumers:
      'The observability stack (dashboards, alerts); Canon, which may evict the artifacts as `eviction_mode` says; Bridge repair, consumer group `<prefix>-repair`.',
    key: 'The `event_id` of the `hippo.entities.availability_changed` event that triggered the check.',
    sends: {
      by: ['checker', 'scanner'],
      what: `the checker announces each stale cache it finds. ${FINDING_OUTBOX}`,
    },
    receives: {
      by: 'repair',
      group: 'repair',
      what: 'opens a repair job for the finding (an eviction, as its strategy says) unless the strategy only alerts.',
    },
  },
  'bridge.sync.repaired': {
    role: 'outbound',
    title: 'Sync repaired',
    meaning:
      'A finding was closed (`resolution`: resubmitted, evicted, resolved by an operator, or healed). Its `event_id` derives from the finding, so every closing is announced once.',
    producers:
      'Bridge repair, checker, ingest and api: see the operation `send.bridge.sync.repaired`.',
    consumers: 'The observability stack (dashboards, alerts). No Bridge service reads it.',
    key: "The run id when the finding has one, else the finding's id (`sync_event_id`).",
    sends: {
      by: ['repair', 'checker', 'ingest', 'api'],
      what: 'repair announces confirmed repairs and findings that healed before their repair acted; the checker, findings its re-checker found healed; ingest, stale-cache findings a Canon eviction settled; the api, findings an operator resolved.',
    },
  },
  'bridge.dlq.events': {
    role: 'dead-letter',
    title: 'Dead letters',
    meaning:
      'A message Bridge could not decode or handle (`failure_kind`: undecodable, invalid, handler_failed) with its original key and bytes, the reason and the attempts made; or the work item of a check that failed for good.',
    producers:
      'The consumer loop of every Bridge consumer (ingest, checker, repair, api), and the checker for a check that failed for good.',
    consumers: 'Bridge api, consumer group `<prefix>-api-dead-letters`.',
    key: "The topic the message came from; for a check that failed for good, the check's key on `bridge.internal.checks` (its run, else its first entity). The original message key is kept in the `key` field.",
    sends: {
      by: ['ingest', 'checker', 'repair', 'api'],
      what: 'a consumer dead-letters a message that is undecodable, invalid, or still failing after `CONSUMER_MAX_ATTEMPTS`; its offset is committed only once the dead letter is written.',
    },
    receives: {
      by: 'api',
      group: 'api-dead-letters',
      what: 'archives each dead letter in the store, where operators read and requeue it.',
    },
  },
};

const REQUEUE_NOTE =
  'When an operator requeues a dead letter that came from this topic, the api writes its original key and bytes back here.';

const DELIVERY_NOTE =
  'Delivered at least once: a consumer may see a message again, with the same `event_id`, and de-duplicates on it. Order holds only among messages with the same key.';

const WIRE_NOTE =
  'On the wire: the Confluent framing (magic byte 0, then the schema id as a 4-byte big-endian integer) followed by the Avro binary body.';

const TRACE_HEADERS: JsonSchema = {
  type: 'object',
  properties: {
    traceparent: {
      type: 'string',
      description:
        'W3C trace context. Bridge sets it on what it publishes while handling a message, and continues the trace of a message that carries one. Optional.',
    },
  },
};

/** A string attribute of an Avro record schema (its `name`, its `doc`), if it has one. */
function recordAttribute(schema: JsonValue, attribute: 'name' | 'doc'): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const value = (schema as { readonly [key: string]: JsonValue })[attribute];
  return typeof value === 'string' ? value : undefined;
}

/** `<topic>.v<N>`: the id of one schema version's message in `components.messages`. */
export function messageIdOf(topic: Topic, version: number): string {
  return `${topic}.v${version}`;
}

export function sendOperationIdOf(topic: Topic): string {
  return `send.${topic}`;
}

export function receiveOperationIdOf(topic: Topic): string {
  return `receive.${topic}`;
}

function messagesOf(topic: Topic, contract: TopicContract): Record<string, AsyncApiMessage> {
  const versions = TopicSchemaVersions[topic];
  const current = TopicSchemas[topic].version;
  const subject = subjectFor(topic);
  const messages: Record<string, AsyncApiMessage> = {};
  for (const { version, schema } of versions) {
    const status =
      version === current
        ? `Version ${version}, the current one: Bridge resolves every registered version to it when decoding, and writes it where Bridge publishes.`
        : `Version ${version}, superseded by v${current}. Messages written with it may still be on the topic; readers resolve them to their own version.`;
    const name = recordAttribute(schema, 'name');
    if (!name) throw new Error(`${topic} v${version}: a topic schema must be a named Avro record`);
    const summary = recordAttribute(schema, 'doc');
    messages[messageIdOf(topic, version)] = {
      name,
      title: `${topic} v${version}`,
      ...(summary ? { summary } : {}),
      description: [
        `${status} Registered under the subject \`${subject}\` (TopicNameStrategy).`,
        WIRE_NOTE,
        DELIVERY_NOTE,
      ].join('\n\n'),
      contentType: AVRO_CONTENT_TYPE,
      headers: structuredClone(TRACE_HEADERS),
      payload: { schemaFormat: AVRO_SCHEMA_FORMAT, schema: structuredClone(schema) },
      bindings: {
        kafka: {
          key: { type: 'string', description: contract.key },
          schemaIdLocation: 'payload',
          schemaIdPayloadEncoding: 'confluent',
          schemaLookupStrategy: 'TopicNameStrategy',
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
      'x-registry-subject': subject,
      'x-schema-version': version,
    };
  }
  return messages;
}

function channelOf(topic: Topic, contract: TopicContract): AsyncApiChannel {
  const paragraphs = [
    contract.meaning,
    `Published by: ${contract.producers}`,
    `Consumed by: ${contract.consumers}`,
    `Message key: ${contract.key}`,
  ];
  if (contract.role !== 'dead-letter') paragraphs.push(REQUEUE_NOTE);
  return {
    address: topic,
    title: contract.title,
    summary: contract.meaning,
    description: paragraphs.join('\n\n'),
    tags: [{ ...ROLE_TAGS[contract.role] }],
    messages: Object.fromEntries(
      TopicSchemaVersions[topic].map(({ version }) => [
        `v${version}`,
        { $ref: `#/components/messages/${messageIdOf(topic, version)}` },
      ]),
    ),
  };
}

function channelMessageRef(topic: Topic, version: number): Reference {
  return { $ref: `#/channels/${topic}/messages/v${version}` };
}

function clientId(): JsonSchema {
  return {
    type: 'string',
    description: '`KAFKA_CLIENT_ID`.',
    default: DEFAULT_CLIENT_ID,
  };
}

function operationsOf(topic: Topic, contract: TopicContract): Record<string, AsyncApiOperation> {
  const operations: Record<string, AsyncApiOperation> = {};
  const channel = { $ref: `#/channels/${topic}` };
  const tags = (services: readonly BridgeService[]): Tag[] =>
    services.map((service) => ({ name: service }));
  if (contract.sends) {
    const { by, what } = contract.sends;
    operations[sendOperationIdOf(topic)] = {
      action: 'send',
      channel,
      title: `Bridge publishes ${topic}`,
      summary: `Published by Bridge's ${listOf(by)}.`,
      description: [
        `Bridge's ${listOf(by)} ${by.length > 1 ? 'publish' : 'publishes'} here: ${what}`,
        `Read by: ${contract.consumers}`,
      ].join('\n\n'),
      tags: tags(by),
      // Bridge writes only the version it was built with.
      messages: [channelMessageRef(topic, TopicSchemas[topic].version)],
      bindings: { kafka: { clientId: clientId(), bindingVersion: KAFKA_BINDING_VERSION } },
    };
  }
  if (contract.receives) {
    const { by, group, what } = contract.receives;
    operations[receiveOperationIdOf(topic)] = {
      action: 'receive',
      channel,
      title: `Bridge ${by} consumes ${topic}`,
      summary: `Consumed by Bridge's ${by}, consumer group \`<prefix>-${group}\`.`,
      description: [
        `Bridge's ${by} reads this topic in the consumer group \`<CONSUMER_GROUP_PREFIX>-${group}\` and ${what}`,
        `Written by: ${contract.producers}`,
      ].join('\n\n'),
      tags: tags([by]),
      // A consumer reads whichever registered version the writer used.
      messages: TopicSchemaVersions[topic].map(({ version }) => channelMessageRef(topic, version)),
      bindings: {
        kafka: {
          groupId: {
            type: 'string',
            description: `\`<CONSUMER_GROUP_PREFIX>-${group}\`; the prefix lets two deployments share a cluster.`,
            default: `${DEFAULT_GROUP_PREFIX}-${group}`,
          },
          clientId: clientId(),
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
  }
  return operations;
}

function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const INFO_DESCRIPTION = [
  'The Kafka topics of Bridge Sync, which keeps Cappella (pipeline runs), Hippo (entities) and Canon (artifact caches) consistent with each other. The components publish lifecycle events on the inbound topics, on Kafka themselves or over HTTP through the HTTP ingestion of the Bridge api; Bridge turns them into check work on its internal topics, publishes what it finds on the `bridge.sync.*` topics for the observability stack and for Canon, and puts what it cannot decode or handle on the dead-letter topic.',
  'Every message value is an Avro record whose schema is registered in a schema registry under the subject `<topic>-value` (TopicNameStrategy) and framed the Confluent way: magic byte 0, the 4-byte schema id, then the Avro binary body. Each topic lists every version of its schema as a message of its own; versions are FULL compatible with their predecessor, so readers and writers upgrade independently.',
  'Delivery is at least once on every hop: a consumer may see a message again, with the same `event_id`, and de-duplicates on it. Kafka keeps order only among messages with the same key; each message documents its key.',
  'Operations are seen from Bridge: `send` is what Bridge publishes, `receive` what it consumes (and in which consumer group: `<CONSUMER_GROUP_PREFIX>-<group>`, prefix `bridge` by default). Outside parties are named in the descriptions.',
].join('\n\n');

/** The AsyncAPI 3.0.0 document of every topic; a fresh plain object on each call. */
export function asyncApiDocument(): AsyncApiDocument {
  const channels: Record<string, AsyncApiChannel> = {};
  const operations: Record<string, AsyncApiOperation> = {};
  const messages: Record<string, AsyncApiMessage> = {};
  for (const topic of Object.keys(TOPIC_CONTRACTS) as Topic[]) {
    const contract = TOPIC_CONTRACTS[topic];
    channels[topic] = channelOf(topic, contract);
    Object.assign(operations, operationsOf(topic, contract));
    Object.assign(messages, messagesOf(topic, contract));
  }
  return {
    asyncapi: ASYNCAPI_VERSION,
    id: 'urn:bridge-sync:events',
    info: {
      title: 'Bridge Sync events',
      version: '1',
      description: INFO_DESCRIPTION,
      license: { name: 'UNLICENSED' },
    },
    defaultContentType: AVRO_CONTENT_TYPE,
    servers: {
      [KAFKA_SERVER]: {
        host: '{broker}',
        protocol: 'kafka',
        title: 'Kafka',
        description:
          'The Kafka cluster of `KAFKA_BROKERS`, with TLS (`KAFKA_SSL`) and SASL (`KAFKA_SASL_MECHANISM`) when configured, and the Confluent-compatible schema registry of `SCHEMA_REGISTRY_URL`. Every Bridge service creates the topics that do not exist yet at start-up, with `KAFKA_TOPIC_PARTITIONS` partitions.',
        variables: {
          broker: {
            default: '127.0.0.1:9092',
            description:
              'One `host:port` of `KAFKA_BROKERS`; the default is the local stack (tools/stack).',
            examples: ['127.0.0.1:9092', 'kafka:9092'],
          },
        },
        bindings: {
          kafka: { schemaRegistryVendor: 'confluent', bindingVersion: KAFKA_BINDING_VERSION },
        },
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
