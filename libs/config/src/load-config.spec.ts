import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@bridge/errors';
import { loadConfig } from './load-config';

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

  it('keeps processed-event ids at least as long as the inbound topics keep events', () => {
    expect(loadConfig({}).maintenance).toEqual({
      retention: {
        processedEventsDays: 14,
        recordsDays: 7,
        closedFindingsDays: 90,
        requeuedDeadLettersDays: 30,
        pendingDeadLettersDays: 90,
        repairJobsDays: 90,
        scansDays: 30,
        auditDays: 400,
      },
      intervalMs: 3_600_000,
    });
    expect(() =>
      loadConfig({ RETENTION_PROCESSED_EVENTS_DAYS: '3', INBOUND_TOPIC_RETENTION_DAYS: '7' }),
    ).toThrow(
      /RETENTION_PROCESSED_EVENTS_DAYS \(3\) is shorter than INBOUND_TOPIC_RETENTION_DAYS \(7\)/,
    );
    expect(
      loadConfig({ RETENTION_PROCESSED_EVENTS_DAYS: '30', INBOUND_TOPIC_RETENTION_DAYS: '30' })
        .maintenance.retention.processedEventsDays,
    ).toBe(30);
  });

  it('takes min.insync.replicas for the topics it creates, never more than their replicas', () => {
    const kafka = {
      BRIDGE_TRANSPORT: 'kafka',
      KAFKA_BROKERS: 'a:9092,b:9092,c:9092',
      SCHEMA_REGISTRY_URL: 'http://registry:8081',
    };
    const config = loadConfig({
      ...kafka,
      KAFKA_TOPIC_REPLICATION_FACTOR: '3',
      KAFKA_TOPIC_MIN_INSYNC_REPLICAS: '2',
    });
    expect(config.transport).toMatchObject({
      topicReplicationFactor: 3,
      topicMinInSyncReplicas: 2,
    });
    expect(() =>
      loadConfig({
        ...kafka,
        KAFKA_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TOPIC_MIN_INSYNC_REPLICAS: '2',
      }),
    ).toThrow(/KAFKA_TOPIC_MIN_INSYNC_REPLICAS \(2\) is more than KAFKA_TOPIC_REPLICATION_FACTOR/);
  });

  it('refuses a submission search delay that the confirmation deadline would always beat', () => {
    expect(() =>
      loadConfig({
        REPAIR_SUBMISSION_SEARCH_DELAY_MS: '600000',
        REPAIR_CONFIRM_DEADLINE_MS: '600000',
      }),
    ).toThrow(/REPAIR_SUBMISSION_SEARCH_DELAY_MS \(600000\) is not shorter than/);
    expect(
      loadConfig({ REPAIR_SUBMISSION_SEARCH_DELAY_MS: '20000' }).repair.submissionSearchDelayMs,
    ).toBe(20_000);
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
      sslCa: undefined,
    });
    expect(config.transport).toMatchObject({ ssl: null, sasl: null });
    expect(config.http.port).toBe(4000);
  });

  it('takes TLS and SASL for Kafka and a trusted authority for PostgreSQL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-tls-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const base = {
      BRIDGE_TRANSPORT: 'kafka',
      KAFKA_BROKERS: 'kafka.internal:9093',
      SCHEMA_REGISTRY_URL: 'https://registry.internal/apis/ccompat/v7',
      BRIDGE_STORE: 'postgres',
      DATABASE_URL: 'postgres://bridge@db.internal:5432/bridge_sync?sslmode=verify-full',
    };
    const config = loadConfig({
      ...base,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'bridge',
      KAFKA_SASL_PASSWORD: 'from-a-secret-store',
      DATABASE_SSL_CA_FILE: ca,
    });
    expect(config.transport).toMatchObject({
      ssl: { ca: expect.stringContaining('BEGIN CERTIFICATE') },
      sasl: { mechanism: 'scram-sha-256', username: 'bridge', password: 'from-a-secret-store' },
    });
    expect(config.store).toMatchObject({ sslCa: expect.stringContaining('BEGIN CERTIFICATE') });

    const attempt = () =>
      loadConfig({
        ...base,
        KAFKA_SASL_MECHANISM: 'plain',
        DATABASE_SSL_CA_FILE: join(dir, 'missing.pem'),
      });
    expect(attempt).toThrow(/KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM/);
    expect(attempt).toThrow(/KAFKA_SASL_PASSWORD: required/);
    expect(attempt).toThrow(/DATABASE_SSL_CA_FILE: cannot read/);
  });

  it('refuses credentials sent in clear unless told the network is trusted', () => {
    const kafka = {
      BRIDGE_TRANSPORT: 'kafka',
      KAFKA_BROKERS: 'kafka.internal:9092',
      SCHEMA_REGISTRY_URL: 'https://registry.internal/apis/ccompat/v7',
    };
    const plain = {
      ...kafka,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'bridge',
      KAFKA_SASL_PASSWORD: 'p',
    };
    expect(() => loadConfig(plain)).toThrow(/KAFKA_SASL_MECHANISM: plain sends the password/);
    expect(() => loadConfig({ ...plain, KAFKA_SSL: 'true' })).not.toThrow();
    expect(() => loadConfig({ ...plain, ALLOW_INSECURE_CREDENTIALS: 'true' })).not.toThrow();
    const registry = {
      ...kafka,
      SCHEMA_REGISTRY_URL: 'http://registry.internal/apis/ccompat/v7',
      SCHEMA_REGISTRY_USERNAME: 'bridge',
      SCHEMA_REGISTRY_PASSWORD: 'p',
    };
    expect(() => loadConfig(registry)).toThrow(/SCHEMA_REGISTRY_URL: basic auth over plain http/);
    expect(() =>
      loadConfig({ ...registry, SCHEMA_REGISTRY_URL: 'https://registry.internal/x' }),
    ).not.toThrow();
    expect(() => loadConfig({ ...registry, ALLOW_INSECURE_CREDENTIALS: 'true' })).not.toThrow();
  });

  it('refuses both an HMAC secret and a public key for JWTs, and bounds their age', () => {
    expect(() =>
      loadConfig({
        API_JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters',
        API_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----',
      }),
    ).toThrow(/API_JWT_SECRET, API_JWT_PUBLIC_KEY: set one of them/);
    const config = loadConfig({ API_JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters' });
    expect(config.api.jwt?.maxAgeSeconds).toBe(86_400);
    expect(
      loadConfig({
        API_JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters',
        API_JWT_MAX_AGE_S: '600',
      }).api.jwt?.maxAgeSeconds,
    ).toBe(600);
  });

  it('bounds decoding: 1 MiB and 100,000 items by default, configurable', () => {
    expect(loadConfig({}).decoding).toEqual({ maxEventBytes: 1_048_576, maxItems: 100_000 });
    expect(loadConfig({ MAX_EVENT_BYTES: '65536', MAX_EVENT_ITEMS: '10' }).decoding).toEqual({
      maxEventBytes: 65_536,
      maxItems: 10,
    });
    expect(() => loadConfig({ MAX_EVENT_BYTES: '0' })).toThrow(/MAX_EVENT_BYTES/);
  });

  it('never puts a secret it was given into its error messages', () => {
    const attempt = () =>
      loadConfig({
        BRIDGE_TRANSPORT: 'kafka',
        KAFKA_BROKERS: 'k:9092',
        SCHEMA_REGISTRY_URL: 'not a url at all',
        SCHEMA_REGISTRY_PASSWORD: 'hunter2-registry',
        KAFKA_SASL_MECHANISM: 'oauth-magic',
        KAFKA_SASL_PASSWORD: 'hunter2-kafka',
        BRIDGE_STORE: 'postgres',
        DATABASE_URL: 'postgres://bridge:hunter2-db@db:5432/x',
        API_JWT_SECRET: 'short',
      });
    expect(attempt).toThrow(ConfigError);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/KAFKA_SASL_MECHANISM/);
    expect(message).not.toMatch(/hunter2/);
    expect(message).not.toMatch(/short/);
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

describe('loadConfig: components and checks', () => {
  it('gives every component a manifest, with URL overrides from the environment', () => {
    const config = loadConfig({ HIPPO_URL: 'http://hippo.internal:8080' });
    expect(config.components.hippo.baseUrl).toBe('http://hippo.internal:8080');
    expect(config.components.cappella.baseUrl).toBe('http://127.0.0.1:4010');
    expect(config.components.hippo.capabilities).toEqual({
      bulkLookup: false,
      bulkLookupMax: 1000,
      rangeDigests: false,
      artifactListing: false,
    });
  });

  it('reads capabilities and limits from the manifest file and validates them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    const file = join(dir, 'components.json');
    writeFileSync(
      file,
      JSON.stringify({ hippo: { capabilities: { bulkLookup: true }, rateLimitPerSecond: 50 } }),
    );
    const config = loadConfig({ COMPONENT_MANIFEST_FILE: file });
    expect(config.components.hippo.capabilities.bulkLookup).toBe(true);
    expect(config.components.hippo.rateLimitPerSecond).toBe(50);

    writeFileSync(file, JSON.stringify({ hippo: { timeoutMs: -1 }, zebra: {} }));
    expect(() => loadConfig({ COMPONENT_MANIFEST_FILE: file })).toThrow(
      /COMPONENT_MANIFEST_FILE: hippo.timeoutMs[\s\S]*zebra/,
    );
  });

  it('takes repair strategies per mismatch type and refuses one the type does not allow', () => {
    const config = loadConfig({ STRATEGY_MISSING_ENTITY: 'resubmit_run' });
    expect(config.repairStrategies.missing_entity).toBe('resubmit_run');
    expect(config.repairStrategies.stale_cache).toBe('evict_on_next_sweep');
    expect(() => loadConfig({ STRATEGY_DANGLING_REFERENCE: 'resubmit_run' })).toThrow(
      /STRATEGY_DANGLING_REFERENCE/,
    );
  });

  it('parses the delayed-retry tier delays as a list', () => {
    expect(loadConfig({ CHECK_RETRY_DELAYS_MS: '100, 200' }).checks.retryDelaysMs).toEqual([
      100, 200,
    ]);
    expect(() => loadConfig({ CHECK_RETRY_DELAYS_MS: '100,soon' })).toThrow(
      /CHECK_RETRY_DELAYS_MS/,
    );
  });

  it('refuses more retry delays than there are retry tier topics', () => {
    expect(loadConfig({ CHECK_RETRY_DELAYS_MS: '1,2,3' }).checks.retryDelaysMs).toHaveLength(3);
    expect(() => loadConfig({ CHECK_RETRY_DELAYS_MS: '1,2,3,4' })).toThrow(
      /CHECK_RETRY_DELAYS_MS: at most 3 delays/,
    );
  });

  it('schedules scans daily by default, takes a cron expression or off, and refuses a bad one', () => {
    const defaults = loadConfig({ CHECK_GRACE_DELAY_MS: '1234' }).scan;
    expect(defaults.schedule).toBe('0 3 * * *');
    expect(defaults.timezone).toBe('UTC');
    expect(defaults.graceDelayMs).toBe(1234);
    expect(loadConfig({ SCAN_SCHEDULE: '*/5 * * * *' }).scan.schedule).toBe('*/5 * * * *');
    expect(loadConfig({ SCAN_SCHEDULE: 'off' }).scan.schedule).toBeNull();
    expect(loadConfig({ SCAN_GRACE_DELAY_MS: '0' }).scan.graceDelayMs).toBe(0);
    expect(() => loadConfig({ SCAN_SCHEDULE: 'every day' })).toThrow(/SCAN_SCHEDULE: not a cron/);
    expect(() => loadConfig({ SCAN_TIMEZONE: 'Mars/Olympus' })).toThrow(/SCAN_TIMEZONE/);
  });
});

describe('loadConfig: how Bridge authenticates to the components', () => {
  const dir = mkdtempSync(join(tmpdir(), 'component-auth-'));
  let written = 0;

  /** A manifest file with `content`, and the environment that points at it. */
  function withManifest(content: object, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    written += 1;
    const file = join(dir, `components-${written}.json`);
    writeFileSync(file, JSON.stringify(content));
    return { COMPONENT_MANIFEST_FILE: file, ...env };
  }

  function configErrorOf(env: NodeJS.ProcessEnv): string {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('loadConfig accepted the configuration');
  }

  it('sends no credentials unless the manifest asks for them', () => {
    const { components } = loadConfig({});
    expect(components.cappella.auth).toEqual({ kind: 'none' });
    expect(components.hippo.auth).toEqual({ kind: 'none' });
    expect(components.canon.auth).toEqual({ kind: 'none' });
  });

  it('reads a static bearer token from the variable or the file the manifest names', () => {
    const tokenFile = join(dir, 'canon-token');
    writeFileSync(tokenFile, 'canon-static-token-9f2c\n');
    const { components } = loadConfig(
      withManifest(
        {
          hippo: { auth: { kind: 'bearer', token: { env: 'HIPPO_TOKEN' } } },
          canon: { auth: { kind: 'bearer', token: { file: tokenFile } } },
        },
        { HIPPO_TOKEN: 'hippo-static-token-51ab' },
      ),
    );
    const { hippo, canon, cappella } = components;
    if (hippo.auth.kind !== 'bearer' || canon.auth.kind !== 'bearer') {
      throw new Error(`expected bearer auth, got ${hippo.auth.kind} and ${canon.auth.kind}`);
    }
    expect(hippo.auth.token.reveal()).toBe('hippo-static-token-51ab');
    expect(canon.auth.token.reveal()).toBe('canon-static-token-9f2c'); // without the newline
    expect(cappella.auth).toEqual({ kind: 'none' });
    // A logged configuration does not show the tokens.
    const printed = `${JSON.stringify(components)} ${String(hippo.auth.token)}`;
    expect(printed).not.toContain('hippo-static-token-51ab');
    expect(printed).not.toContain('canon-static-token-9f2c');
    expect(printed).toContain('[secret]');
  });

  it('reads OAuth2 client credentials, with scopes and audience', () => {
    const { components } = loadConfig(
      withManifest(
        {
          cappella: {
            auth: {
              kind: 'oauth2',
              tokenUrl: 'https://login.example.org/oauth2/token',
              clientId: 'bridge-sync',
              clientSecret: { env: 'CAPPELLA_CLIENT_SECRET' },
              scopes: ['runs:read', 'runs:submit'],
              audience: 'https://cappella.example.org',
            },
          },
          hippo: {
            auth: {
              kind: 'oauth2',
              tokenUrl: 'https://login.example.org/oauth2/token',
              clientId: 'bridge-sync',
              clientSecret: { env: 'HIPPO_CLIENT_SECRET' },
              clientAuthentication: 'body',
            },
          },
        },
        {
          CAPPELLA_CLIENT_SECRET: 'cappella-secret-77d1',
          HIPPO_CLIENT_SECRET: 'hippo-secret-0c4e',
        },
      ),
    );
    expect(components.cappella.auth).toMatchObject({
      kind: 'oauth2',
      tokenUrl: 'https://login.example.org/oauth2/token',
      clientId: 'bridge-sync',
      scopes: ['runs:read', 'runs:submit'],
      audience: 'https://cappella.example.org',
      clientAuthentication: 'basic',
    });
    expect(components.hippo.auth).toMatchObject({
      scopes: [],
      audience: undefined,
      clientAuthentication: 'body',
    });
    if (components.cappella.auth.kind !== 'oauth2') throw new Error('expected oauth2');
    expect(components.cappella.auth.clientSecret.reveal()).toBe('cappella-secret-77d1');
  });

  it('refuses component credentials that would cross the network over plain http', () => {
    const bearer = { kind: 'bearer', token: { env: 'HIPPO_TOKEN' } };
    const remote = withManifest(
      { hippo: { auth: bearer } },
      {
        HIPPO_TOKEN: 'hippo-static-token-51ab',
        HIPPO_URL: 'http://hippo.internal:8080',
      },
    );
    expect(configErrorOf(remote)).toMatch(
      /hippo: its bearer credentials would go to hippo\.internal:8080 over plain http/,
    );
    expect(configErrorOf(remote)).not.toContain('hippo-static-token-51ab');
    expect(() => loadConfig({ ...remote, ALLOW_INSECURE_CREDENTIALS: 'true' })).not.toThrow();
    expect(() => loadConfig({ ...remote, HIPPO_URL: 'https://hippo.internal' })).not.toThrow();
    expect(() => loadConfig({ ...remote, HIPPO_URL: 'http://localhost:4010' })).not.toThrow();
    const oauth = withManifest(
      {
        canon: {
          baseUrl: 'https://canon.internal',
          auth: {
            kind: 'oauth2',
            tokenUrl: 'http://login.internal/token',
            clientId: 'bridge-sync',
            clientSecret: { env: 'CANON_SECRET' },
          },
        },
      },
      { CANON_SECRET: 'canon-secret-1234' },
    );
    expect(configErrorOf(oauth)).toMatch(
      /canon: its client secret would go to login\.internal over plain http/,
    );
  });

  it('refuses a missing variable or an unreadable file, naming the component', () => {
    const message = configErrorOf(
      withManifest({
        hippo: { auth: { kind: 'bearer', token: { env: 'HIPPO_TOKEN' } } },
        canon: {
          auth: {
            kind: 'oauth2',
            tokenUrl: 'https://login.example.org/token',
            clientId: 'bridge',
            clientSecret: { file: join(dir, 'no-such-secret') },
          },
        },
      }),
    );
    expect(message).toContain('COMPONENT_MANIFEST_FILE: hippo.auth.token: HIPPO_TOKEN is not set');
    expect(message).toMatch(
      /COMPONENT_MANIFEST_FILE: canon\.auth\.clientSecret: cannot read .*no-such-secret \(ENOENT\)/,
    );
    expect(message).not.toMatch(/cappella/);
  });

  it('refuses an empty secret and one that cannot go into a header', () => {
    const emptyFile = join(dir, 'empty-secret');
    writeFileSync(emptyFile, '\n');
    const message = configErrorOf(
      withManifest(
        {
          cappella: { auth: { kind: 'bearer', token: { env: 'CAPPELLA_TOKEN' } } },
          hippo: { auth: { kind: 'bearer', token: { file: emptyFile } } },
          canon: { auth: { kind: 'bearer', token: { env: 'CANON_TOKEN' } } },
        },
        { CAPPELLA_TOKEN: '  ', CANON_TOKEN: 'two words-of-secret' },
      ),
    );
    expect(message).toContain('cappella.auth.token: CAPPELLA_TOKEN is empty');
    expect(message).toContain(`hippo.auth.token: ${emptyFile} is empty`);
    expect(message).toContain('canon.auth.token: contains whitespace or control characters');
    expect(message).not.toContain('words-of-secret');
  });

  it('refuses a secret written into the manifest itself, without repeating it', () => {
    const message = configErrorOf(
      withManifest({
        hippo: { auth: { kind: 'bearer', token: 'inline-token-3e8a' } },
        canon: {
          auth: {
            kind: 'oauth2',
            tokenUrl: 'https://login.example.org/token',
            clientId: 'bridge',
            clientSecret: { value: 'inline-secret-b71f' },
          },
        },
      }),
    );
    expect(message).toMatch(/hippo\.auth\.token: where the secret is/);
    expect(message).toMatch(/canon\.auth\.clientSecret: where the secret is/);
    expect(message).not.toContain('inline-token-3e8a');
    expect(message).not.toContain('inline-secret-b71f');
  });

  it('never puts a secret it read into an error, whatever else is wrong', () => {
    const secretFile = join(dir, 'cappella-secret');
    writeFileSync(secretFile, 'file-secret-5d20');
    const message = configErrorOf(
      withManifest(
        {
          cappella: {
            timeoutMs: 0,
            auth: {
              kind: 'oauth2',
              tokenUrl: 'ftp://login.example.org/token',
              clientId: 'bridge',
              clientSecret: { file: secretFile },
            },
          },
          hippo: { auth: { kind: 'bearer', token: { env: 'HIPPO_TOKEN' } } },
          canon: { auth: { kind: 'kerberos' } },
        },
        { HIPPO_TOKEN: 'env-token-a9c3', HTTP_PORT: 'eighty' },
      ),
    );
    expect(message).toMatch(/cappella\.timeoutMs/);
    expect(message).toMatch(/cappella\.auth\.tokenUrl/);
    expect(message).toMatch(/canon\.auth\.kind/);
    expect(message).toMatch(/HTTP_PORT/);
    expect(message).not.toContain('file-secret-5d20');
    expect(message).not.toContain('env-token-a9c3');
  });
});
