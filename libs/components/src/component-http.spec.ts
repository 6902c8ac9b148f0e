import { z } from 'zod';
import { Secret } from '@bridge/config';
import {
  ComponentCredentialsError,
  ComponentRequestError,
  ComponentUnavailableError,
} from '@bridge/errors';
import { metricsRegistry } from '@bridge/metrics';
import {
  ScriptedComponentServer,
  closedPortUrl,
  testManifest,
  type ManifestOverrides,
  type Script,
} from '../test/scripted-component-server';
import { ComponentHttp } from './component-http';

const Thing = z.object({ id: z.string() });

describe('ComponentHttp', () => {
  let server: ScriptedComponentServer;
  let http: ComponentHttp;

  async function setUp(script: Script, overrides: ManifestOverrides = {}): Promise<void> {
    server = await ScriptedComponentServer.start(script);
    http = new ComponentHttp('hippo', testManifest(server.baseUrl, overrides));
  }

  afterEach(async () => {
    await http?.close();
    await server?.close();
  });

  it('returns the validated body of a 200', async () => {
    await setUp(() => ({ status: 200, body: { id: 'x', extra: 1 } }));
    await expect(http.getJson('/things/x', Thing)).resolves.toEqual({ id: 'x' });
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/things/x' });
  });

  it('prefixes paths with the path of the base URL', async () => {
    server = await ScriptedComponentServer.start(() => ({ status: 200, body: { id: 'x' } }));
    http = new ComponentHttp('hippo', testManifest(`${server.baseUrl}/gateway/`));
    await http.getJson('/hippo/x', Thing);
    expect(server.requests[0].path).toBe('/gateway/hippo/x');
  });

  it('retries a 503 then returns the body', async () => {
    await setUp((_request, hit) =>
      hit === 1 ? { status: 503, body: { error: 'busy' } } : { status: 200, body: { id: 'y' } },
    );
    await expect(http.getJson('/things/y', Thing)).resolves.toEqual({ id: 'y' });
    expect(server.hits).toBe(2);
    expect(http.stats()).toMatchObject({ requests: 2, retries: 1, failures: 0 });
  });

  it('runs beforeSend once before the first attempt, and sends nothing when it throws', async () => {
    const calls: number[] = [];
    await setUp((_request, hit) =>
      hit === 1 ? { status: 503, body: { error: 'busy' } } : { status: 200, body: { id: 'b' } },
    );
    const beforeSend = () => {
      calls.push(server.hits);
      return Promise.resolve();
    };
    await expect(
      http.postJson('/things', {}, Thing, { retry: 'unprocessed', beforeSend }),
    ).resolves.toEqual({ id: 'b' });
    expect(calls).toEqual([0]); // before anything reached the server, and not again on the retry
    expect(server.hits).toBe(2);

    const refusal = new Error('lease lost');
    await expect(
      http.postJson('/things', {}, Thing, { beforeSend: () => Promise.reject(refusal) }),
    ).rejects.toBe(refusal);
    expect(server.hits).toBe(2);
    expect(http.stats()).toMatchObject({ failures: 0 });
  });

  it('fails as ComponentUnavailableError after maxAttempts transient answers', async () => {
    await setUp(() => ({ status: 500 }), { retry: { maxAttempts: 3 } });
    const failure = http.getJson('/things/z', Thing);
    await expect(failure).rejects.toThrow(ComponentUnavailableError);
    await expect(failure).rejects.toThrow(/HTTP 500 after 3 attempts/);
    expect(server.hits).toBe(3);
    expect(http.stats()).toMatchObject({ retries: 2, failures: 1 });
  });

  it('honours Retry-After on 429: the retry waits at least the requested seconds', async () => {
    const seenAt: number[] = [];
    await setUp(
      (_request, hit) => {
        seenAt.push(Date.now());
        return hit === 1
          ? { status: 429, headers: { 'retry-after': '1' } }
          : { status: 200, body: { id: 'r' } };
      },
      { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 200 } },
    );
    await expect(http.getJson('/things/r', Thing)).resolves.toEqual({ id: 'r' });
    expect(seenAt).toHaveLength(2);
    expect(seenAt[1] - seenAt[0]).toBeGreaterThanOrEqual(990);
  });

  it('gives up at once when Retry-After asks for longer than the cap', async () => {
    await setUp(() => ({ status: 503, headers: { 'retry-after': '3600' } }), {
      retry: { maxAttempts: 3, maxDelayMs: 100 },
    });
    const started = Date.now();
    await expect(http.getJson('/things/later', Thing)).rejects.toThrow(ComponentUnavailableError);
    expect(server.hits).toBe(1);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('fails a request slower than timeoutMs as unavailable after the configured attempts', async () => {
    await setUp(() => ({ status: 200, body: { id: 'slow' }, delayMs: 2_000 }), {
      timeoutMs: 100,
      retry: { maxAttempts: 2 },
    });
    const started = Date.now();
    const failure = http.getJson('/things/slow', Thing);
    await expect(failure).rejects.toThrow(ComponentUnavailableError);
    await expect(failure).rejects.toThrow(/no answer within 100 ms after 2 attempts/);
    const elapsed = Date.now() - started;
    expect(server.hits).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('opens the circuit after N consecutive failures and then fails fast without a request', async () => {
    await setUp(() => ({ status: 500 }), {
      retry: { maxAttempts: 1 },
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    });
    for (let call = 0; call < 3; call += 1) {
      await expect(http.getJson('/things/down', Thing)).rejects.toThrow(/HTTP 500/);
    }
    expect(server.hits).toBe(3);
    expect(http.stats().circuitState).toBe('open');
    const started = Date.now();
    const fastFailure = http.getJson('/things/down', Thing);
    await expect(fastFailure).rejects.toBeInstanceOf(ComponentUnavailableError);
    await expect(fastFailure).rejects.toThrow('hippo: GET /things/down: circuit open');
    expect(Date.now() - started).toBeLessThan(50);
    expect(server.hits).toBe(3);
  });

  it('lets a trial call through after halfOpenAfterMs and closes the circuit on success', async () => {
    let healthy = false;
    await setUp(() => (healthy ? { status: 200, body: { id: 'back' } } : { status: 502 }), {
      retry: { maxAttempts: 1 },
      circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 100 },
    });
    await expect(http.getJson('/t', Thing)).rejects.toThrow(ComponentUnavailableError);
    await expect(http.getJson('/t', Thing)).rejects.toThrow(ComponentUnavailableError);
    await expect(http.getJson('/t', Thing)).rejects.toThrow(/circuit open/);
    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 120));
    await expect(http.getJson('/t', Thing)).resolves.toEqual({ id: 'back' });
    expect(http.stats().circuitState).toBe('closed');
    expect(server.hits).toBe(3);
  });

  it('does not count refusals towards opening the circuit', async () => {
    await setUp(() => ({ status: 400, rawBody: 'bad' }), {
      retry: { maxAttempts: 1 },
      circuitBreaker: { consecutiveFailures: 2 },
    });
    for (let call = 0; call < 4; call += 1) {
      await expect(http.getJson('/t', Thing)).rejects.toThrow(ComponentRequestError);
    }
    expect(server.hits).toBe(4);
    expect(http.stats().circuitState).toBe('closed');
  });

  it('maps a 404 on a single resource to null without retrying', async () => {
    await setUp(() => ({ status: 404 }));
    await expect(http.getJson('/things/none', Thing)).resolves.toBeNull();
    expect(server.hits).toBe(1);
  });

  it('treats a 404 on a collection as a refusal, not an empty answer', async () => {
    await setUp(() => ({ status: 404, rawBody: 'no route' }));
    await expect(http.getCollection('/things?limit=1', Thing)).rejects.toThrow(
      ComponentRequestError,
    );
  });

  it('raises a 400 as ComponentRequestError with its status and does not retry', async () => {
    await setUp(() => ({ status: 400, rawBody: 'bad cursor' }));
    const failure = http.getJson('/things?after=zzz', Thing);
    await expect(failure).rejects.toBeInstanceOf(ComponentRequestError);
    await expect(failure).rejects.toMatchObject({ status: 400, component: 'hippo' });
    await expect(failure).rejects.toThrow(/bad cursor/);
    expect(server.hits).toBe(1);
  });

  it('reports a body that is not JSON as a malformed response', async () => {
    await setUp(() => ({ status: 200, rawBody: '{"id": "tru' }));
    const failure = http.getJson('/things/m', Thing);
    await expect(failure).rejects.toBeInstanceOf(ComponentUnavailableError);
    await expect(failure).rejects.toThrow(/malformed response: not JSON/);
  });

  it('reports JSON of the wrong shape as a malformed response', async () => {
    await setUp(() => ({ status: 200, body: { id: 42 } }));
    await expect(http.getJson('/things/m', Thing)).rejects.toThrow(/malformed response: id:/);
  });

  it('keeps in-flight requests within maxConcurrency', async () => {
    await setUp(() => ({ status: 200, body: { id: 'c' }, delayMs: 40 }), { maxConcurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => http.getJson(`/things/${i}`, Thing)));
    expect(server.hits).toBe(12);
    expect(server.maxInFlight).toBe(3);
  });

  it('spaces requests to the rate limit: 20 requests at 50/s take at least ~380 ms', async () => {
    await setUp(() => ({ status: 200, body: { id: 'r' } }), { rateLimitPerSecond: 50 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => http.getJson(`/things/${i}`, Thing)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(server.hits).toBe(20);
  });

  it('posts a JSON body and accepts any 2xx', async () => {
    await setUp(() => ({ status: 202, body: { id: 'p' } }));
    await expect(http.postJson('/things', { a: [1] }, Thing)).resolves.toEqual({ id: 'p' });
    expect(server.requests[0]).toMatchObject({ method: 'POST', body: { a: [1] } });
  });

  it("does not retry an 'unprocessed' POST after a 500, which it may have acted on, and says so", async () => {
    await setUp(() => ({ status: 500 }));
    const failed = http.postJson('/things', {}, Thing, { retry: 'unprocessed' });
    await expect(failed).rejects.toBeInstanceOf(ComponentUnavailableError);
    await expect(failed).rejects.toMatchObject({ unprocessed: false });
    expect(server.hits).toBe(1);
  });

  it("retries an 'unprocessed' POST after a 503, and reports a lasting one as not acted on", async () => {
    await setUp(() => ({ status: 503 }));
    const failed = http.postJson('/things', {}, Thing, { retry: 'unprocessed' });
    await expect(failed).rejects.toMatchObject({ unprocessed: true });
    expect(server.hits).toBe(3);
  });

  it("retries an 'unprocessed' POST after a 429, which the component did not act on", async () => {
    await setUp((_request, hit) =>
      hit === 1 ? { status: 429 } : { status: 201, body: { id: 'ok' } },
    );
    await expect(http.postJson('/things', {}, Thing, { retry: 'unprocessed' })).resolves.toEqual({
      id: 'ok',
    });
    expect(server.hits).toBe(2);
  });

  it("does not retry an 'unprocessed' POST that timed out", async () => {
    await setUp(() => ({ status: 201, body: { id: 'late' }, delayMs: 1_000 }), { timeoutMs: 80 });
    await expect(http.postJson('/things', {}, Thing, { retry: 'unprocessed' })).rejects.toThrow(
      /no answer within 80 ms after 1 attempt$/,
    );
    expect(server.hits).toBe(1);
  });

  it("retries an 'unprocessed' POST when the connection is refused", async () => {
    server = await ScriptedComponentServer.start(() => ({ status: 200 }));
    http = new ComponentHttp('cappella', testManifest(await closedPortUrl()));
    await expect(http.postJson('/things', {}, Thing, { retry: 'unprocessed' })).rejects.toThrow(
      /cannot connect: .*ECONNREFUSED.* after 3 attempts/,
    );
    expect(http.stats()).toMatchObject({ requests: 3, retries: 2, failures: 1 });
  });

  it('refuses calls after close() as unavailable', async () => {
    await setUp(() => ({ status: 200, body: { id: 'x' } }));
    await http.close();
    await expect(http.getJson('/things/x', Thing)).rejects.toThrow(/client closed/);
    expect(server.hits).toBe(0);
  });
});

describe('ComponentHttp with credentials', () => {
  const SECRET = 'client-secret-e5a09c';
  let component: ScriptedComponentServer;
  let tokens: ScriptedComponentServer;
  let http: ComponentHttp;

  /** A token endpoint that hands out `tok-1`, `tok-2`…; the component accepts `accepted`. */
  async function setUp(
    accepted: (authorization: string | undefined) => boolean,
    tokenScript: Script = (_request, hit) => ({
      status: 200,
      body: { access_token: `tok-${hit}`, token_type: 'Bearer', expires_in: 3600 },
    }),
    overrides: ManifestOverrides = {},
  ): Promise<void> {
    tokens = await ScriptedComponentServer.start(tokenScript);
    component = await ScriptedComponentServer.start((request) =>
      accepted(request.headers.authorization)
        ? { status: 200, body: { id: 'x' } }
        : { status: 401, body: { error: 'invalid_token' } },
    );
    http = new ComponentHttp(
      'canon',
      testManifest(component.baseUrl, {
        ...overrides,
        auth: {
          kind: 'oauth2',
          tokenUrl: `${tokens.baseUrl}/token`,
          clientId: 'bridge',
          clientSecret: new Secret(SECRET),
          scopes: [],
          clientAuthentication: 'basic',
        },
      }),
    );
  }

  afterEach(async () => {
    await http?.close();
    await component?.close();
    await tokens?.close();
  });

  it('sends a static bearer token, and takes a 401 to it as a refusal without retrying', async () => {
    component = await ScriptedComponentServer.start((request) =>
      request.headers.authorization === 'Bearer static-1'
        ? { status: 200, body: { id: 's' } }
        : { status: 401 },
    );
    http = new ComponentHttp(
      'hippo',
      testManifest(component.baseUrl, {
        auth: { kind: 'bearer', token: new Secret('static-1') },
      }),
    );
    await expect(http.getJson('/things/s', Thing)).resolves.toEqual({ id: 's' });
    await http.close();
    http = new ComponentHttp(
      'hippo',
      testManifest(component.baseUrl, {
        auth: { kind: 'bearer', token: new Secret('static-2') },
      }),
    );
    const refused = http.getJson('/things/s', Thing);
    await expect(refused).rejects.toBeInstanceOf(ComponentRequestError);
    await expect(refused).rejects.toMatchObject({ status: 401 });
    expect(component.hits).toBe(2);
  });

  it('gets one token for many calls and sends it with each', async () => {
    await setUp((authorization) => authorization === 'Bearer tok-1');
    await Promise.all(Array.from({ length: 20 }, () => http.getJson('/things/x', Thing)));
    expect(tokens.hits).toBe(1);
    expect(component.hits).toBe(20);
  });

  it('after a 401 renews the token once and repeats the call once', async () => {
    let valid = 'Bearer tok-1';
    await setUp((authorization) => authorization === valid);
    await http.getJson('/things/x', Thing);
    valid = 'Bearer tok-2'; // tok-1 revoked
    await expect(
      http.postJson('/things', { a: 1 }, Thing, { retry: 'unprocessed' }),
    ).resolves.toEqual({ id: 'x' });
    expect(tokens.hits).toBe(2);
    expect(component.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer tok-1',
      'Bearer tok-1',
      'Bearer tok-2',
    ]);
    expect(http.stats()).toMatchObject({ requests: 3, failures: 0 });
  });

  it('renews once for 20 calls refused together, and all of them succeed', async () => {
    let valid = 'Bearer tok-1';
    await setUp((authorization) => authorization === valid);
    await http.getJson('/things/x', Thing);
    valid = 'Bearer tok-2';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => http.getJson('/things/x', Thing)),
    );
    expect(answers).toHaveLength(20);
    expect(tokens.hits).toBe(2);
  });

  it('fails the call on a second 401, with one renewal and no retry beyond it', async () => {
    await setUp(() => false);
    const refused = http.getJson('/things/x', Thing);
    await expect(refused).rejects.toBeInstanceOf(ComponentRequestError);
    await expect(refused).rejects.toMatchObject({ status: 401, component: 'canon' });
    expect(component.hits).toBe(2);
    expect(tokens.hits).toBe(2);
  });

  it('fails like an unavailable component when the token endpoint is down: retried, counted by the breaker, nothing sent', async () => {
    await setUp(
      () => true,
      () => ({ status: 503 }),
      {
        retry: { maxAttempts: 3 },
        circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
      },
    );
    const failed = http.postJson('/things', {}, Thing, { retry: 'unprocessed' });
    await expect(failed).rejects.toBeInstanceOf(ComponentUnavailableError);
    await expect(failed).rejects.toMatchObject({ unprocessed: true });
    await expect(failed).rejects.toThrow(
      `canon: POST /things: token endpoint ${tokens.baseUrl}/token: HTTP 503 after 3 attempts`,
    );
    expect(tokens.hits).toBe(3);
    expect(component.hits).toBe(0);
    expect(http.stats().circuitState).toBe('open');
  });

  it('fails at once, permanently, when the token endpoint refuses the client', async () => {
    await setUp(
      () => true,
      () => ({ status: 401, body: { error: 'invalid_client' } }),
      { retry: { maxAttempts: 3 }, circuitBreaker: { consecutiveFailures: 1 } },
    );
    const refused = http.getJson('/things/x', Thing);
    await expect(refused).rejects.toBeInstanceOf(ComponentCredentialsError);
    await expect(refused).rejects.toThrow(
      /^canon: token endpoint .* refused: HTTP 401 invalid_client$/,
    );
    expect(tokens.hits).toBe(1);
    expect(component.hits).toBe(0);
    expect(http.stats()).toMatchObject({ failures: 1, circuitState: 'closed' });
  });

  it('keeps the client secret out of errors and metrics, whatever fails', async () => {
    let hit = 0;
    await setUp(
      () => true,
      (request) => {
        hit += 1;
        // Echoes the credentials it received: first as a server error, then as a refusal.
        const description = `${String(request.headers.authorization)} ${SECRET}`;
        return hit === 1
          ? { status: 500, body: { error: 'server_error', error_description: description } }
          : { status: 400, body: { error: 'invalid_request', error_description: description } };
      },
      { retry: { maxAttempts: 1 } },
    );
    const errors: unknown[] = [];
    for (let call = 0; call < 2; call += 1) {
      await http.getJson('/things/x', Thing).catch((error: unknown) => errors.push(error));
    }
    expect(errors[0]).toBeInstanceOf(ComponentUnavailableError);
    expect(errors[1]).toBeInstanceOf(ComponentCredentialsError);
    for (const error of errors) {
      const text = `${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
      expect(text).toContain('[secret]');
      expect(text).not.toContain(SECRET);
    }
    const metrics = await metricsRegistry.metrics();
    expect(metrics).toMatch(/component="canon",endpoint="GET \/things\/x",kind="credentials"/);
    expect(metrics).toMatch(
      /component="canon",endpoint="GET \/things\/x",kind="credentials_refused"/,
    );
    expect(metrics).not.toContain(SECRET);
    expect(metrics).not.toContain('tok-');
  });
});
