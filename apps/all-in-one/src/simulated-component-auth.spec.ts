import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadConfig } from '@bridge/config';
import { loadSimSettings } from '@bridge/simulator';
import { SIM_CLIENT_SECRET_VARIABLE, withSimulatedComponentAuth } from './simulated-component-auth';

describe('withSimulatedComponentAuth', () => {
  it('has Bridge take OAuth2 tokens from the simulator, the secret only in the environment', () => {
    const dir = mkdtempSync(`${tmpdir()}/bridge-sim-auth-`);
    const env = withSimulatedComponentAuth({}, dir, 'http://127.0.0.1:3000');
    const secret = env[SIM_CLIENT_SECRET_VARIABLE] ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const manifestFile = env.COMPONENT_MANIFEST_FILE ?? '';
    expect(readFileSync(manifestFile, 'utf8')).not.toContain(secret);
    expect(statSync(manifestFile).mode & 0o777).toBe(0o600);

    const config = loadConfig(env);
    expect(config.components.hippo.auth).toMatchObject({
      kind: 'oauth2',
      tokenUrl: 'http://127.0.0.1:3000/oauth/token',
      clientId: 'bridge-sync',
    });
    const sim = loadSimSettings(env);
    expect(sim.auth).toMatchObject({
      kind: 'oauth2',
      clientId: 'bridge-sync',
      clientSecret: secret,
    });
  });

  it('leaves a configured manifest or simulator authentication alone', () => {
    const dir = mkdtempSync(`${tmpdir()}/bridge-sim-auth-`);
    const own = { COMPONENT_MANIFEST_FILE: '/etc/bridge/components.json' };
    expect(withSimulatedComponentAuth(own, dir, 'http://127.0.0.1:3000')).toBe(own);
    const none = { SIM_AUTH: 'none' };
    expect(withSimulatedComponentAuth(none, dir, 'http://127.0.0.1:3000')).toBe(none);
  });
});
