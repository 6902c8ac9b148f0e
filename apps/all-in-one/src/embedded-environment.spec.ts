import { embeddedEnvironment } from './embedded-environment';

describe('embeddedEnvironment', () => {
  it('with nothing set: in-process bus, PGlite under ./.data, components at its own port, demo on', () => {
    const { env, dataDir, port, componentsUrl } = embeddedEnvironment({}, '/work/project');
    expect(dataDir).toBe('/work/project/.data');
    expect(port).toBe(3000);
    expect(componentsUrl).toBe('http://127.0.0.1:3000');
    expect(env).toMatchObject({
      BRIDGE_TRANSPORT: 'in-process',
      BRIDGE_STORE: 'pglite',
      PGLITE_DATA_DIR: '/work/project/.data/pglite',
      HIPPO_URL: 'http://127.0.0.1:3000',
      HTTP_PORT: '3000',
    });
    expect(Number(env.SIM_DEMO_RATE)).toBeGreaterThan(0);
  });

  it('keeps every variable that is set, and follows the configured port and data directory', () => {
    const { env, dataDir, componentsUrl } = embeddedEnvironment(
      {
        HTTP_PORT: '4321',
        BRIDGE_DATA_DIR: 'state',
        CHECK_GRACE_DELAY_MS: '100',
        SIM_DEMO_RATE: '0',
      },
      '/srv',
    );
    expect(dataDir).toBe('/srv/state');
    expect(componentsUrl).toBe('http://127.0.0.1:4321');
    expect(env).toMatchObject({
      PGLITE_DATA_DIR: '/srv/state/pglite',
      CAPPELLA_URL: 'http://127.0.0.1:4321',
      CHECK_GRACE_DELAY_MS: '100',
      SIM_DEMO_RATE: '0',
    });
  });

  it('takes an absolute data directory as it is, and explicit component URLs over its own', () => {
    const { env, dataDir } = embeddedEnvironment(
      { BRIDGE_DATA_DIR: '/var/lib/bridge', HIPPO_URL: 'http://hippo:8080' },
      '/srv',
    );
    expect(dataDir).toBe('/var/lib/bridge');
    expect(env.HIPPO_URL).toBe('http://hippo:8080');
    expect(env.CANON_URL).toBe('http://127.0.0.1:3000');
  });

  it('with the simulator off: real components required, the services’ own delays kept', () => {
    const { env, simulator } = embeddedEnvironment(
      {
        BRIDGE_SIMULATOR: 'off',
        CAPPELLA_URL: 'https://cappella.lab',
        HIPPO_URL: 'https://hippo.lab',
        CANON_URL: 'https://canon.lab',
      },
      '/srv',
    );
    expect(simulator).toBe(false);
    expect(env).toMatchObject({
      BRIDGE_TRANSPORT: 'in-process',
      BRIDGE_STORE: 'pglite',
      PGLITE_DATA_DIR: '/srv/.data/pglite',
      HIPPO_URL: 'https://hippo.lab',
    });
    expect(env.CHECK_GRACE_DELAY_MS).toBeUndefined();
    expect(env.SIM_DEMO_RATE).toBeUndefined();
    expect(env.STRATEGY_MISSING_ENTITY).toBeUndefined();
  });

  it('with the simulator off, refuses to start without the components’ addresses', () => {
    expect(() =>
      embeddedEnvironment({ BRIDGE_SIMULATOR: 'off', CAPPELLA_URL: 'https://c.lab' }, '/srv'),
    ).toThrow(/HIPPO_URL, CANON_URL: BRIDGE_SIMULATOR=off checks real components/);
    expect(
      embeddedEnvironment(
        { BRIDGE_SIMULATOR: 'off', COMPONENT_MANIFEST_FILE: '/etc/c.json' },
        '/srv',
      ).simulator,
    ).toBe(false);
  });
});
