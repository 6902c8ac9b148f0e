import { bucketRanges, digestSlot, DIGEST_SLOTS, pairHash, slotRangeProblem } from './range-digest';

const sample = (id: string) => ({ entity_type: 'sample', external_id: id });

describe('range digests', () => {
  it('puts a key in the same slot every time, and spreads keys over the slots', () => {
    expect(digestSlot(sample('S1'))).toBe(digestSlot(sample('S1')));
    const slots = new Set(Array.from({ length: 1_000 }, (_, i) => digestSlot(sample(`S${i}`))));
    expect(slots.size).toBeGreaterThan(980);
    // The type is part of the key: same external id, other type, another slot (almost surely).
    expect(digestSlot({ entity_type: 'file', external_id: 'S1' })).not.toBe(
      digestSlot(sample('S1')),
    );
  });

  it('cuts a range into contiguous buckets that cover it, never more than its width', () => {
    const cut = bucketRanges({ from: 10, to: 110 }, 7);
    expect(cut).toHaveLength(7);
    expect(cut[0].from).toBe(10);
    expect(cut[6].to).toBe(110);
    cut.slice(1).forEach((range, i) => expect(range.from).toBe(cut[i].to));
    expect(bucketRanges({ from: 5, to: 8 }, 16)).toEqual([
      { from: 5, to: 6 },
      { from: 6, to: 7 },
      { from: 7, to: 8 },
    ]);
  });

  it("keeps the contract's values: SHA-256 of the key (and run) joined by NUL bytes", () => {
    // Components compute these on their side: a change here breaks every deployed component.
    expect(digestSlot(sample('S1'))).toBe(34977);
    expect(pairHash(sample('S1'), 'run-1')).toBe(7379128703027309471n);
  });

  it('hashes a pair by its key and its run', () => {
    expect(pairHash(sample('S1'), 'run-1')).toBe(pairHash(sample('S1'), 'run-1'));
    expect(pairHash(sample('S1'), 'run-1')).not.toBe(pairHash(sample('S1'), 'run-2'));
  });

  it('says what is wrong with a range or a bucket count', () => {
    expect(slotRangeProblem({ from: 0, to: DIGEST_SLOTS }, 256)).toBeNull();
    expect(slotRangeProblem({ from: 5, to: 5 }, 1)).toMatch(/below/);
    expect(slotRangeProblem({ from: -1, to: 5 }, 1)).toMatch(/whole slots/);
    expect(slotRangeProblem({ from: 0, to: DIGEST_SLOTS + 1 }, 1)).toMatch(/whole slots/);
    expect(slotRangeProblem({ from: 0, to: 10 }, 257)).toMatch(/buckets/);
  });
});
