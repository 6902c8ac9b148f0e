import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadConfig } from '@bridge/config';
import { loadSimSettings } from '@bridge/simulator';
import {
  SIM_CLIENT_SECRET_VARIABLE,
  withSimulatedComponentManifest,
} from './simulated-component-manifest';

describe('withSimulatedComponentManifest', () => {
  it('has Bridge take OAuth2 tokens from the simulator, the secret only in the environment', () => {
    const dir = mkdtempSync(`${tmpdir()}/bridge-sim-auth-`);
    const env = withSimulatedComponentManifest({}, dir, 'http://127.0.0.1:3000');
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

  it('declares what the simulated components offer: range digests, artifact listing, and bulk lookup unless refused', () => {
    const dir = mkdtempSync(`${tmpdir()}/bridge-sim-auth-`);
    const { components } = loadConfig(
      withSimulatedComponentManifest({}, dir, 'http://127.0.0.1:3000'),
    );
    expect(components.cappella.capabilities.rangeDigests).toBe(true);
    expect(components.hippo.capabilities).toMatchObject({ rangeDigests: true, bulkLookup: true });
    expect(components.canon.capabilities.artifactListing).toBe(true);
    const refused = loadConfig(
      withSimulatedComponentManifest({ SIM_HIPPO_BULK_LOOKUP: 'false' }, dir, 'http://127.0.0.1:1'),
    );
    expect(refused.components.hippo.capabilities.bulkLookup).toBe(false);
  });

  it('leaves a configured manifest alone, and configured simulator authentication too', () => {
    const dir = mkdtempSync(`${tmpdir()}/bridge-sim-auth-`);
    const own = { COMPONENT_MANIFEST_FILE: '/etc/bridge/components.json' };
    expect(withSimulatedComponentManifest(own, dir, 'http://127.0.0.1:3000')).toBe(own);
    const none = withSimulatedComponentManifest({ SIM_AUTH: 'none' }, dir, 'http://x:1');
    expect(none.SIM_AUTH).toBe('none');
    expect(none[SIM_CLIENT_SECRET_VARIABLE]).toBeUndefined();
    const config = loadConfig(none);
    expect(config.components.hippo.auth).toEqual({ kind: 'none' });
    expect(config.components.hippo.capabilities.rangeDigests).toBe(true);
  });
});
