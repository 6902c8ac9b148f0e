import { describe, expect, it } from '@jest/globals';
import { logLevel, type LogEntry } from 'kafkajs';
import { kafkaLogLine } from './kafka-connection';

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
