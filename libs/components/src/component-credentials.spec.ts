import { inspect } from 'node:util';
import { Secret, type ComponentAuth } from '@bridge/config';
import { ComponentCredentialsError, PermanentError, TransientError } from '@bridge/errors';
import {
  ScriptedComponentServer,
  closedPortUrl,
  type ReceivedRequest,
  type Script,
} from '../test/scripted-component-server';
import {
  NO_CREDENTIALS,
  OAuth2ClientCredentials,
  StaticBearerToken,
  TokenEndpointUnavailable,
} from './component-credentials';

const SECRET = 's3cret/with+chars=9f';

type OAuth2Auth = Extract<ComponentAuth, { kind: 'oauth2' }>;

function oauth2(tokenUrl: string, overrides: Partial<OAuth2Auth> = {}): OAuth2Auth {
  return {
    kind: 'oauth2',
    tokenUrl,
    clientId: 'bridge sync',
    clientSecret: new Secret(SECRET),
    scopes: [],
    clientAuthentication: 'basic',
    ...overrides,
  };
}

/** Hands out `tok-1`, `tok-2`… living `expiresIn` seconds, after `delayMs`. */
function issuing(expiresIn = 100, delayMs = 0): Script {
  return (_request, hit) => ({
    status: 200,
    body: { access_token: `tok-${hit}`, token_type: 'Bearer', expires_in: expiresIn },
    delayMs,
  });
}

function basicPair(request: ReceivedRequest): string {
  const header = String(request.headers.authorization);
  return Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
}

