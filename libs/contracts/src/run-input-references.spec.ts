import { describe, expect, it } from '@jest/globals';
import { runInputReferences } from './run-input-references';

describe('runInputReferences', () => {
  it('reads entity keys given directly or in arrays, in input order', () => {
    expect(
      runInputReferences({
        genome: { entity_type: 'genome', external_id: 'GRCh38' },
        samples: [
          { entity_type: 'sample', external_id: 's1' },
          { entity_type: 'sample', external_id: 's2' },
        ],
      }),
    ).toEqual([
      { entity_type: 'genome', external_id: 'GRCh38' },
      { entity_type: 'sample', external_id: 's1' },
      { entity_type: 'sample', external_id: 's2' },
    ]);
  });

  it('ignores values that are not entity keys and keeps only the key fields', () => {
    expect(
      runInputReferences({
        source: 'run-1',
        threshold: 3,
        partial: { entity_type: 'sample' },
        wrongTypes: { entity_type: 'sample', external_id: 7 },
        nested: { inner: { entity_type: 'sample', external_id: 's9' } },
        mixed: ['x', { entity_type: 'sample', external_id: 's3', note: 'kept out' }],
        empty: null,
      }),
    ).toEqual([{ entity_type: 'sample', external_id: 's3' }]);
  });
});
