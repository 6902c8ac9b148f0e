import { kafkaSecurityOptions } from './kafka-security';

describe('kafkaSecurityOptions', () => {
  it('is plaintext without TLS or SASL settings', () => {
    expect(kafkaSecurityOptions({ ssl: null, sasl: null })).toEqual({});
  });

  it('turns TLS on, with the configured authority when there is one', () => {
    expect(kafkaSecurityOptions({ ssl: {}, sasl: null })).toEqual({ ssl: true });
    expect(kafkaSecurityOptions({ ssl: { ca: 'PEM' }, sasl: null })).toEqual({
      ssl: { ca: ['PEM'] },
    });
  });

  it('passes the SASL mechanism and credentials', () => {
    expect(
      kafkaSecurityOptions({
        ssl: {},
        sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: 's3cret' },
      }),
    ).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'bridge', password: 's3cret' },
    });
  });
});
