import { describe, expect, it, jest } from '@jest/globals';
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  logLevel,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { loadConfig, type KafkaTransportConfig } from '@bridge/config';
import { KafkaConnection, kafkaLogLine, spoilsProducer } from './kafka-connection';

const entry = (
  level: logLevel,
  message: string,
  extra: Record<string, unknown> = {},
): LogEntry => ({
  namespace: 'Connection',
  level,
  label: 'ERROR',
  log: { timestamp: '2026-12-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
});

describe('kafkaLogLine', () => {
  it('names the broker error of a failed response', () => {
    expect(
      kafkaLogLine(
        entry(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', {
          error: 'Not authorized to access topics: [Topic authorization failed]',
        }),
      ),
    ).toEqual({
      level: 'error',
      text: 'Connection: Response Metadata(key: 3, version: 6): Not authorized to access topics: [Topic authorization failed]',
    });
  });

  it('logs a partition not served yet at debug, since readiness polls through it', () => {
    for (const error of [
      'This server is not the leader for that topic-partition',
      'This server does not host this topic-partition',
    ]) {
      expect(
        kafkaLogLine(entry(logLevel.ERROR, 'Response ListOffsets(key: 2, version: 3)', { error })),
      ).toMatchObject({ level: 'debug' });
    }
  });

  it('keeps warnings and errors without a broker error at their level, and info at debug', () => {
    expect(kafkaLogLine(entry(logLevel.WARN, 'Connection timeout'))).toEqual({
      level: 'warn',
      text: 'Connection: Connection timeout',
    });
    expect(
      kafkaLogLine(entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED')),
    ).toMatchObject({
      level: 'error',
    });
    expect(kafkaLogLine(entry(logLevel.INFO, 'Starting'))).toMatchObject({ level: 'debug' });
  });
});

/** A broker answer as kafkajs throws it, after its retries where `retried`. */
function brokerAnswer(type: string, retried = false): Error {
  // kafkajs builds a protocol error from its table entry for the code (its typings say Error).
  const entry = { type, code: 45, retriable: false, message: type };
  const answer = new KafkaJSProtocolError(entry as unknown as Error);
  return retried
    ? new KafkaJSNumberOfRetriesExceeded(answer, { retryCount: 10, retryTime: 5_000 })
    : Object.assign(new KafkaJSNonRetriableError(answer), { cause: answer });
}

describe('spoilsProducer', () => {
  it('is true for the answers after which the same producer is refused again', () => {
    for (const type of [
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
      'UNKNOWN_PRODUCER_ID',
      'INVALID_PRODUCER_EPOCH',
    ]) {
      expect(spoilsProducer(brokerAnswer(type))).toBe(true);
      expect(spoilsProducer(brokerAnswer(type, true))).toBe(true);
    }
  });

  it('is false for an unreachable broker, which kafkajs reconnects to, and for a bad message', () => {
    expect(spoilsProducer(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(
      false,
    );
    expect(spoilsProducer(brokerAnswer('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(spoilsProducer(new Error('boom'))).toBe(false);
  });
});

describe('KafkaConnection.discardIfSpoiled', () => {
  const config = loadConfig({
    BRIDGE_TRANSPORT: 'kafka',
    KAFKA_BROKERS: '127.0.0.1:1',
    SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1',
  }).transport as KafkaTransportConfig;

  /** A connection whose kafkajs client hands out fake producers, counting them. */
  function connectionWithFakeProducers() {
    const connection = new KafkaConnection(config);
    const made: Array<{ disconnect: jest.Mock }> = [];
    jest.spyOn(connection.kafka, 'producer').mockImplementation(() => {
      const producer = {
        connect: jest.fn(() => Promise.resolve()),
        disconnect: jest.fn(() => Promise.resolve()),
      };
      made.push(producer);
      return producer as unknown as Producer;
    });
    return { connection, made };
  }

  it('replaces a producer whose idempotence state is spoiled, and only then', async () => {
    const { connection, made } = connectionWithFakeProducers();
    const first = await connection.connectedProducer();
    connection.discardIfSpoiled(first, new KafkaJSConnectionError('connect ECONNREFUSED'));
    expect(await connection.connectedProducer()).toBe(first);

    connection.discardIfSpoiled(first, brokerAnswer('OUT_OF_ORDER_SEQUENCE_NUMBER', true));
    const second = await connection.connectedProducer();
    expect(second).not.toBe(first);
    expect(made).toHaveLength(2);
    expect(made[0].disconnect).toHaveBeenCalledTimes(1);

    // A late failure of the old producer does not throw away its replacement.
    connection.discardIfSpoiled(first, brokerAnswer('UNKNOWN_PRODUCER_ID'));
    expect(await connection.connectedProducer()).toBe(second);
  });
});
