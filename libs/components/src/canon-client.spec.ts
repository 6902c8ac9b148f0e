import type { EntityKey } from '@bridge/contracts';
import {
  ScriptedComponentServer,
  testManifest,
  type Script,
} from '../test/scripted-component-server';
import { CanonClient, MAX_CANON_QUERY_LENGTH, canonQueryChunks } from './canon-client';

const key = (external_id: string, entity_type = 'sample'): EntityKey => ({
  entity_type,
  external_id,
});

describe('canonQueryChunks', () => {
  it('repeats the entity parameter as <type>:<externalId>, URL-encoded', () => {
    expect(canonQueryChunks([key('a b'), key('x&y=z', 'raw/file')], 1_000)).toEqual([
      'entity=sample%3Aa%20b&entity=raw%2Ffile%3Ax%26y%3Dz',
    ]);
  });

  it('splits into queries no longer than the limit and loses no key', () => {
    const keys = Array.from({ length: 500 }, (_, i) => key(`S-${i}-é`));
    const queries = canonQueryChunks(keys, 300);
    expect(queries.length).toBeGreaterThan(1);
    expect(queries.every((query) => query.length <= 300)).toBe(true);
    const decoded = queries.flatMap((query) => new URLSearchParams(query).getAll('entity'));
    expect(decoded).toEqual(keys.map((k) => `sample:${k.external_id}`));
  });

  it('still asks for a key longer than the limit, on its own', () => {
    const long = key('x'.repeat(50));
    expect(canonQueryChunks([key('a'), long, key('b')], 20)).toEqual([
      'entity=sample%3Aa',
      `entity=sample%3A${'x'.repeat(50)}`,
      'entity=sample%3Ab',
    ]);
  });

  it('returns no query for no keys', () => {
    expect(canonQueryChunks([], 100)).toEqual([]);
  });
});

/** Canon holding one artifact per asked entity whose id does not start with "gone". */
const canon: Script = (request) => ({
  status: 200,
  body: {
    artifacts: request.query
      .getAll('entity')
      .filter((entity) => !entity.split(':')[1].startsWith('gone'))
      .map((entity) => {
        const [entity_type, external_id] = entity.split(':');
        return { artifact_id: `art-${external_id}`, entity_type, external_id };
      }),
  },
});

describe('CanonClient', () => {
  let server: ScriptedComponentServer;
  let client: CanonClient;

  async function setUp(script: Script): Promise<void> {
    server = await ScriptedComponentServer.start(script);
    client = new CanonClient(testManifest(server.baseUrl));
  }

  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  it('returns the artifacts of the asked entities', async () => {
    await setUp(canon);
    await expect(client.artifactsFor([key('S1'), key('gone-1'), key('S1')])).resolves.toEqual([
      { artifact_id: 'art-S1', entity_type: 'sample', external_id: 'S1' },
    ]);
    expect(server.hits).toBe(1);
    expect(server.requests[0].path).toBe('/canon/artifacts');
    expect(server.requests[0].query.getAll('entity')).toEqual(['sample:S1', 'sample:gone-1']);
  });

  it('splits many keys into several requests whose URLs stay under ~4 KB', async () => {
    await setUp(canon);
    const keys = Array.from({ length: 600 }, (_, i) => key(`entity-number-${i}`));
    const artifacts = await client.artifactsFor(keys);
    expect(artifacts).toHaveLength(600);
    expect(server.hits).toBeGreaterThan(1);
    for (const request of server.requests) {
      expect(request.query.toString().length).toBeLessThanOrEqual(MAX_CANON_QUERY_LENGTH);
    }
  });

  it('asks nothing for no keys', async () => {
    await setUp(canon);
    await expect(client.artifactsFor([])).resolves.toEqual([]);
    expect(server.hits).toBe(0);
  });

  it('posts an eviction and returns how many artifacts Canon accepted', async () => {
    await setUp(() => ({ status: 202, body: { accepted: 2 } }));
    await expect(client.evict(['a1', 'a2'], 'next_sweep')).resolves.toBe(2);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/canon/artifacts/evict',
      body: { artifact_ids: ['a1', 'a2'], mode: 'next_sweep' },
    });
  });

  it('retries an eviction after a 503, since evicting twice changes nothing', async () => {
    await setUp((_request, hit) =>
      hit === 1 ? { status: 503 } : { status: 202, body: { accepted: 1 } },
    );
    await expect(client.evict(['a1'], 'immediate')).resolves.toBe(1);
    expect(server.hits).toBe(2);
  });

  it('lists artifacts in pages, passing the cursor and the manifest page size', async () => {
    await setUp((request) => ({
      status: 200,
      body:
        request.query.get('after') === null
          ? {
              items: [{ artifact_id: 'a1', entity_type: 'sample', external_id: 'S1' }],
              next_cursor: 'c1',
            }
          : { items: [], next_cursor: null },
    }));
    const first = await client.listArtifacts(null);
    expect(first).toEqual({
      items: [{ artifact_id: 'a1', entity_type: 'sample', external_id: 'S1' }],
      next_cursor: 'c1',
    });
    await expect(client.listArtifacts(first.next_cursor)).resolves.toEqual({
      items: [],
      next_cursor: null,
    });
    expect(server.requests.map((r) => r.query.toString())).toEqual([
      'limit=100',
      'after=c1&limit=100',
    ]);
  });

  it('refuses a listing page whose items are not artifacts', async () => {
    await setUp(() => ({ status: 200, body: { items: [{ artifact_id: 7 }], next_cursor: null } }));
    await expect(client.listArtifacts(null)).rejects.toThrow();
  });

  it('evicts nothing without a request for no artifact ids', async () => {
    await setUp(() => ({ status: 500 }));
    await expect(client.evict([], 'immediate')).resolves.toBe(0);
    expect(server.hits).toBe(0);
  });
});
