import { ConfigError } from '@bridge/errors';
import { loadConfig } from './bridge-config';

describe('loadConfig', () => {
  it('defaults to the embedded mode: in-process bus and PGlite', () => {
    const config = loadConfig({});
    expect(config.transport).toEqual({ kind: 'in-process' });
    expect(config.store).toEqual({ kind: 'pglite', dataDir: undefined });
    expect(config.consumerRetry).toEqual({
      maxAttempts: 5,
      initialDelayMs: 200,
      maxDelayMs: 10_000,
    });
  });

  it('builds the distributed configuration from the environment', () => {
    const config = loadConfig({
      BRIDGE_TRANSPORT: 'kafka',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      BRIDGE_STORE: 'postgres',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/bridge_sync',
      HTTP_PORT: '4000',
    });
    expect(config.transport).toMatchObject({
      kind: 'kafka',
      brokers: ['127.0.0.1:9092', '127.0.0.1:9094'],
      registry: { url: 'http://127.0.0.1:8081/apis/ccompat/v7', compatibility: 'BACKWARD' },
    });
    expect(config.store).toEqual({
      kind: 'postgres',
      url: 'postgres://postgres@127.0.0.1:5432/bridge_sync',
    });
    expect(config.http.port).toBe(4000);
  });

  it('lists every problem at once instead of failing on the first', () => {
    const attempt = () =>
      loadConfig({ BRIDGE_TRANSPORT: 'kafka', BRIDGE_STORE: 'postgres', HTTP_PORT: 'eighty' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /KAFKA_BROKERS: required[\s\S]*SCHEMA_REGISTRY_URL: required[\s\S]*DATABASE_URL: required/,
    );
    expect(attempt).toThrow(/HTTP_PORT/);
  });

  it('refuses an unknown transport', () => {
    expect(() => loadConfig({ BRIDGE_TRANSPORT: 'carrier-pigeon' })).toThrow(/BRIDGE_TRANSPORT/);
  });
});
