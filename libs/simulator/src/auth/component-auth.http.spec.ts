/**
 * Bridge's component clients authenticating to the simulator over real HTTP: the simulator
 * in-process with `SIM_AUTH=oauth2` (its own token endpoint, short-lived tokens, revocation)
 * and with `SIM_AUTH=bearer`, and Bridge's side built the way a service builds it, from a
 * component manifest through `loadConfig` and `ComponentClients.fromConfig`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { request } from 'undici';
import { ComponentClients } from '@bridge/components';
import { loadConfig } from '@bridge/config';
import { ComponentCredentialsError, ComponentRequestError } from '@bridge/errors';
import { ComponentSimModule } from '../component-sim.module';
import { ComponentSimulator } from '../scenario/component-simulator';
import { loadSimSettings } from '../sim-config';
import { configureSimHttp, SIM_HTTP_OPTIONS } from '../sim-http';
import type { SimAuthStatus } from './component-authority';

const CLIENT_SECRET = 'sim-client-secret-61f0';
const STATIC_TOKEN = 'sim-static-token-c4d2';
const TOKEN_TTL_MS = 1_500;

const dir = mkdtempSync(join(tmpdir(), 'sim-auth-'));
let files = 0;

async function serve(
  env: NodeJS.ProcessEnv,
): Promise<{ app: NestExpressApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ComponentSimModule.forRoot(
        loadConfig({}),
        loadSimSettings({ SIM_ID_PREFIX: 'auth', ...env }),
      ),
    ],
  }).compile();
  const app = configureSimHttp(
    moduleRef.createNestApplication<NestExpressApplication>({ ...SIM_HTTP_OPTIONS, logger: false }),
  );
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

/** Bridge's clients of the simulator, from a manifest giving every component `auth`. */
function clientsWith(url: string, auth: object, env: NodeJS.ProcessEnv = {}): ComponentClients {
  files += 1;
  const file = join(dir, `components-${files}.json`);
  const manifest = { auth, retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 10 } };
  writeFileSync(file, JSON.stringify({ cappella: manifest, hippo: manifest, canon: manifest }));
  const config = loadConfig({
    COMPONENT_MANIFEST_FILE: file,
    CAPPELLA_URL: url,
    HIPPO_URL: url,
    CANON_URL: url,
    ...env,
  });
  return ComponentClients.fromConfig(config.components);
}

