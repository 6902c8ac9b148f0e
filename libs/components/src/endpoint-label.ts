/**
 * The endpoint label of a component call in the metrics: the route of the component API it
 * hits, with its path parameters as placeholders, so that a run id or an entity key never
 * becomes a label value (one time series per run would swamp Prometheus).
 */

/** The component API routes that carry path parameters; other paths are fixed. */
const PARAMETERISED_ROUTES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/cappella\/runs\/[^/]+\/outputs$/, '/cappella/runs/{run_id}/outputs'],
  [/^\/cappella\/runs\/[^/]+$/, '/cappella/runs/{run_id}'],
  [/^\/cappella\/pipelines\/[^/]+$/, '/cappella/pipelines/{pipeline_id}'],
  [/^\/hippo\/entities\/lookup$/, '/hippo/entities/lookup'],
  [/^\/hippo\/entities\/[^/]+\/[^/]+$/, '/hippo/entities/{entity_type}/{external_id}'],
];

/** `GET /cappella/runs/{run_id}` for `GET /cappella/runs/run-42`; the query is dropped. */
export function endpointLabel(method: string, path: string): string {
  const bare = path.split('?', 1)[0] ?? path;
  const route = PARAMETERISED_ROUTES.find(([pattern]) => pattern.test(bare));
  return `${method} ${route ? route[1] : bare}`;
}
