import { z } from 'zod';
import { ComponentRequestError, ComponentUnavailableError } from '@bridge/errors';
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
