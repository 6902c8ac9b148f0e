import { Test } from '@nestjs/testing';
import { ConfigModule, loadConfig, type BridgeConfig } from '@bridge/config';
import { ScriptedComponentServer } from '../test/scripted-component-server';
import { CanonClient } from './canon-client';
import { CappellaClient } from './cappella-client';
import { ComponentClients } from './component-clients';
import { ComponentClientsModule } from './component-clients.module';
import { HippoClient } from './hippo-client';

/** One server per component, each answering with its own name, to prove the URLs are not mixed. */
async function threeServers() {
  const named = (name: string) =>
    ScriptedComponentServer.start(() => ({
      status: 200,
      body: { pipeline_id: name, idempotent: true },
    }));
  return {
    cappella: await named('cappella'),
    hippo: await named('hippo'),
    canon: await named('canon'),
  };
}

function configFor(urls: { cappella: string; hippo: string; canon: string }): BridgeConfig {
  return loadConfig({ CAPPELLA_URL: urls.cappella, HIPPO_URL: urls.hippo, CANON_URL: urls.canon });
}

describe('ComponentClients', () => {
  let servers: Awaited<ReturnType<typeof threeServers>>;

  beforeEach(async () => {
    servers = await threeServers();
  });

  afterEach(async () => {
    await Promise.all(Object.values(servers).map((server) => server.close()));
  });

  it('builds each client against its own component', async () => {
    const config = configFor({
      cappella: servers.cappella.baseUrl,
      hippo: servers.hippo.baseUrl,
      canon: servers.canon.baseUrl,
    });
    const clients = ComponentClients.fromConfig(config.components);
    try {
      await expect(clients.cappella.getPipeline('p')).resolves.toEqual({
        pipeline_id: 'cappella',
        idempotent: true,
      });
      await expect(clients.hippo.lookup([{ entity_type: 't', external_id: 'x' }])).rejects.toThrow(
        /^hippo: .*malformed response/,
      );
      expect(servers.hippo.requests[0].path).toBe('/hippo/entities/t/x');
      await expect(clients.canon.evict(['a'], 'immediate')).rejects.toThrow(/^canon: /);
      expect(servers.canon.hits).toBe(1);
    } finally {
      await clients.close();
    }
  });

  it('is provided by ComponentClientsModule and closed on application shutdown', async () => {
    const config = configFor({
      cappella: servers.cappella.baseUrl,
      hippo: servers.hippo.baseUrl,
      canon: servers.canon.baseUrl,
    });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), ComponentClientsModule],
    }).compile();
    await moduleRef.init();
    const clients = moduleRef.get(ComponentClients);
    expect(moduleRef.get(CappellaClient)).toBe(clients.cappella);
    expect(moduleRef.get(HippoClient)).toBe(clients.hippo);
    expect(moduleRef.get(CanonClient)).toBe(clients.canon);
    await expect(clients.cappella.getPipeline('p')).resolves.not.toBeNull();
    await moduleRef.close();
    await expect(clients.cappella.getPipeline('p')).rejects.toThrow(/client closed/);
    expect(servers.cappella.hits).toBe(1);
  });
});
