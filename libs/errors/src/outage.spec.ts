import {
  InfrastructureUnavailableError,
  InvalidEventError,
  TransientError,
  isInfrastructureOutage,
} from './index';

describe('isInfrastructureOutage', () => {
  it('recognises a database or broker that is down, also behind wrappers', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(isInfrastructureOutage(refused)).toBe(true);
    expect(
      isInfrastructureOutage({ message: 'query failed', driverError: { code: '57P01' } }),
    ).toBe(true);
    expect(
      isInfrastructureOutage(new Error('wrapped', { cause: new Error('Connection terminated') })),
    ).toBe(true);
    expect(
      isInfrastructureOutage(
        Object.assign(new Error('database "x" is not currently accepting connections'), {
          code: '55000',
        }),
      ),
    ).toBe(true);
    expect(
      isInfrastructureOutage(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' })),
    ).toBe(true);
  });

  it('counts what a restarting Kafka broker answers as an outage, also after kafkajs gave up retrying', () => {
    const kafkaError = (name: string, extra: object = {}) =>
      Object.assign(new Error(name), { name, retriable: true, ...extra });
    const notLeader = kafkaError('KafkaJSProtocolError', { type: 'NOT_LEADER_OR_FOLLOWER' });
    expect(isInfrastructureOutage(notLeader)).toBe(true);
    expect(isInfrastructureOutage(kafkaError('KafkaJSConnectionClosedError'))).toBe(true);
    expect(isInfrastructureOutage(kafkaError('KafkaJSRequestTimeoutError'))).toBe(true);
    const exhausted = Object.assign(new Error('retries exceeded', { cause: notLeader }), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
    });
    expect(isInfrastructureOutage(exhausted)).toBe(true);
  });

  it('does not hold a message for a Kafka answer that no retry changes', () => {
    const tooLarge = Object.assign(new Error('message too large'), {
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    expect(isInfrastructureOutage(tooLarge)).toBe(false);
    const corrupt = Object.assign(new Error('corrupt'), {
      name: 'KafkaJSProtocolError',
      type: 'CORRUPT_MESSAGE',
      retriable: true,
    });
    expect(isInfrastructureOutage(corrupt)).toBe(false);
  });

  it('counts a dependency said to be unavailable (the schema registry timing out) as an outage', () => {
    const timedOut = new InfrastructureUnavailableError('schema registry unavailable', {
      cause: new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
    });
    expect(isInfrastructureOutage(timedOut)).toBe(true);
    expect(isInfrastructureOutage(new Error('wrapped', { cause: timedOut }))).toBe(true);
    expect(isInfrastructureOutage(new TransientError('hippo: HTTP 503'))).toBe(false);
  });

  it('does not mistake a bad message or a constraint violation for an outage', () => {
    expect(isInfrastructureOutage(new InvalidEventError('bad', ['run_id: expected string']))).toBe(
      false,
    );
    expect(
      isInfrastructureOutage({ message: 'duplicate key', driverError: { code: '23505' } }),
    ).toBe(false);
    expect(isInfrastructureOutage(undefined)).toBe(false);
  });
});
