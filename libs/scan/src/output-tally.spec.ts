import { describe, expect, it } from '@jest/globals';
import type { EntityKey } from '@bridge/contracts';
import {
  addToTally,
  entityTallies,
  keyTallyHash,
  outputTally,
  TALLY_MODULUS,
  type Tally,
} from './output-tally';

const key = (id: string, type = 'sample'): EntityKey => ({ entity_type: type, external_id: id });

describe('output tallies', () => {
  it('hashes a key to a stable 52-bit value that tells type from id', () => {
    const hash = keyTallyHash(key('a'));
    expect(Number.isSafeInteger(hash)).toBe(true);
    expect(hash).toBeGreaterThanOrEqual(0);
    expect(hash).toBeLessThan(TALLY_MODULUS);
    expect(keyTallyHash(key('a'))).toBe(hash);
    expect(keyTallyHash(key('b:a', 'x'))).not.toBe(keyTallyHash(key('a', 'x:b')));
    expect(keyTallyHash(key('a', 'other'))).not.toBe(hash);
  });

  it('keeps the values it has always had, so tallies saved by an earlier build still agree', () => {
    // FNV-1a over "type\u0000id" with the two bases, the first cut to 20 bits.
    expect(keyTallyHash(key('ds-1', 'dataset'))).toBe(1856349262632328);
    expect(keyTallyHash(key('s/\u00fcn\u00efcode'))).toBe(2231438222672753);
    expect(keyTallyHash(key('', ''))).toBe(3480087738881997);
  });

  it('agrees for the same outputs in any order and repeated, and differs for one missing', () => {
    const outputs = [key('a'), key('b'), key('c')];
    const expected = outputTally(outputs);
    expect(outputTally([key('c'), key('a'), key('b'), key('a')])).toEqual(expected);
    expect(outputTally([key('a'), key('b')])).not.toEqual(expected);
    // One entity swapped for another keeps the count but not the sum.
    expect(outputTally([key('a'), key('b'), key('d')]).sum).not.toBe(expected.sum);
  });

  it('keeps sums modulo 2^52, exactly', () => {
    const tally: Tally = { count: 0, sum: TALLY_MODULUS - 1 };
    addToTally(tally, 5);
    expect(tally).toEqual({ count: 1, sum: 4 });
  });

  it("adds each page's available entities to the run their provenance names", () => {
    const entity = (id: string, runId: string | null, available = true) => ({
      ...key(id),
      available,
      provenance: runId === null ? null : { run_id: runId },
    });
    const tallies = entityTallies([
      entity('a', 'r1'),
      entity('b', 'r1'),
      entity('c', 'r1', false),
      entity('d', null),
      entity('e', 'r2'),
    ]);
    expect([...tallies.keys()]).toEqual(['r1', 'r2']);
    expect(tallies.get('r1')).toEqual(outputTally([key('a'), key('b')]));
    expect(tallies.get('r2')).toEqual(outputTally([key('e')]));
  });
});
