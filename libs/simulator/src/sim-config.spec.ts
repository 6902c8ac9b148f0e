import { ConfigError } from '@bridge/errors';
import { loadSimSettings } from './sim-config';

describe('loadSimSettings', () => {
  it('defaults to 127.0.0.1:4010, seed 1, bulk lookup on and a fresh id prefix per process', () => {
    const a = loadSimSettings({});
    const b = loadSimSettings({});
    expect(a).toMatchObject({
      host: '127.0.0.1',
      port: 4010,
      seed: 1,
      hippoBulkLookup: true,
      hangMs: 30_000,
      canonSweepIntervalMs: 0,
      canonPublishEvictions: true,
      initialFaults: {},
    });
    expect(a.idPrefix).toMatch(/^sim[0-9a-f]{6}$/);
    expect(a.idPrefix).not.toBe(b.idPrefix);
  });

  it('reads booleans as words and initial faults as validated JSON', () => {
    const settings = loadSimSettings({
      SIM_HIPPO_BULK_LOOKUP: 'false',
      SIM_FAULTS: '{"hippo":{"lagMs":2000,"outage":{"requests":3}}}',
    });
    expect(settings.hippoBulkLookup).toBe(false);
    expect(settings.initialFaults.hippo).toEqual({
      lagMs: 2000,
      outage: { status: 503, requests: 3 },
    });
  });

  it('lists every invalid setting in one ConfigError', () => {
    let error: unknown;
    try {
      loadSimSettings({ SIM_PORT: 'http', SIM_SEED: '-1', SIM_FAULTS: '{"mongo":{}}' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/SIM_PORT/);
    expect((error as Error).message).toMatch(/SIM_SEED/);
    expect((error as Error).message).toMatch(/SIM_FAULTS/);
  });

  it('requires no authentication by default, and what each SIM_AUTH kind needs otherwise', () => {
    expect(loadSimSettings({}).auth).toEqual({ kind: 'none' });
    expect(loadSimSettings({ SIM_AUTH: 'bearer', SIM_AUTH_TOKEN: 'static-token-1' }).auth).toEqual({
      kind: 'bearer',
      token: 'static-token-1',
    });
    expect(
      loadSimSettings({
        SIM_AUTH: 'oauth2',
        SIM_AUTH_CLIENT_SECRET: 'sim-secret',
        SIM_AUTH_TOKEN_TTL_MS: '1500',
      }).auth,
    ).toEqual({
      kind: 'oauth2',
      clientId: 'bridge-sync',
      clientSecret: 'sim-secret',
      tokenTtlMs: 1500,
      audience: undefined,
    });
    expect(() => loadSimSettings({ SIM_AUTH: 'bearer' })).toThrow(
      /SIM_AUTH_TOKEN: required when SIM_AUTH=bearer/,
    );
    expect(() => loadSimSettings({ SIM_AUTH: 'oauth2', SIM_PORT: 'http' })).toThrow(
      /SIM_PORT[\s\S]*SIM_AUTH_CLIENT_SECRET: required when SIM_AUTH=oauth2/,
    );
    expect(() => loadSimSettings({ SIM_AUTH: 'kerberos' })).toThrow(/SIM_AUTH/);
  });
});
