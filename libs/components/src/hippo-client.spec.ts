import type { EntityKey } from '@bridge/contracts';
import { ComponentRequestError } from '@bridge/errors';
import {
  ScriptedComponentServer,
  testManifest,
  type ManifestOverrides,
  type Script,
} from '../test/scripted-component-server';
import { HippoClient, firstOrderMismatch } from './hippo-client';

const key = (external_id: string, entity_type = 'sample'): EntityKey => ({
  entity_type,
  external_id,
});

/** Hippo that knows the even-numbered samples, each produced by run `r-<id>`. */
const knowsEven = (id: string) => Number(id.replace(/\D/g, '')) % 2 === 0;
/** Sample 6 exists but is not offered. */
const offers = (id: string) => knowsEven(id) && id !== '6';

const bulkHippo: Script = (request) => {
  const { entities } = request.body as { entities: EntityKey[] };
  return {
    status: 200,
    body: {
      // `available` is optional in a lookup answer: given for sample 6 only, the rest default.
      results: entities.map((k) => ({
        ...k,
        exists: knowsEven(k.external_id),
        ...(k.external_id === '6' ? { available: false } : {}),
        provenance: knowsEven(k.external_id) ? { run_id: `r-${k.external_id}` } : null,
      })),
    },
  };
};

const singleHippo: Script = (request) => {
  const [, , , type, id] = request.path.split('/').map(decodeURIComponent);
  return knowsEven(id)
    ? {
        status: 200,
        body: {
          entity_type: type,
          external_id: id,
          available: offers(id),
          provenance: { run_id: `r-${id}` },
        },
      }
    : { status: 404 };
};

describe('HippoClient', () => {
  let server: ScriptedComponentServer;
  let client: HippoClient;

  async function setUp(script: Script, overrides: ManifestOverrides = {}): Promise<void> {
    server = await ScriptedComponentServer.start(script);
    client = new HippoClient(testManifest(server.baseUrl, overrides));
  }

  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  const asked = [key('1'), key('2'), key('3'), key('2'), key('4'), key('5'), key('6')];
  const expected = asked.map((k) => ({
    ...k,
    exists: knowsEven(k.external_id),
    available: offers(k.external_id),
    provenance: knowsEven(k.external_id) ? { run_id: `r-${k.external_id}` } : null,
  }));

  it('uses bulk lookup in chunks of bulkLookupMax when the manifest declares it', async () => {
    await setUp(bulkHippo, { capabilities: { bulkLookup: true, bulkLookupMax: 2 } });
    await expect(client.lookup(asked)).resolves.toEqual(expected);
    expect(server.requests.every((r) => r.method === 'POST')).toBe(true);
    expect(server.requests.every((r) => r.path === '/hippo/entities/lookup')).toBe(true);
    const sizes = server.requests.map((r) => (r.body as { entities: EntityKey[] }).entities.length);
    // Six distinct keys: the repeated one is asked once.
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(6);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
  });

  it('sends bulk chunks in parallel', async () => {
    await setUp((request) => ({ ...bulkHippo(request, 0), delayMs: 50 }), {
      capabilities: { bulkLookup: true, bulkLookupMax: 2 },
    });
    await client.lookup(asked);
    expect(server.maxInFlight).toBeGreaterThan(1);
  });

  it('uses one GET per distinct key without bulk lookup', async () => {
    await setUp(singleHippo);
    await expect(client.lookup(asked)).resolves.toEqual(expected);
    expect(server.hits).toBe(6);
    expect(server.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('URL-encodes the entity type and external id in single GETs', async () => {
    await setUp(() => ({ status: 404 }));
    await client.lookup([key('a/b c?#2', 'raw file')]);
    expect(server.requests[0].path).toBe('/hippo/entities/raw%20file/a%2Fb%20c%3F%232');
  });

  it('keeps single GETs within maxConcurrency', async () => {
    await setUp((request) => ({ ...singleHippo(request, 0), delayMs: 30 }), {
      maxConcurrency: 2,
    });
    await client.lookup(asked);
    expect(server.maxInFlight).toBe(2);
  });

  it('refuses a bulk answer that is not in request order', async () => {
    await setUp(
      (request) => {
        const reply = bulkHippo(request, 0);
        (reply.body as { results: unknown[] }).results.reverse();
        return reply;
      },
      { capabilities: { bulkLookup: true, bulkLookupMax: 10 } },
    );
    await expect(client.lookup([key('1'), key('2')])).rejects.toThrow(
      /malformed response: result 0 is sample:2, asked sample:1/,
    );
  });

  it('raises a 413 from bulk lookup as a refusal', async () => {
    await setUp(() => ({ status: 413 }), { capabilities: { bulkLookup: true } });
    await expect(client.lookup([key('1')])).rejects.toBeInstanceOf(ComponentRequestError);
  });

  it('asks nothing for no keys', async () => {
    await setUp(bulkHippo, { capabilities: { bulkLookup: true } });
    await expect(client.lookup([])).resolves.toEqual([]);
    expect(server.hits).toBe(0);
  });

  it('reads an entity whose provenance is missing as provenance null', async () => {
    await setUp(() => ({
      status: 200,
      body: { entity_type: 'sample', external_id: 'S1', available: false },
    }));
    await expect(client.getEntity(key('S1'))).resolves.toEqual({
      entity_type: 'sample',
      external_id: 'S1',
      available: false,
      provenance: null,
    });
  });

  it('lists entities after a cursor with the manifest page size', async () => {
    const entity = { entity_type: 'sample', external_id: 'S1', available: true, provenance: null };
    await setUp(() => ({ status: 200, body: { items: [entity], next_cursor: null } }), {
      pageSize: 7,
    });
    await expect(client.listEntities('c1')).resolves.toEqual({
      items: [entity],
      next_cursor: null,
    });
    expect(server.requests[0].path).toBe('/hippo/entities');
    expect(Object.fromEntries(server.requests[0].query)).toEqual({ after: 'c1', limit: '7' });
  });

  it('asks for a range digest and a range listing, and refuses a malformed digest', async () => {
    const bucket = { from: 0, to: 32, count: 3, hash: '00000000000000ff' };
    const entity = { ...key('2'), available: false, provenance: { run_id: 'r-2' } };
    await setUp((request) =>
      request.path === '/hippo/slots/digest'
        ? { status: 200, body: { buckets: request.query.get('buckets') === '1' ? [bucket] : [{}] } }
        : { status: 200, body: { items: [entity] } },
    );
    await expect(client.entityDigest({ from: 0, to: 32 }, 1)).resolves.toEqual([bucket]);
    expect(Object.fromEntries(server.requests[0].query)).toEqual({
      from: '0',
      to: '32',
      buckets: '1',
    });
    await expect(client.entitiesIn({ from: 5, to: 9 })).resolves.toEqual([entity]);
    expect(server.requests[1].path).toBe('/hippo/slots/entities');
    expect(Object.fromEntries(server.requests[1].query)).toEqual({ from: '5', to: '9' });
    await expect(client.entityDigest({ from: 0, to: 32 }, 2)).rejects.toThrow();
  });
});

describe('firstOrderMismatch', () => {
  it('accepts results that match the keys position by position', () => {
    expect(firstOrderMismatch([key('1'), key('2')], [key('1'), key('2')])).toBeNull();
  });

  it('names a count mismatch', () => {
    expect(firstOrderMismatch([key('1'), key('2')], [key('1')])).toMatch(/asked for 2.*got 1/);
  });
});
