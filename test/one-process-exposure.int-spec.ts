/**
 * What the one-process start (`npm start`, the built all-in-one process) exposes, bound to
 * every interface as someone sharing the console would run it: the admin token never in its
 * output, its data for its owner only, the simulator's admin routes behind the admin token,
 * the simulated components for this machine only, requests naming another host refused (DNS
 * rebinding), the API's body limit on the API's routes and the components' larger one on
 * theirs, metrics and health on a management port of their own, the rate limit keyed on the
 * client a trusted proxy names, and a token file others can read refused at start.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { distMain, freePorts, ROOT, ServiceProcess } from './service-processes';

/** The first IPv4 address of this machine that is not loopback. */
function externalAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  throw new Error('this machine has no IPv4 address besides loopback to test from');
}

/**
 * @param managementPort where metrics and health are served (and where `healthy()` asks);
 *   none: on `port`.
 */
function startAllInOne(
  dataDir: string,
  port: number,
  allowedHosts: string,
  managementPort?: number,
): ServiceProcess {
  const child = spawn(process.execPath, [distMain('all-in-one')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BRIDGE_DATA_DIR: dataDir,
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: String(port),
      HTTP_ALLOWED_HOSTS: allowedHosts,
      HTTP_TRUST_PROXY: 'loopback',
      API_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      ...(managementPort ? { MANAGEMENT_PORT: String(managementPort) } : {}),
      SIM_DEMO_RATE: '1',
      // The components without credentials, so that this test can call them itself; what is
      // tested here is who may reach them at all (the one-process start's OAuth2 between Bridge
      // and the simulated components is all-in-one.int-spec.ts's).
      SIM_AUTH: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServiceProcess('all-in-one', 'all-in-one', managementPort ?? port, child);
}

const RATE_LIMIT = 30;

/** A raw request, so that the `Host` header is exactly what the test says. */
function send(
  url: string,
  options: {
    method?: string;
    host?: string;
    token?: string;
    body?: string;
    forwardedFor?: string;
  } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = { host: options.host ?? target.host };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const req = httpRequest(
      target,
      { method: options.method ?? 'GET', headers, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the one-process start on a shared network', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'bridge-exposure-')), 'data');
  const external = externalAddress();
  let port: number;
  let managementPort: number;
  let bridge: ServiceProcess;
  let token: string;
  let local: string;

  beforeAll(async () => {
    [port, managementPort] = await freePorts(2);
    bridge = startAllInOne(dataDir, port, `127.0.0.1,localhost,${external}`, managementPort);
    await bridge.healthy(120_000);
    token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    local = `http://127.0.0.1:${port}`;
  }, 180_000);

  afterAll(async () => {
    await bridge?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never prints the admin token, and says where it is kept', () => {
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(bridge.logs()).not.toContain(token);
    expect(bridge.logs()).toContain(`kept in ${join(dataDir, 'admin-token')}`);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
  });

  it('keeps the simulator admin routes for admins', async () => {
    expect((await send(`${local}/sim/truth`)).status).toBe(401);
    expect((await send(`${local}/sim/truth`, { token: 'not-the-token' })).status).toBe(401);
    expect((await send(`${local}/sim/truth`, { token })).status).toBe(200);
  });

  it('serves the simulated components to this machine only', async () => {
    expect((await send(`${local}/cappella/runs?limit=1`)).status).toBe(200);
    const fromNetwork = await send(`http://${external}:${port}/cappella/runs?limit=1`);
    expect(fromNetwork.status).toBe(403);
    expect(fromNetwork.body).toContain('only clients on this machine');
    // The console and the API stay reachable from the network.
    expect((await send(`http://${external}:${port}/console/`)).status).toBe(200);
  });

  it('refuses a request naming a host it does not answer to (DNS rebinding)', async () => {
    const rebound = await send(`${local}/api/v1/bridge/sync/events?limit=1`, {
      host: `attacker.example:${port}`,
      token,
    });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('Host attacker.example is not a name this server answers to');
    const named = await send(`${local}/api/v1/bridge/sync/events?limit=1`, {
      host: `localhost:${port}`,
      token,
    });
    expect(named.status).toBe(200);
  });

  it("limits the API's bodies to 100 kB and the components' to their own limit", async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(300_000) });
    const api = await send(
      `${local}/api/v1/bridge/sync/events/00000000-0000-4000-8000-000000000000/resolve`,
      { method: 'POST', token, body: big },
    );
    expect(api.status).toBe(413);
    const keys = Array.from({ length: 1_000 }, (_, i) => ({
      entity_type: 'sample',
      external_id: `long-external-id-${'y'.repeat(200)}-${i}`,
    }));
    const lookup = await send(`${local}/hippo/entities/lookup`, {
      method: 'POST',
      body: JSON.stringify({ entities: keys }),
    });
    expect(lookup.status).toBe(200);
  });

  it('serves metrics and health on the management port only', async () => {
    const management = `http://127.0.0.1:${managementPort}`;
    expect((await send(`${management}/metrics`)).status).toBe(200);
    expect((await send(`${management}/health/ready`)).status).toBe(200);
    expect((await send(`${management}/api/v1/bridge/sync/events`, { token })).status).toBe(404);
    expect((await send(`${local}/metrics`)).status).toBe(404);
    expect((await send(`${local}/health/live`)).status).toBe(404);
  });

  it('rate-limits the client a trusted proxy names, not the proxy', async () => {
    const events = `${local}/api/v1/bridge/sync/events?limit=1`;
    const answers: number[] = [];
    for (let i = 0; i <= RATE_LIMIT; i += 1) {
      answers.push((await send(events, { token, forwardedFor: '203.0.113.7' })).status);
    }
    expect(answers.slice(0, RATE_LIMIT).every((status) => status === 200)).toBe(true);
    expect(answers[RATE_LIMIT]).toBe(429);
    expect((await send(events, { token, forwardedFor: '203.0.113.8' })).status).toBe(200);
  });

  it('refuses to start on an admin token file others can read', async () => {
    await bridge.stop();
    chmodSync(join(dataDir, 'admin-token'), 0o644);
    const [again] = await freePorts(1);
    const refused = startAllInOne(dataDir, again, '127.0.0.1');
    const exit = await refused.exited;
    expect(exit.code).toBe(1);
    expect(refused.logs()).toContain('can be read by others (mode 644)');
    expect(refused.logs()).not.toContain(token);
  }, 60_000);
});