async function authStatus(url: string): Promise<SimAuthStatus> {
  const response = await request(`${url}/sim/auth`);
  return (await response.body.json()) as SimAuthStatus;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('component authentication against the simulator, SIM_AUTH=oauth2', () => {
  let app: NestExpressApplication;
  let url: string;
  let sim: ComponentSimulator;
  let clients: ComponentClients;

  beforeAll(async () => {
    ({ app, url } = await serve({
      SIM_AUTH: 'oauth2',
      SIM_AUTH_CLIENT_ID: 'bridge',
      SIM_AUTH_CLIENT_SECRET: CLIENT_SECRET,
      SIM_AUTH_TOKEN_TTL_MS: String(TOKEN_TTL_MS),
    }));
    sim = app.get(ComponentSimulator);
    const oauth2 = {
      kind: 'oauth2',
      tokenUrl: `${url}/oauth/token`,
      clientId: 'bridge',
      clientSecret: { env: 'SIM_CLIENT_SECRET' },
      scopes: ['components'],
    };
    clients = clientsWith(url, oauth2, { SIM_CLIENT_SECRET: CLIENT_SECRET });
  });

  afterAll(async () => {
    await clients?.close();
    await app?.close();
  });

  it('refuses component requests without a token it issued, and tokens once they expire', async () => {
    const bare = await request(`${url}/cappella/runs?limit=1`);
    expect(bare.statusCode).toBe(401);
    expect(bare.headers['www-authenticate']).toBe('Bearer realm="component-sim"');
    await bare.body.dump();

    const issued = await request(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=bridge&client_secret=${CLIENT_SECRET}`,
    });
    expect(issued.statusCode).toBe(200);
    expect(issued.headers['cache-control']).toBe('no-store');
    const token = (await issued.body.json()) as { access_token: string; expires_in: number };
    expect(token.expires_in).toBe(TOKEN_TTL_MS / 1000);
    const withToken = () =>
      request(`${url}/cappella/runs?limit=1`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      });
    const accepted = await withToken();
    expect(accepted.statusCode).toBe(200);
    await accepted.body.dump();
    await sleep(TOKEN_TTL_MS + 50);
    const expired = await withToken();
    expect(expired.statusCode).toBe(401);
    await expired.body.dump();
  });

  it('calls every component with one token each, renewed before it expires', async () => {
    const run = await sim.completeRun({ outputs: 2 });
    const before = await authStatus(url);
    await expect(clients.cappella.getRun(run.runId)).resolves.toMatchObject({ run_id: run.runId });
    const presence = await clients.hippo.lookup(run.outputs);
    expect(presence.map((entity) => entity.exists)).toEqual([true, true]);
    await clients.canon.artifactsFor(run.outputs);
    await clients.hippo.lookup(run.outputs);
    const first = await authStatus(url);
    expect(first.tokensIssued - before.tokensIssued).toBe(3); // one per component

    // Past 80% of the lifetime, before the end of it: renewed without being refused first.
    await sleep(TOKEN_TTL_MS * 0.85);
    await clients.hippo.lookup(run.outputs);
    const renewed = await authStatus(url);
    expect(renewed.tokensIssued - first.tokensIssued).toBe(1);
    expect(renewed.requestsRejected).toBe(first.requestsRejected);

    // Long after every token expired: the next calls get new ones, still without a 401.
    await sleep(TOKEN_TTL_MS + 100);
    await clients.cappella.getRun(run.runId);
    await clients.hippo.lookup(run.outputs);
    const later = await authStatus(url);
    expect(later.tokensIssued - renewed.tokensIssued).toBe(2);
    expect(later.requestsRejected).toBe(first.requestsRejected);
  });

  it('after a revocation, renews the token once and repeats the refused call', async () => {
    const run = await sim.completeRun({ outputs: 1 });
    await clients.hippo.lookup(run.outputs);
    const before = await authStatus(url);
    const revoked = await request(`${url}/sim/auth/revoke`, { method: 'POST' });
    expect(((await revoked.body.json()) as { revoked: number }).revoked).toBeGreaterThan(0);

    const hits = clients.hippo.stats().requests;
    const calls = await Promise.all(
      Array.from({ length: 5 }, () => clients.hippo.lookup(run.outputs)),
    );
    expect(calls.map(([entity]) => entity.exists)).toEqual([true, true, true, true, true]);
    const after = await authStatus(url);
    expect(after.tokensIssued - before.tokensIssued).toBe(1);
    expect(after.requestsRejected - before.requestsRejected).toBeGreaterThanOrEqual(1);
    // Each refused call was sent once more, none more than that.
    expect(clients.hippo.stats().requests - hits).toBe(
      5 + (after.requestsRejected - before.requestsRejected),
    );
  });

  it('reports a wrong client secret as refused credentials, without the secret', async () => {
    const wrong = clientsWith(
      url,
      {
        kind: 'oauth2',
        tokenUrl: `${url}/oauth/token`,
        clientId: 'bridge',
        clientSecret: { env: 'WRONG_SECRET' },
        clientAuthentication: 'body',
      },
      { WRONG_SECRET: 'not-the-sim-secret-3b' },
    );
    try {
      const failure = await wrong.cappella.getRun('any').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ComponentCredentialsError);
      expect(String(failure)).toMatch(
        /cappella: token endpoint .* refused: HTTP 401 invalid_client/,
      );
      expect(String(failure)).not.toContain('not-the-sim-secret-3b');
      expect(String(failure)).not.toContain(CLIENT_SECRET);
    } finally {
      await wrong.close();
    }
  });
});

describe('component authentication against the simulator, SIM_AUTH=bearer', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await serve({ SIM_AUTH: 'bearer', SIM_AUTH_TOKEN: STATIC_TOKEN }));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('accepts the static token read from a file, and refuses another one', async () => {
    const tokenFile = join(dir, 'static-token');
    writeFileSync(tokenFile, `${STATIC_TOKEN}\n`);
    const clients = clientsWith(url, { kind: 'bearer', token: { file: tokenFile } });
    const strangers = clientsWith(
      url,
      { kind: 'bearer', token: { env: 'OTHER_TOKEN' } },
      { OTHER_TOKEN: 'someone-elses-token' },
    );
    const run = await app.get(ComponentSimulator).completeRun({ outputs: 1 });
    try {
      await expect(clients.cappella.getRun(run.runId)).resolves.toMatchObject({
        run_id: run.runId,
      });
      const refused = await strangers.cappella.getRun(run.runId).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ComponentRequestError);
      expect(refused).toMatchObject({ status: 401 });
      expect(strangers.cappella.stats().requests).toBe(1); // a static token is not renewed
      expect(String(refused)).not.toContain('someone-elses-token');
      expect(await authStatus(url)).toMatchObject({ kind: 'bearer', requestsRejected: 1 });
    } finally {
      await clients.close();
      await strangers.close();
    }
  });
});
