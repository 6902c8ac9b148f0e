import type { HippoEntity, OutputPair } from '@bridge/components';
import { suspectsIn } from './digest-suspects';

const output = (id: string, run: string): OutputPair => ({
  entity_type: 'sample',
  external_id: id,
  run_id: run,
});
const entity = (id: string, run: string | null, available = true): HippoEntity => ({
  entity_type: 'sample',
  external_id: id,
  available,
  provenance: run ? { run_id: run } : null,
});

describe('suspectsIn', () => {
  it('names nothing when both sides hold the same pairs', () => {
    expect(suspectsIn([output('A', 'r1')], [entity('A', 'r1')])).toEqual({
      runsToJudge: [],
      provenanceToConfirm: [],
    });
  });

  it('judges the run of an output Hippo lacks or lists unavailable, once per run', () => {
    const suspects = suspectsIn(
      [output('A', 'r1'), output('B', 'r1'), output('C', 'r2'), output('D', 'r3')],
      [entity('C', 'r2', false), entity('D', 'r3')],
    );
    expect(suspects.runsToJudge).toEqual(['r1', 'r2']);
  });

  it('does not judge a run whose output Hippo credits to a newer run', () => {
    const suspects = suspectsIn([output('A', 'r1'), output('A', 'r2')], [entity('A', 'r2')]);
    expect(suspects).toEqual({ runsToJudge: [], provenanceToConfirm: [] });
  });

  it('asks about an entity whose provenance names a run that did not register it', () => {
    const orphan = entity('E', 'gone');
    const suspects = suspectsIn(
      [output('A', 'r1')],
      [entity('A', 'r1'), orphan, entity('F', null)],
    );
    expect(suspects.provenanceToConfirm).toEqual([orphan]);
  });
});
