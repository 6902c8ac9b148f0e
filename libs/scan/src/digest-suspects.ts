/**
 * What a listed slot range calls into question, in a digest scan: the pure step between the
 * two listings of a range whose digests differ and today's rules (`runDiscrepancies`,
 * `orphanDiscrepancies` in `scan-decisions.ts`), which then judge only what is named here.
 *
 * Cappella's side of a range is the (output, run) pairs its runs registered; Hippo's is its
 * entities with their provenance and availability. A difference is one of:
 * - an output Hippo lacks or lists unavailable: its run is judged whole (fetched, and all its
 *   outputs looked up), which finds `missing_entity` with every output the run lost, not only
 *   the ones in this range;
 * - an entity whose provenance names a run that registered no such output: an
 *   `orphan_provenance` if that run does not exist (a failed or running run that wrote it, or a
 *   run Cappella lists the entity under another key, is not one).
 * Anything else that differs (an output Hippo credits to a newer run, say) is no discrepancy.
 */
import { entityKeyId, type EntityKey } from '@bridge/contracts';
import type { HippoEntity, OutputPair } from '@bridge/components';

export interface RangeSuspects {
  /** Runs one of whose outputs Hippo lacks or lists unavailable, in first-seen order. */
  runsToJudge: string[];
  /** Entities whose provenance names a run that did not register them. */
  provenanceToConfirm: HippoEntity[];
}

export function suspectsIn(
  outputs: readonly OutputPair[],
  entities: readonly HippoEntity[],
): RangeSuspects {
  const byKey = new Map(entities.map((entity) => [entityKeyId(entity), entity]));
  const registered = new Set(outputs.map((pair) => pairId(pair, pair.run_id)));
  const runsToJudge = new Set<string>();
  for (const pair of outputs) {
    const entity = byKey.get(entityKeyId(pair));
    if (!entity || !entity.available) runsToJudge.add(pair.run_id);
  }
  const provenanceToConfirm = entities.filter(
    (entity) => entity.provenance && !registered.has(pairId(entity, entity.provenance.run_id)),
  );
  return { runsToJudge: [...runsToJudge], provenanceToConfirm };
}

function pairId(key: EntityKey, runId: string): string {
  return `${entityKeyId(key)}\u0000${runId}`;
}