/** Whatever the error, its text and everything it holds. */
function everythingIn(error: unknown): string {
  return `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('StaticBearerToken and NO_CREDENTIALS', () => {
  it('sends the static token as a bearer token, and nothing without auth', async () => {
    const token = new StaticBearerToken(new Secret('static-abc'));
    await expect(token.authorization()).resolves.toBe('Bearer static-abc');
    expect(token.renewable).toBe(false);
    await expect(NO_CREDENTIALS.authorization()).resolves.toBeNull();
    expect(NO_CREDENTIALS.renewable).toBe(false);
  });
});

describe('OAuth2ClientCredentials', () => {
  let server: ScriptedComponentServer;
  let credentials: OAuth2ClientCredentials;
  let now: number;

  async function setUp(script: Script, overrides: Partial<OAuth2Auth> = {}, timeoutMs = 1_000) {
    server = await ScriptedComponentServer.start(script);
    now = 1_000_000;
    credentials = new OAuth2ClientCredentials(
      'hippo',
      oauth2(`${server.baseUrl}/oauth2/token?tenant=t1`, overrides),
      { timeoutMs, now: () => now },
    );
  }

  afterEach(async () => {
    await credentials?.close();
    await server?.close();
  });

  it('asks for a token with client credentials in HTTP Basic, scopes and audience', async () => {
    await setUp(issuing(), { scopes: ['runs:read', 'runs:write'], audience: 'https://hippo' });
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-1');
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/oauth2/token' });
    expect(request.query.get('tenant')).toBe('t1');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // RFC 6749 §2.3.1: each part form-encoded before Base64.
    expect(basicPair(request)).toBe('bridge+sync:s3cret%2Fwith%2Bchars%3D9f');
    expect(request.body).toEqual({
      grant_type: 'client_credentials',
      scope: 'runs:read runs:write',
      audience: 'https://hippo',
    });
  });

  it('can send the client credentials in the form body instead', async () => {
    await setUp(issuing(), { clientAuthentication: 'body' });
    await credentials.authorization();
    const [request] = server.requests;
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body).toEqual({
      grant_type: 'client_credentials',
      client_id: 'bridge sync',
      client_secret: SECRET,
    });
  });

  it('keeps the token until 80% of its lifetime, then renews it before it expires', async () => {
    await setUp(issuing(100));
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-1');
    now += 79_999;
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-1');
    expect(server.hits).toBe(1);
    now += 1;
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-2');
    expect(server.hits).toBe(2);
    now += 79_999;
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-2');
    expect(server.hits).toBe(2);
  });

  it('does not show the token or the secret when the object is inspected', async () => {
    await setUp(issuing());
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-1');
    const shown = inspect(credentials, { depth: 4 });
    expect(shown).toContain('[secret]');
    expect(shown).not.toContain('tok-1');
    expect(shown).not.toContain(SECRET);
  });

  it('sends one token request however many calls need a token at once', async () => {
    await setUp(issuing(100, 50));
    const headers = await Promise.all(
      Array.from({ length: 20 }, () => credentials.authorization()),
    );
    expect(new Set(headers)).toEqual(new Set(['Bearer tok-1']));
    expect(server.hits).toBe(1);
    expect(server.maxInFlight).toBe(1);

    now += 80_000; // renewal due for all of them at once
    const renewed = await Promise.all(
      Array.from({ length: 20 }, () => credentials.authorization()),
    );
    expect(new Set(renewed)).toEqual(new Set(['Bearer tok-2']));
    expect(server.hits).toBe(2);
  });

  it('after a 401, fetches one new token however many calls saw the refused one', async () => {
    await setUp(issuing(100, 20));
    const refused = await credentials.authorization();
    credentials.discard(refused);
    const after = await Promise.all(
      Array.from({ length: 20 }, async () => {
        // Each call reports the same refused header; only the first discards anything.
        credentials.discard(refused);
        return credentials.authorization();
      }),
    );
    expect(new Set(after)).toEqual(new Set(['Bearer tok-2']));
    expect(server.hits).toBe(2);
    credentials.discard(refused); // late news of the old token: tok-2 stays
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-2');
    expect(server.hits).toBe(2);
  });

  it('keeps using an unexpired token while the endpoint is down, and fails once it expires', async () => {
    await setUp(issuing(100));
    await credentials.authorization();
    server.answer(() => ({ status: 503 }));
    now += 90_000;
    await expect(credentials.authorization()).resolves.toBe('Bearer tok-1');
    expect(server.hits).toBe(2);
    now += 10_000;
    const failure = await failureOf(credentials.authorization());
    expect(failure).toBeInstanceOf(TokenEndpointUnavailable);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toBe(
      `token endpoint ${server.baseUrl}/oauth2/token: HTTP 503`,
    );
  });

  it('classifies an unreachable or silent endpoint as transient', async () => {
    server = await ScriptedComponentServer.start(issuing(100, 500));
    credentials = new OAuth2ClientCredentials('hippo', oauth2(`${server.baseUrl}/token`), {
      timeoutMs: 100,
    });
    const silent = await failureOf(credentials.authorization());
    expect(silent).toBeInstanceOf(TokenEndpointUnavailable);
    expect((silent as Error).message).toMatch(/no answer within 100 ms/);
    await credentials.close();

    credentials = new OAuth2ClientCredentials('hippo', oauth2(`${await closedPortUrl()}/token`), {
      timeoutMs: 1_000,
    });
    const unreachable = await failureOf(credentials.authorization());
    expect(unreachable).toBeInstanceOf(TokenEndpointUnavailable);
    expect((unreachable as Error).message).toMatch(/cannot get a token: .*ECONNREFUSED/);
  });

  it('reports refused client credentials as a permanent error naming the component', async () => {
    await setUp(() => ({
      status: 401,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
    }));
    const failure = await failureOf(credentials.authorization());
    expect(failure).toBeInstanceOf(ComponentCredentialsError);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure).toMatchObject({ component: 'hippo', code: 'component_credentials_refused' });
    expect((failure as Error).message).toBe(
      `hippo: token endpoint ${server.baseUrl}/oauth2/token: client bridge sync refused: HTTP 401 invalid_client: client authentication failed`,
    );
  });

  it('never lets the secret into an error, even when the endpoint echoes it back', async () => {
    // A careless endpoint that quotes the credentials it received, in every form they came in.
    const echo: Script = (request) => ({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: `bad ${JSON.stringify(request.body)} ${String(request.headers.authorization)} ${SECRET}`,
      },
    });
    for (const clientAuthentication of ['basic', 'body'] as const) {
      await setUp(echo, { clientAuthentication });
      const failure = await failureOf(credentials.authorization());
      expect(failure).toBeInstanceOf(ComponentCredentialsError);
      const text = everythingIn(failure);
      expect(text).toContain('[secret]');
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(encodeURIComponent(SECRET));
      expect(text).not.toContain(
        Buffer.from(`bridge+sync:${encodeURIComponent(SECRET)}`).toString('base64'),
      );
      await credentials.close();
      await server.close();
    }
  });
});
