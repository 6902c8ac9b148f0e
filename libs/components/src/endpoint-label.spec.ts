import { endpointLabel } from './endpoint-label';

describe('endpointLabel', () => {
  it.each([
    ['GET', '/cappella/runs/run-42', 'GET /cappella/runs/{run_id}'],
    ['GET', '/cappella/runs/run%2F42/outputs', 'GET /cappella/runs/{run_id}/outputs'],
    ['GET', '/cappella/runs?after=abc&limit=100', 'GET /cappella/runs'],
    ['POST', '/cappella/runs', 'POST /cappella/runs'],
    ['GET', '/cappella/pipelines/align', 'GET /cappella/pipelines/{pipeline_id}'],
    ['GET', '/hippo/entities/sample/S-1', 'GET /hippo/entities/{entity_type}/{external_id}'],
    ['POST', '/hippo/entities/lookup', 'POST /hippo/entities/lookup'],
    ['GET', '/canon/artifacts?entity_type=sample', 'GET /canon/artifacts'],
  ])('%s %s is labelled %s', (method, path, label) => {
    expect(endpointLabel(method, path)).toBe(label);
  });
});
