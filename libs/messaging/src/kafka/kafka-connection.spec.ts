import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  KafkaJSConnectionError,
  logLevel,
  type Admin,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { loadConfig, type KafkaTransportConfig } from '@bridge/config';
import { KafkaConnection, kafkaLogLine } from './kafka-connection';

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

/** A Kafka transport whose broker and registry no test reaches: kafkajs's clients are faked. */
const config = loadConfig({
  BRIDGE_TRANSPORT: 'kafka',
  KAFKA_BROKERS: '127.0.0.1:1',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1',
}).transport as KafkaTransportConfig;

describe('KafkaConnection.discardAfterFailedSend', () => {
  /** A connection whose kafkajs client hands out fake producers, keeping each. */
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

  it('gives the next send a new producer, and disconnects the old one', async () => {
    const { connection, made } = connectionWithFakeProducers();
    const first = await connection.connectedProducer();
    expect(await connection.connectedProducer()).toBe(first);

    connection.discardAfterFailedSend(first, new KafkaJSConnectionError('Connection closed'));
    const second = await connection.connectedProducer();
    expect(second).not.toBe(first);
    expect(made).toHaveLength(2);
    expect(made[0].disconnect).toHaveBeenCalledTimes(1);
    expect(made[1].disconnect).not.toHaveBeenCalled();
  });

  it('keeps the replacement when a late failure of the old producer comes in', async () => {
    const { connection } = connectionWithFakeProducers();
    const first = await connection.connectedProducer();
    connection.discardAfterFailedSend(first, new Error('first failure'));
    const second = await connection.connectedProducer();
    connection.discardAfterFailedSend(first, new Error('a second failure of the first'));
    expect(await connection.connectedProducer()).toBe(second);
  });
});

describe('KafkaConnection monitor admin', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('gives up on a call that never answers and asks a fresh admin next time', async () => {
    jest.useFakeTimers();
    const connection = new KafkaConnection(config);
    const made: Array<{ answers: boolean; disconnect: jest.Mock }> = [];
    jest.spyOn(connection.kafka, 'admin').mockImplementation(() => {
      const admin = {
        answers: made.length > 0, // the first admin's connections went stale
        connect: () => Promise.resolve(),
        disconnect: jest.fn(() => Promise.resolve()),
        fetchOffsets: () =>
          admin.answers
            ? Promise.resolve([{ topic: 'runs', partitions: [{ partition: 0, offset: '4' }] }])
            : new Promise<never>(() => undefined),
        fetchTopicOffsets: () =>
          Promise.resolve([{ partition: 0, offset: '9', high: '9', low: '0' }]),
      };
      made.push(admin);
      return admin as unknown as Admin;
    });

    const first = connection.groupOffsets('checker', ['runs']);
    const failed = expect(first).rejects.toThrow(/offsets of group checker: no answer within/);
    await jest.advanceTimersByTimeAsync(30_000);
    await failed;
    expect(made[0].disconnect).toHaveBeenCalledTimes(1);

    await expect(connection.groupOffsets('checker', ['runs'])).resolves.toEqual([
      { topic: 'runs', partition: 0, low: '0', high: '9', committed: '4' },
    ]);
    expect(made).toHaveLength(2);
  });
});
