import { entityKeyId } from '@bridge/contracts';
import { chunk, distinctKeys, uniqueKeys } from './entity-keys';

describe('chunk', () => {
  it('slices in order with a shorter last slice', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('returns no slices for no items', () => {
    expect(chunk([], 3)).toEqual([]);
  });

  it('refuses a size that would never finish', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe('distinctKeys', () => {
  it('gives each key the position of its first occurrence among the distinct copies', () => {
    const a = { entity_type: 'sample', external_id: 'a', run_id: 'r1' };
    const b = { entity_type: 'sample', external_id: 'b' };
    const { distinct, positions } = distinctKeys([a, b, { ...a }, b, a]);
    expect(distinct).toEqual([
      { entity_type: 'sample', external_id: 'a' },
      { entity_type: 'sample', external_id: 'b' },
    ]);
    expect([...positions]).toEqual([0, 1, 0, 1, 0]);
  });
});

describe('uniqueKeys', () => {
  it('keeps the first occurrence of each key in order', () => {
    const a = { entity_type: 'sample', external_id: 'a' };
    const b = { entity_type: 'sample', external_id: 'b' };
    expect(uniqueKeys([a, b, { ...a }, b])).toEqual([a, b]);
  });

  it('does not confuse keys whose parts concatenate alike', () => {
    const keys = [
      { entity_type: 'ab', external_id: 'c' },
      { entity_type: 'a', external_id: 'bc' },
    ];
    expect(uniqueKeys(keys)).toHaveLength(2);
    expect(entityKeyId(keys[0])).not.toBe(entityKeyId(keys[1]));
  });
});
